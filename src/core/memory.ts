/**
 * The orchestrator: one Memory over a StoreDriver, an Embedder and a VectorIndex.
 *
 * Durability (ARCHITECTURE section 3): every mutation is one driver transaction holding the record, its
 * vector, a log entry, a history marker and the new head. RAM state (catalog, vector and keyword
 * indexes) changes only after that transaction resolved, so a failed write changes nothing. Indexes are
 * derived: opened from the newest valid snapshot plus the log after it, or rebuilt from the records.
 */
import type { Embedder } from '../embed/embedder.js'
import {
  type AuditEvent,
  type AuditReport,
  type EncryptionOptions,
  type ExportAuditOptions,
  exportAuditLog,
  type ForgetSubjectOptions,
  type ForgetSubjectQuery,
  type ForgetSubjectReport,
  forgetSubject,
  GENESIS_HASH,
  isEncryptionCodec,
  noteRedactions,
  openSecurity,
  type RedactionCounts,
  type Redactor,
  type RotateOptions,
  type RotationReport,
  readVectorOrMissing,
  redactInput,
  redactItems,
  reencrypt,
  rotateKey,
  type SecurityHost,
  sealEntry,
  verifyAuditLog,
} from '../security/hooks.js'
import { type BlobCodec, jsonBytes, parseJsonBytes, plainCodec } from '../store/codec.js'
import type { StoreDriver } from '../store/driver.js'
import { FlatIndex } from '../vector/flat.js'
import type { VectorIndex } from '../vector/vector-index.js'
import { RecordCatalog } from './catalog.js'
import { asMemoryError, isMemoryError, memoryError } from './errors.js'
import { Emitter } from './events.js'
import { compileFilter, type RecordPredicate } from './filter.js'
import type { MemoryHost } from './host.js'
import { KeywordIndex } from './keyword.js'
import { bytesToVector, type Head, type Keys, keysFor, type LogEntry, seqOfLogKey, type Touch, vectorToBytes } from './layout.js'
import { silentLogger } from './log.js'
import { type MemoryPolicy, resolvePolicy } from './policy.js'
import {
  byCreatedAt,
  type Candidate,
  contextCandidates,
  keywordOf,
  passageOf,
  relevanceOf,
  resolveRanking,
  scoreOf,
  speakerWeights,
  type ThreadLayout,
  type ThreadView,
  threadLayout,
  threadOf,
  threadView,
  weighed,
  withContext,
  withEpisodes,
} from './ranking.js'
import {
  applyPatch,
  assertObject,
  type BuildContext,
  buildRecord,
  checkContent,
  checkId,
  checkImportedRecord,
  checkScope,
  checkTier,
  checkType,
  checkUnit,
  DEFAULT_LIMITS,
} from './record.js'
import { yieldToEventLoop } from './scheduling.js'
import { SelfManaging } from './self-managing.js'
import { readIndexSnapshot, writeIndexSnapshot } from './snapshot-format.js'
import { archiveKey, packArchivedVector, unpackArchivedVector } from './tiers.js'
import {
  type BatchItem,
  type ConsolidateOptions,
  type ConsolidationResult,
  type ContextOptions,
  type ContextResult,
  type CreateMemoryOptions,
  type ExportedRecord,
  type FeedbackSignal,
  type ForgetQuery,
  type HealthReport,
  type HistoryEntry,
  type ImportOptions,
  type Limits,
  type ListOptions,
  type ListPage,
  type Logger,
  MEMORY_TIERS,
  MEMORY_TYPES,
  type Memory,
  type MemoryEventHandler,
  type MemoryEventName,
  type MemoryRecord,
  type MemoryReport,
  type MemoryStats,
  type MemoryTier,
  type MemoryType,
  type RankingOptions,
  type RecallHit,
  type RecallManyOptions,
  type RecallOptions,
  type RecentOptions,
  type RelatedMemory,
  type RelatedOptions,
  type ReportOptions,
  type SnapshotInfo,
  type StoreBatchOptions,
  type StoreOptions,
  type StoreResult,
  type SummarizeOptions,
  type UpdatePatch,
  type VectorIndexFactory,
} from './types.js'
import { planWrite } from './write-plan.js'

const MINUTE = 60_000
const PAGE = 500
/**
 * A snapshot rewrites the whole index, so its cost grows with the memory. Once one takes longer than
 * SNAPSHOT_CHEAP_MS, the next waits (under sustained writing) until SNAPSHOT_SPACING times its cost has
 * passed since it: snapshots stay within a fifth of the writing time, and the log to replay after a
 * crash in proportion, instead of a whole-index rewrite every `snapshotEvery` entries at any size.
 */
const SNAPSHOT_SPACING = 4
const SNAPSHOT_CHEAP_MS = 50
const HIST_MARK = new Uint8Array([1])

/** Internal hooks for runtimes (worker, Durable Object) and for the self-managing layer. */
export interface MemoryInternals {
  /** Serializes writers across processes/tabs; the memory catches up with the log inside it. */
  lock?: <T>(fn: () => Promise<T>) => Promise<T>
  /** Encrypts/decrypts every blob (records, vectors, log, snapshots). @default identity */
  codec?: BlobCodec
  /** Who is acting, recorded in the log (audit). */
  actor?: string
  /** PII redaction before storage and embedding (built from `redact` by createMemory). */
  redactor?: Redactor
}

interface PendingEntry {
  op: LogEntry['op']
  id?: string
  record?: MemoryRecord
  vector?: Float32Array
  removed?: boolean
  touches?: Touch[]
  /** Records rewritten without a history entry (access bookkeeping). */
  rewrites?: MemoryRecord[]
  detail?: Record<string, unknown>
  /** Raw driver ops in the same transaction (forgetSubject's tombstones). */
  extraOps?: Parameters<NonNullable<StoreDriver['transaction']>>[0]
}

/**
 * Open (or create) a memory.
 * @example
 * const mem = await createMemory({ namespace: 'user-42', embedder })
 * const id = await mem.store('User prefers morning meetings', { type: 'preference', importance: 0.8 })
 * const hits = await mem.recall('when should we meet?', { k: 5 })
 */
export async function createMemory(options: CreateMemoryOptions & MemoryInternals = {}): Promise<EngramMemory> {
  assertObject(options, 'createMemory options')
  // Compile the small usearch module before the embedder's large one: V8 queues wasm compilation, and
  // behind onnxruntime's 14 MB module a 180 KB compile waited seconds on two cores.
  const indexModule = options.index ? undefined : import('../vector/usearch.js').then((m) => m.loadUsearchModule()).catch(() => undefined)
  await indexModule
  const embedder = options.embedder ?? (await defaultEmbedder())
  const store = options.store ?? (await import('../store/drivers/memory.js')).memoryDriver()
  const memory = new EngramMemory({ ...options, ...(await openSecurity(store, options)) }, store, embedder)
  await memory.open()
  return memory
}

/**
 * Vectors the memory keeps in the exact scan before switching to usearch's HNSW. HNSW is faster from a
 * few hundred vectors (bench/vector.ts), but an approximate search can miss an outlier among many
 * near-duplicates (a lone "bicycle was stolen" among 400 "meeting with client N" notes, at the default
 * expansion); an exact scan of 4096 × 512-d costs a few milliseconds, so a personal memory stays exact.
 */
export const MEMORY_FLAT_LIMIT = 4096

/**
 * The usearch WebAssembly index (exact scan while small, HNSW beyond), loaded only when used. Where the
 * module cannot be loaded (workerd without an imported module, a page that cannot fetch it) the memory
 * still opens, on the exact flat index, and says so once in the log; `stats().index.kind` tells which.
 */
function defaultIndexFactory(logger: Logger): VectorIndexFactory {
  let warned = false
  return async ({ dims, from }) => {
    const { createVectorIndex } = await import('../vector/create.js')
    try {
      return await createVectorIndex(from ? { dims, from, flatLimit: MEMORY_FLAT_LIMIT } : { dims, flatLimit: MEMORY_FLAT_LIMIT })
    } catch (e) {
      if (!isMemoryError(e, 'UNSUPPORTED')) throw e
      if (!warned) logger.warn('usearch.wasm could not be loaded; using the exact flat index', { error: String(e) })
      warned = true
      if (from) throw e // the snapshot is usearch's: let the memory rebuild from records instead
      return new FlatIndex({ dims })
    }
  }
}

async function defaultEmbedder(): Promise<Embedder> {
  const { createDefaultEmbedder } = await import('./default-embedder.js')
  return createDefaultEmbedder()
}

export class EngramMemory implements Memory {
  readonly namespace: string
  readonly #store: StoreDriver
  readonly #embedder: Embedder
  readonly #keys: Keys
  readonly #indexFactory: VectorIndexFactory
  readonly #limits: Limits
  readonly #ranking: RankingOptions
  readonly #now: () => number
  readonly #ttl: number
  readonly #snapshotEvery: number
  readonly #codec: BlobCodec
  readonly #lock: (<T>(fn: () => Promise<T>) => Promise<T>) | undefined
  readonly #actor: string | undefined
  readonly #redactor: Redactor | undefined
  #lastHash = GENESIS_HASH
  readonly #logger
  readonly #events

  /** A Map that also finds records by dedup key and fact key without scanning (src/core/catalog.ts). */
  readonly #records = new RecordCatalog()
  readonly #working = new Map<string, MemoryRecord>()
  readonly #workingHistory = new Map<string, HistoryEntry[]>()
  #vectors!: VectorIndex
  #workingVectors: VectorIndex
  #keywords = new KeywordIndex()
  readonly #workingKeywords = new KeywordIndex()
  #seq = 0
  #snapshotSeq = 0
  /** The newest entry that changed what the indexes hold (access bookkeeping does not). */
  #indexSeq = 0
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false
  #nextSweep = 0
  #workingSeq = 0
  readonly #retrieval = { count: 0, scoreSum: 0, latencySum: 0 }
  /** Access bookkeeping queued but not yet written; later recalls join it. */
  #pendingAccess: { ids: Set<string>; audits: Record<string, unknown>[] } | undefined
  #snapshotChain: Promise<unknown> = Promise.resolve()
  /** When the last index snapshot was written (performance.now) and what it cost, in ms. */
  #snapshotDoneAt = Number.NEGATIVE_INFINITY
  #snapshotCost = 0
  /** The self-managing layer (dedup, supersession, lifecycle, graph, context...): src/core/self-managing.ts. */
  readonly #policy: MemoryPolicy
  readonly #self: SelfManaging
  readonly #scheduleMs: number | undefined
  #scheduleTimer: ReturnType<typeof setInterval> | undefined

  constructor(options: CreateMemoryOptions & MemoryInternals, store: StoreDriver, embedder: Embedder) {
    this.namespace = options.namespace ?? 'default'
    this.#keys = keysFor(this.namespace)
    this.#store = store
    this.#embedder = embedder
    if (!embedder || typeof embedder.embed !== 'function' || !Number.isInteger(embedder.dims) || embedder.dims < 1) {
      throw memoryError('VALIDATION', 'embedder must have an id, positive integer dims and an embed() method')
    }
    this.#indexFactory = options.index ?? defaultIndexFactory(options.logger ?? silentLogger)
    this.#limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) }
    this.#ranking = resolveRanking(options.ranking)
    this.#policy = resolvePolicy(options.policy)
    this.#self = new SelfManaging(this.#host())
    this.#scheduleMs = SelfManaging.scheduleInterval(options.schedule)
    this.#now = options.now ?? Date.now
    this.#ttl = options.shortTermTtlMs === undefined ? 30 * MINUTE : checkPositiveOption(options.shortTermTtlMs, 'shortTermTtlMs')
    this.#snapshotEvery = options.snapshotEvery ?? 1000
    this.#codec = options.codec ?? plainCodec
    this.#lock = options.lock
    this.#actor = options.actor
    this.#redactor = options.redactor
    this.#logger = options.logger ?? silentLogger
    this.#events = new Emitter(this.#logger)
    this.#workingVectors = new FlatIndex({ dims: embedder.dims })
  }

  // ---------------------------------------------------------------- opening and catching up

  /** Load records, then indexes from the newest valid snapshot + log, or rebuild them. */
  async open(): Promise<void> {
    const head = await this.#readHead()
    this.#seq = head?.seq ?? 0
    this.#lastHash = head?.hash ?? GENESIS_HASH
    for await (const record of this.#scanRecords()) this.#records.set(record.id, record)
    const restored = await this.#restoreIndexes()
    if (!restored) await this.#rebuildIndexes()
    if (head && (head.embedder !== this.#embedder.id || head.dims !== this.#embedder.dims)) await this.#reembedAll()
    else if (!head) await this.#store.set(this.#keys.head, await this.#encode(this.#headValue()))
    if (isEncryptionCodec(this.#codec) && this.#codec.rotationPending) {
      reencrypt(this.#securityHost(), this.#codec).catch((e) => this.#logger.warn('key rotation did not finish', { error: String(e) }))
    }
    if (this.#scheduleMs !== undefined && this.#scheduleTimer === undefined) {
      this.#scheduleTimer = setInterval(() => {
        if (!this.#closed) this.optimize().catch((e) => this.#logger.warn('scheduled optimize failed', { error: String(e) }))
      }, this.#scheduleMs)
      ;(this.#scheduleTimer as { unref?: () => void }).unref?.()
    }
  }

  /** Replay log entries that another writer (tab, process) committed; returns how many were applied. */
  async refresh(): Promise<number> {
    this.#assertOpen()
    return this.#catchUp()
  }

  async #catchUp(): Promise<number> {
    const head = await this.#readHead()
    if (!head || head.seq <= this.#seq) return 0
    const entries = await this.#readLogAfter(this.#seq, head.seq)
    const ids = new Set<string>()
    // Another writer's recalls only move access counters: those records are re-read, not re-indexed.
    const accessed = new Set<string>()
    for (const entry of entries) {
      if (entry.id) ids.add(entry.id)
      for (const t of entry.touches ?? []) (entry.op === 'access' ? accessed : ids).add(t.id)
    }
    for (const id of accessed) if (!this.#records.has(id)) ids.add(id)
    await this.#resync([...ids])
    await this.#reread([...accessed].filter((id) => !ids.has(id)))
    for (const id of accessed) ids.add(id)
    this.#seq = Math.max(head.seq, ...entries.map((e) => e.seq))
    if (entries.some((e) => e.op !== 'access')) this.#indexSeq = this.#seq
    this.#lastHash = head.hash ?? this.#lastHash
    if (entries.length > 0) this.#emit('changed', [...ids], { remote: true })
    return entries.length
  }

  /** Make RAM agree with the store for these ids (used after replay and for repair). */
  async #resync(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE)
      const [recBytes, vecBytes] = await Promise.all([
        this.#store.getMany(page.map(this.#keys.rec)),
        this.#store.getMany(page.map(this.#keys.vec)),
      ])
      for (let j = 0; j < page.length; j++) {
        const id = page[j]!
        this.#unindex(id)
        const rec = recBytes[j]
        if (!rec) continue
        const record = await this.#decode<MemoryRecord>(rec)
        this.#records.set(id, record)
        const vec = vecBytes[j]
        this.#index(record, vec ? bytesToVector(await this.#codec.decode(vec), this.#embedder.dims) : undefined)
      }
    }
  }

  /** Re-read these records (their indexed content unchanged): access counters another writer moved. */
  async #reread(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE)
      const values = await this.#store.getMany(page.map(this.#keys.rec))
      for (let j = 0; j < page.length; j++) {
        const bytes = values[j]
        if (bytes) this.#records.set(page[j]!, await this.#decode<MemoryRecord>(bytes))
      }
    }
  }

  async #restoreIndexes(): Promise<boolean> {
    const bytes = await this.#store.get(this.#keys.snapshot)
    if (!bytes) return false
    try {
      const snap = readIndexSnapshot(await this.#codec.decode(bytes))
      if (snap.seq > this.#seq || snap.dims !== this.#embedder.dims || snap.embedder !== this.#embedder.id) return false
      const vectors = await this.#indexFactory({ dims: this.#embedder.dims, from: snap.vectors })
      this.#vectors = vectors
      this.#keywords = KeywordIndex.deserialize(snap.keywords)
      this.#snapshotSeq = snap.seq
      this.#indexSeq = snap.seq
      const entries = await this.#readLogAfter(snap.seq, this.#seq)
      const ids = new Set<string>()
      for (const entry of entries) {
        if (entry.id) ids.add(entry.id)
        if (entry.op !== 'access') this.#indexSeq = Math.max(this.#indexSeq, entry.seq)
      }
      await this.#resync([...ids])
      const withVectors = [...this.#records.values()].filter((r) => r.tier !== 'working' && r.tier !== 'archived').length
      if (this.#vectors.size !== withVectors || this.#keywords.size !== withVectors) {
        this.#logger.warn('index snapshot disagrees with the records; rebuilding', { namespace: this.namespace })
        return false
      }
      return true
    } catch (e) {
      this.#logger.warn('index snapshot unusable; rebuilding from records', { namespace: this.namespace, error: String(e) })
      return false
    }
  }

  async #rebuildIndexes(): Promise<void> {
    this.#vectors = await this.#indexFactory({ dims: this.#embedder.dims })
    this.#keywords = new KeywordIndex()
    const ids = [...this.#records.keys()]
    const missing: MemoryRecord[] = []
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE)
      const vecBytes = await this.#store.getMany(page.map(this.#keys.vec))
      const addIds: string[] = []
      const addVectors: Float32Array[] = []
      for (let j = 0; j < page.length; j++) {
        const record = this.#records.get(page[j]!)!
        if (record.tier === 'archived') continue
        this.#keywords.add(record.id, record.content)
        const vec = vecBytes[j]
        const vector =
          vec && record.dims === this.#embedder.dims
            ? await readVectorOrMissing(this.#integrity(), this.#keys.vec(record.id), vec, this.#embedder.dims)
            : undefined
        if (vector) {
          addIds.push(record.id)
          addVectors.push(vector)
        } else missing.push(record)
      }
      this.#vectors.addMany(addIds, addVectors)
    }
    if (missing.length > 0) {
      this.#logger.warn('records without a usable vector; re-embedding', { count: missing.length })
      await this.#reembed(missing)
    }
    this.#snapshotSeq = 0
    this.#indexSeq = this.#seq
  }

  async #reembedAll(): Promise<void> {
    this.#logger.warn('embedder changed; re-embedding every memory', { namespace: this.namespace, embedder: this.#embedder.id })
    await this.#rebuildEmpty()
    await this.#reembed([...this.#records.values()])
  }

  async #rebuildEmpty(): Promise<void> {
    this.#vectors = await this.#indexFactory({ dims: this.#embedder.dims })
    this.#keywords = new KeywordIndex()
  }

  async #reembed(records: MemoryRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 64) {
      const page = records.slice(i, i + 64)
      const vectors = await this.#embed(page.map((r) => r.content))
      await this.#commit(
        page.map((r, j) => ({
          op: 'system' as const,
          id: r.id,
          record: { ...r, embeddingModel: this.#embedder.id, dims: this.#embedder.dims },
          vector: vectors[j]!,
          detail: { reason: 'reembed' },
        })),
      )
    }
  }

  // ---------------------------------------------------------------- writing

  /**
   * Commit entries in one transaction, then apply them to RAM. Nothing in RAM changes if the write fails.
   * Must run inside #write (serialized).
   */
  async #commit(pending: PendingEntry[]): Promise<LogEntry[]> {
    if (pending.length === 0) return []
    const at = this.#now()
    let seq = this.#seq
    let hash = this.#lastHash
    const ops: Parameters<NonNullable<StoreDriver['transaction']>>[0] = []
    const entries: LogEntry[] = []
    for (const p of pending) {
      seq++
      const entry: LogEntry = { seq, op: p.op, at }
      if (p.id !== undefined) entry.id = p.id
      if (p.record) entry.record = p.record
      if (p.removed) entry.removed = true
      if (p.touches) entry.touches = p.touches
      if (p.detail) entry.detail = p.detail
      if (this.#actor) entry.actor = this.#actor
      hash = await sealEntry(entry, hash)
      entries.push(entry)
      ops.push({ type: 'set', key: this.#keys.log(seq), value: await this.#encode(entry) })
      if (p.id !== undefined && p.op !== 'access') ops.push({ type: 'set', key: this.#keys.hist(p.id, seq), value: HIST_MARK })
      if (p.record) ops.push({ type: 'set', key: this.#keys.rec(p.record.id), value: await this.#encode(p.record) })
      if (p.vector && p.record?.tier === 'archived') {
        const packed = await this.#codec.encode(await packArchivedVector(p.vector))
        ops.push(
          { type: 'set', key: archiveKey(this.namespace, p.record.id), value: packed },
          { type: 'delete', key: this.#keys.vec(p.record.id) },
        )
      } else if (p.vector && p.record) {
        ops.push({ type: 'set', key: this.#keys.vec(p.record.id), value: await this.#codec.encode(vectorToBytes(p.vector)) })
        if (this.#records.get(p.record.id)?.tier === 'archived') ops.push({ type: 'delete', key: archiveKey(this.namespace, p.record.id) })
      }
      for (const r of p.rewrites ?? []) ops.push({ type: 'set', key: this.#keys.rec(r.id), value: await this.#encode(r) })
      if (p.removed && p.id !== undefined) {
        ops.push({ type: 'delete', key: this.#keys.rec(p.id) }, { type: 'delete', key: this.#keys.vec(p.id) })
        if (this.#records.get(p.id)?.tier === 'archived') ops.push({ type: 'delete', key: archiveKey(this.namespace, p.id) })
      }
      if (p.extraOps) ops.push(...p.extraOps)
    }
    ops.push({ type: 'set', key: this.#keys.head, value: await this.#encode({ ...this.#headValue(seq), hash }) })
    try {
      if (this.#store.transaction) await this.#store.transaction(ops)
      else throw memoryError('UNSUPPORTED', `The '${this.#store.name}' driver has no transactions; it cannot be a primary store`)
    } catch (e) {
      throw asMemoryError(e, 'STORAGE', `Could not write to the '${this.#store.name}' store`)
    }
    this.#seq = seq
    this.#lastHash = hash
    if (pending.some((p) => p.op !== 'access')) this.#indexSeq = seq
    for (const p of pending) {
      if (p.removed && p.id !== undefined) {
        this.#unindex(p.id)
        this.#records.delete(p.id)
      }
      if (p.record) {
        const previous = this.#records.get(p.record.id)
        if (previous) keepAccessCounters(p.record, previous)
        this.#records.set(p.record.id, p.record)
        if (p.record.tier === 'archived') this.#unindex(p.record.id)
        else {
          if (p.vector) {
            this.#vectors.remove(p.record.id)
            this.#vectors.add(p.record.id, p.vector)
          }
          if (!this.#keywords.has(p.record.id) || previous?.content !== p.record.content) this.#keywords.add(p.record.id, p.record.content)
        }
      }
    }
    if (this.#seq - this.#snapshotSeq >= this.#snapshotEvery && this.#snapshotDue()) this.#scheduleSnapshot()
    return entries
  }

  /** Serialize a mutation after every earlier one; inside the cross-writer lock when there is one. */
  #write<T>(fn: () => Promise<T>): Promise<T> {
    this.#assertOpen()
    const run = async () => {
      if (!this.#lock) return fn()
      return this.#lock(async () => {
        await this.#catchUp()
        return fn()
      })
    }
    const result = this.#queue.then(run, run)
    this.#queue = result.catch(() => undefined)
    return result
  }

  async store(content: string, options: StoreOptions = {}): Promise<string> {
    const [result] = await this.#storeMany([{ ...options, content }], options?.signal)
    return result!.id
  }

  async storeBatch(items: BatchItem[], options: StoreBatchOptions = {}): Promise<StoreResult[]> {
    this.#assertOpen()
    if (!Array.isArray(items)) throw memoryError('VALIDATION', 'storeBatch takes an array of items')
    if (items.length > this.#limits.maxBatchSize) {
      throw memoryError('VALIDATION', `A batch holds at most ${this.#limits.maxBatchSize} items, got ${items.length}`)
    }
    return this.#storeMany(items, options.signal, options.onProgress)
  }

  async #storeMany(
    items: BatchItem[],
    signal?: AbortSignal,
    onProgress?: (p: { done: number; total: number }) => void,
  ): Promise<StoreResult[]> {
    this.#assertOpen()
    const redaction = this.#redactor ? await redactItems(this.#redactor, items) : undefined
    if (redaction) items = redaction.items
    const ctx = this.#context()
    const records = items.map((item, i) => {
      assertObject(item, `batch item ${i}`)
      const { content, ...rest } = item
      try {
        return buildRecord(content, rest, ctx)
      } catch (e) {
        if (items.length > 1 && e instanceof Error) e.message = `batch item ${i}: ${e.message}`
        throw e
      }
    })
    const seen = new Set<string>()
    for (const r of records) {
      if (seen.has(r.id)) throw memoryError('CONFLICT', `Id '${r.id}' appears twice in the batch`)
      seen.add(r.id)
    }
    if (records.length === 0) return []
    await this.#self.fillEntities(records)
    const vectors: Float32Array[] = []
    for (let i = 0; i < records.length; i += 64) {
      signal?.throwIfAborted()
      vectors.push(
        ...(await this.#embed(
          records.slice(i, i + 64).map((r) => r.content),
          signal,
        )),
      )
      onProgress?.({ done: Math.min(i + 64, records.length), total: records.length })
    }
    return this.#write(async () => {
      signal?.throwIfAborted()
      for (const r of records) {
        if (this.#records.has(r.id) || this.#working.has(r.id)) throw memoryError('CONFLICT', `A memory with id '${r.id}' already exists`)
      }
      const plan = planWrite({
        records,
        vectors,
        explicitId: items.map((item) => item.id !== undefined),
        catalog: this.#records,
        get: (id) => this.#records.get(id),
        nearest: (vector, k) =>
          this.#vectors.size === 0
            ? []
            : this.#vectors.search(vector, Math.min(k, this.#vectors.size)).map((h) => ({ id: h.id, cosine: 1 - h.distance })),
        policy: this.#policy,
        now: this.#now(),
      })
      if (redaction) noteRedactions(plan.changes, records, redaction.found)
      for (const w of plan.working) this.#storeWorking(w.record, w.vector)
      await this.#commit(plan.changes)
      this.#self.afterStore(plan)
      return plan.results
    })
  }

  #storeWorking(record: MemoryRecord, vector: Float32Array | undefined): void {
    const previous = this.#working.get(record.id)
    this.#working.set(record.id, record)
    if (vector) {
      this.#workingVectors.remove(record.id)
      this.#workingVectors.add(record.id, vector)
    }
    if (previous?.content !== record.content) this.#workingKeywords.add(record.id, record.content)
    const history = this.#workingHistory.get(record.id) ?? []
    history.push({
      seq: ++this.#workingSeq,
      op: history.length === 0 ? 'store' : 'update',
      at: this.#now(),
      version: record.version,
      record,
    })
    this.#workingHistory.set(record.id, history)
  }

  async update(id: string, patch: UpdatePatch): Promise<MemoryRecord> {
    this.#assertOpen()
    checkId(id)
    const redaction = this.#redactor ? await redactInput(this.#redactor, patch) : undefined
    if (redaction) patch = redaction.input
    const draft = applyPatch(this.#mustGet(id), patch, this.#context())
    const vector =
      patch.content === undefined ? await this.#self.vectorForTierMove(this.#mustGet(id), draft) : (await this.#embed([draft.content]))[0]
    return this.#write(async () => {
      const current = this.#mustGet(id)
      const next = applyPatch(current, patch, this.#context())
      if (current.tier === 'working') {
        this.#storeWorking(next, vector)
      } else {
        const entry: PendingEntry = { op: 'update', id, record: next }
        if (redaction && Object.keys(redaction.found).length > 0) entry.detail = { redacted: redaction.found }
        if (vector) entry.vector = vector
        await this.#commit([entry])
      }
      this.#emit('updated', [id], { version: next.version })
      return structuredClone(next)
    })
  }

  async forget(idOrQuery: string | ForgetQuery): Promise<number> {
    this.#assertOpen()
    if (typeof idOrQuery === 'string') {
      checkId(idOrQuery)
      return this.#write(async () => {
        this.#mustGet(idOrQuery)
        return this.#remove([idOrQuery], 'forget')
      })
    }
    const predicate = this.#forgetPredicate(idOrQuery)
    return this.#write(async () => {
      const now = this.#now()
      const ids = this.#allRecords()
        .filter((r) => predicate(r, now))
        .map((r) => r.id)
      return this.#remove(ids, 'forget')
    })
  }

  #forgetPredicate(query: ForgetQuery): (r: MemoryRecord, now: number) => boolean {
    assertObject(query, 'forget query')
    const known = ['filter', 'tier', 'types', 'olderThan', 'maxImportance', 'maxAccessCount', 'ids']
    const given = Object.keys(query).filter((k) => (query as Record<string, unknown>)[k] !== undefined)
    const unknown = given.filter((k) => !known.includes(k))
    if (unknown.length > 0) throw memoryError('VALIDATION', `Unknown forget criteria: ${unknown.join(', ')}`)
    if (given.length === 0) throw memoryError('VALIDATION', 'forget needs at least one criterion (refusing to forget everything)')
    const filter = compileFilter(query.filter, this.#limits.maxFilterDepth)
    const tier = query.tier === undefined ? undefined : checkTier(query.tier)
    const types = query.types === undefined ? undefined : checkTypes(query.types)
    const olderThan = query.olderThan === undefined ? undefined : checkNonNegative(query.olderThan, 'olderThan')
    const maxImportance = query.maxImportance === undefined ? undefined : checkUnit(query.maxImportance, 'maxImportance')
    const maxAccess = query.maxAccessCount === undefined ? undefined : checkNonNegative(query.maxAccessCount, 'maxAccessCount')
    const ids = query.ids === undefined ? undefined : new Set(checkIdList(query.ids))
    return (r, now) =>
      filter(r) &&
      (tier === undefined || r.tier === tier) &&
      (types === undefined || types.has(r.type)) &&
      (olderThan === undefined || r.createdAt < now - olderThan) &&
      (maxImportance === undefined || r.importance <= maxImportance) &&
      (maxAccess === undefined || r.accessCount <= maxAccess) &&
      (ids === undefined || ids.has(r.id))
  }

  async #remove(ids: string[], op: 'forget' | 'expire'): Promise<number> {
    const persisted = ids.filter((id) => this.#records.has(id))
    for (const id of ids) {
      if (!this.#working.has(id)) continue
      this.#working.delete(id)
      this.#workingVectors.remove(id)
      this.#workingKeywords.remove(id)
    }
    for (let i = 0; i < persisted.length; i += 1000) {
      await this.#commit(persisted.slice(i, i + 1000).map((id) => ({ op, id, removed: true })))
    }
    if (ids.length > 0) this.#emit(op === 'forget' ? 'forgotten' : 'expired', ids)
    return ids.length
  }

  // ---------------------------------------------------------------- reading

  async get(id: string): Promise<MemoryRecord> {
    const record = await this.find(id)
    if (!record) throw memoryError('NOT_FOUND', `No memory with id '${id}'`)
    return record
  }

  async find(id: string): Promise<MemoryRecord | null> {
    this.#assertOpen()
    checkId(id)
    const record = this.#records.get(id) ?? this.#working.get(id)
    return record && this.#alive(record, this.#now()) ? structuredClone(record) : null
  }

  #mustGet(id: string): MemoryRecord {
    const record = this.#records.get(id) ?? this.#working.get(id)
    if (!record || !this.#alive(record, this.#now())) throw memoryError('NOT_FOUND', `No memory with id '${id}'`)
    return record
  }

  #alive(record: MemoryRecord, now: number): boolean {
    return record.expiresAt === undefined || record.expiresAt > now
  }

  /** A thread's memories in every tier, oldest first (the working tier is small: it is scanned). */
  #inThread(thread: string): ThreadView {
    const stored = this.#records.inThread(thread)
    if (this.#working.size === 0) return stored
    const working = [...this.#working.values()].filter((r) => threadOf(r) === thread)
    return working.length === 0 ? stored : threadView([...stored.records, ...working].sort(byCreatedAt))
  }

  #allRecords(): MemoryRecord[] {
    return [...this.#records.values(), ...this.#working.values()]
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    this.#assertOpen()
    assertObject(options, 'list options')
    const limit = options.limit ?? 100
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw memoryError('VALIDATION', 'limit must be an integer in 1..10000')
    if (options.cursor !== undefined && typeof options.cursor !== 'string') throw memoryError('VALIDATION', 'cursor must be a string')
    const visible = this.#visibility({ ...options, tiers: options.tiers ?? [...MEMORY_TIERS] })
    const now = this.#now()
    const ids = this.#allRecords()
      .filter((r) => visible(r, now) && (options.cursor === undefined || r.id > options.cursor))
      .map((r) => r.id)
      .sort()
    const page = ids.slice(0, limit)
    const items = page.map((id) => structuredClone((this.#records.get(id) ?? this.#working.get(id))!))
    return ids.length > limit ? { items, cursor: page[page.length - 1]! } : { items }
  }

  async count(options: Omit<ListOptions, 'cursor' | 'limit'> = {}): Promise<number> {
    this.#assertOpen()
    const visible = this.#visibility({ ...options, tiers: options.tiers ?? [...MEMORY_TIERS] })
    const now = this.#now()
    return this.#allRecords().filter((r) => visible(r, now)).length
  }

  /** One predicate for list/count/recall: tiers, types, filter, scope, expiry and validity. */
  #visibility(options: {
    types?: MemoryType[]
    tiers?: MemoryTier[]
    filter?: unknown
    scope?: unknown
    asOf?: number
  }): (r: MemoryRecord, now: number) => boolean {
    const types = options.types === undefined ? undefined : checkTypes(options.types)
    const tiers = new Set(
      options.tiers === undefined ? MEMORY_TIERS.filter((t) => t !== 'archived') : checkList(options.tiers, 'tiers').map(checkTier),
    )
    const filter: RecordPredicate = compileFilter(options.filter, this.#limits.maxFilterDepth)
    const scope = options.scope === undefined ? undefined : Object.entries(checkScope(options.scope))
    const asOf = options.asOf
    if (asOf !== undefined && (typeof asOf !== 'number' || !Number.isFinite(asOf))) throw memoryError('VALIDATION', 'asOf must be epoch ms')
    return (r, now) =>
      tiers.has(r.tier) &&
      this.#alive(r, now) &&
      (types === undefined || types.has(r.type)) &&
      (scope === undefined || scope.every(([k, v]) => (r.scope as Record<string, string>)[k] === v)) &&
      (asOf === undefined ? r.validTo === undefined : r.createdAt <= asOf && (r.validTo === undefined || r.validTo > asOf)) &&
      filter(r)
  }

  async recall(query: string, options: RecallOptions = {}): Promise<RecallHit[]> {
    this.#assertOpen()
    const started = performance.now()
    checkContent(query, this.#limits, 'query')
    assertObject(options, 'recall options')
    const redactedQuery = this.#redactor ? await this.#redactor.text(query) : undefined
    if (redactedQuery) query = redactedQuery.text
    const k = options.k ?? 10
    if (!Number.isInteger(k) || k < 1 || k > this.#limits.maxK)
      throw memoryError('VALIDATION', `k must be an integer in 1..${this.#limits.maxK}`)
    const minRelevance = options.minRelevance === undefined ? 0 : checkUnit(options.minRelevance, 'minRelevance')
    const mode = options.mode ?? 'hybrid'
    if (!['hybrid', 'vector', 'keyword'].includes(mode)) throw memoryError('VALIDATION', `Unknown recall mode '${String(mode)}'`)
    const visible = this.#visibility(options)
    await this.#sweepIfDue()
    const now = this.#now()
    const restricted =
      options.filter !== undefined || options.types !== undefined || options.tiers !== undefined || options.scope !== undefined
    const fanout = Math.max(k * 5, 50)
    const candidates = new Map<string, Candidate>()
    const allowed = (id: string) => {
      const r = this.#records.get(id) ?? this.#working.get(id)
      return r !== undefined && visible(r, now)
    }
    const allowList = restricted
      ? this.#allRecords()
          .filter((r) => visible(r, now))
          .map((r) => r.id)
      : undefined
    if (allowList?.length === 0) return []

    let vector: Float32Array | undefined
    if (mode !== 'keyword') {
      ;[vector] = await this.#embed([query], options.signal, 'query')
      for (const index of [this.#vectors, this.#workingVectors]) {
        if (index.size === 0) continue
        const hits = index.search(vector!, Math.min(fanout, index.size), allowList ? { allow: allowList } : {})
        hits
          .filter((h) => allowed(h.id))
          .forEach((h, rank) => {
            candidates.set(h.id, { id: h.id, cosine: 1 - h.distance, vectorRank: rank })
          })
      }
      if (mode === 'hybrid') {
        const keywordHits = [
          ...this.#keywords.search(query, fanout, allowed),
          ...this.#workingKeywords.search(query, fanout, allowed),
        ].sort((a, b) => b.normalized - a.normalized)
        const keywordOnly: string[] = []
        keywordHits.forEach((h, rank) => {
          const c = candidates.get(h.id)
          if (c) Object.assign(c, { keyword: h.normalized, keywordRank: rank })
          else {
            candidates.set(h.id, { id: h.id, keyword: h.normalized, keywordRank: rank })
            keywordOnly.push(h.id)
          }
        })
        this.#scoreVectors(vector!, keywordOnly, candidates)
      }
    } else {
      const hits = [...this.#keywords.search(query, fanout, allowed), ...this.#workingKeywords.search(query, fanout, allowed)]
      hits.sort((a, b) => b.normalized - a.normalized)
      hits.forEach((h, rank) => {
        candidates.set(h.id, { id: h.id, keyword: h.normalized, keywordRank: rank })
      })
    }

    if (options.tiers?.includes('archived'))
      await this.#self.addArchivedCandidates(query, mode, fanout, (r) => visible(r, now), candidates, options.signal)

    const getRecord = (id: string) => this.#records.get(id) ?? this.#working.get(id)
    const layout = threadLayout(candidates.keys(), getRecord, { inThread: (thread) => this.#inThread(thread) })
    const { neighbours, episodes } = layout
    if (mode !== 'vector') this.#scorePassages(query, [...candidates.keys()], layout, candidates)
    let keywordBest = 0
    for (const c of candidates.values()) keywordBest = Math.max(keywordBest, keywordOf(c))
    const relevances = (passages = true) =>
      new Map(
        [...candidates.values()].map((c) => [
          c.id,
          relevanceOf(passages ? c : { ...c, passage: undefined }, mode, this.#ranking, keywordBest),
        ]),
      )
    // Neighbours of relevant candidates join with their own similarity to the query, so context lifts
    // them from where they stand rather than from zero.
    const lifted = contextCandidates(relevances(), neighbours).filter(allowed)
    for (const id of lifted) candidates.set(id, { id })
    if (vector) this.#scoreVectors(vector, lifted, candidates)
    if (mode !== 'vector') this.#scorePassages(query, lifted, layout, candidates)
    const speakers = speakerWeights(candidates.keys(), query, getRecord)
    const priors = (relevance: Map<string, number>) => withEpisodes(weighed(relevance, speakers), episodes)
    const fused = withContext(priors(relevances()), neighbours, undefined, priors(relevances(false)))
    const scored: RecallHit[] = []
    for (const c of candidates.values()) {
      const record = getRecord(c.id)
      if (!record) continue
      const relevance = fused.get(c.id) ?? 0
      if (relevance <= 0 || relevance < minRelevance) continue
      const { score, explain } = scoreOf(record, relevance, c, now, this.#ranking)
      scored.push({ memory: record, score, explain })
    }
    scored.sort((a, b) => b.score - a.score || (a.memory.id < b.memory.id ? -1 : 1))
    const hits = scored.slice(0, k)
    const audit = recallAudit(hits, k, mode, redactedQuery?.found)
    let result: RecallHit[]
    if (options.peek) {
      await this.#touch([], now, audit)
      result = hits.map((h) => ({ ...h, memory: structuredClone(h.memory) }))
    } else result = await this.#touch(hits, now, audit)
    if (options.includeRelated) result.push(...this.#self.relatedHits(result, options.maxDepth, (r) => visible(r, now)))
    this.#retrieval.count++
    this.#retrieval.latencySum += performance.now() - started
    this.#retrieval.scoreSum += result[0]?.score ?? 0
    this.#emit(
      'recalled',
      result.map((h) => h.memory.id),
      { query: query.slice(0, 200), k },
    )
    return result
  }

  /** Passage BM25 (ranking.ts passageOf) of long-term candidates that have neighbours in their episode. */
  #scorePassages(query: string, ids: string[], layout: ThreadLayout, candidates: Map<string, Candidate>): void {
    const withPassage: string[] = []
    const passages: string[][] = []
    for (const id of ids) {
      // Working memories keep their own score: the passage reads the long-term keyword index.
      const passage = this.#keywords.has(id) ? passageOf(id, layout) : undefined
      if (!passage) continue
      withPassage.push(id)
      passages.push(passage)
    }
    if (passages.length === 0) return
    const scores = this.#keywords.passageScores(query, passages)
    withPassage.forEach((id, i) => {
      candidates.get(id)!.passage = scores[i]!
    })
  }

  /** Exact cosine for keyword-only candidates, so fusion compares like with like. */
  #scoreVectors(vector: Float32Array, ids: string[], candidates: Map<string, Candidate>): void {
    if (ids.length === 0) return
    for (const index of [this.#vectors, this.#workingVectors]) {
      const inIndex = ids.filter((id) => index.has(id))
      if (inIndex.length === 0) continue
      for (const h of index.search(vector, inIndex.length, { allow: inIndex })) {
        const c = candidates.get(h.id)
        if (c) c.cosine = 1 - h.distance
      }
    }
  }

  /** Count the access, renew short-term TTLs; persisted in the background, visible at once. */
  async #touch(hits: RecallHit[], now: number, audit?: Record<string, unknown>): Promise<RecallHit[]> {
    const touched: string[] = []
    const result = hits.map((hit) => {
      // Access counters change in place: a write in flight that replaces this record keeps the larger values.
      const record = hit.memory
      record.accessCount++
      record.lastAccessedAt = now
      if (record.tier === 'short-term') record.expiresAt = now + (record.ttlMs ?? this.#ttl)
      if (record.tier !== 'working') touched.push(record.id)
      return { ...hit, memory: structuredClone(record) }
    })
    if (touched.length === 0 && !audit) return result
    if (this.#pendingAccess) {
      // A bookkeeping write is already queued: join it (many concurrent recalls, one transaction).
      for (const id of touched) this.#pendingAccess.ids.add(id)
      if (audit) this.#pendingAccess.audits.push(audit)
      return result
    }
    const pending = { ids: new Set(touched), audits: audit ? [audit] : [] }
    this.#pendingAccess = pending
    this.#write(() => {
      this.#pendingAccess = undefined
      // Persist what is current when the write runs (it may hold later accesses, or be gone).
      const current = [...pending.ids].map((id) => this.#records.get(id)).filter((r): r is MemoryRecord => r !== undefined)
      const touches = current.map((r) => {
        const t: Touch = { id: r.id, accessCount: r.accessCount, lastAccessedAt: r.lastAccessedAt }
        if (r.expiresAt !== undefined) t.expiresAt = r.expiresAt
        return t
      })
      // One log entry per audited recall; the first carries the counters.
      const details: (Record<string, unknown> | undefined)[] = pending.audits.length > 0 ? pending.audits : [undefined]
      const entries = details.map((detail, i): PendingEntry => {
        const entry: PendingEntry =
          i === 0 ? { op: 'access', touches, rewrites: current.map((r) => structuredClone(r)) } : { op: 'access', touches: [] }
        if (detail) entry.detail = detail
        return entry
      })
      return this.#commit(entries)
    }).catch((e) => this.#logger.warn('could not persist access counts', { error: String(e) }))
    return result
  }

  async history(id: string): Promise<HistoryEntry[]> {
    this.#assertOpen()
    checkId(id)
    const working = this.#workingHistory.get(id)
    if (working) return structuredClone(working)
    const keys = await this.#listAll(this.#keys.histPrefix(id))
    const seqs = keys.map(seqOfLogKey).sort((a, b) => a - b)
    const entries = await this.#readLog(seqs)
    const history = entries.map((e) => {
      const item: HistoryEntry = { seq: e.seq, op: e.op, at: e.at, version: e.record?.version ?? 0 }
      if (e.record) item.record = e.record
      return item
    })
    if (history.length === 0 && !this.#records.has(id)) throw memoryError('NOT_FOUND', `No memory with id '${id}' and no history for it`)
    return history
  }

  // ---------------------------------------------------------------- lifecycle

  async #sweepIfDue(): Promise<void> {
    const now = this.#now()
    if (now < this.#nextSweep) return
    this.#nextSweep = now + MINUTE
    const expired = this.#allRecords().filter((r) => !this.#alive(r, now))
    if (expired.length === 0) return
    this.#write(() => {
      const stillExpired = expired.filter((r) => {
        const cur = this.#records.get(r.id) ?? this.#working.get(r.id)
        return cur !== undefined && !this.#alive(cur, this.#now())
      })
      return this.#remove(
        stillExpired.map((r) => r.id),
        'expire',
      )
    }).catch((e) => this.#logger.warn('could not remove expired memories', { error: String(e) }))
  }

  async optimize(): Promise<Record<string, unknown>> {
    this.#assertOpen()
    this.#nextSweep = 0
    await this.#sweepIfDue()
    await this.#write(async () => undefined)
    const lifecycle = await this.#self.lifecycle()
    await this.#writeSnapshot()
    return { expired: 0, ...lifecycle, snapshotSeq: this.#snapshotSeq, records: this.#records.size }
  }

  #snapshotDue(): boolean {
    const cost = this.#snapshotCost
    return cost <= SNAPSHOT_CHEAP_MS || performance.now() - this.#snapshotDoneAt >= SNAPSHOT_SPACING * cost
  }

  #scheduleSnapshot(): void {
    this.#queue = this.#queue
      .then(() => this.#writeSnapshot())
      .catch((e) => this.#logger.warn('index snapshot failed', { error: String(e) }))
  }

  async #writeSnapshot(locked = false): Promise<void> {
    const write = async () => {
      const started = performance.now()
      // At 100k memories this is seconds of work: it gives the event loop turns between its steps, so a
      // recall (or, in a Durable Object, another request) waits for one step, not the whole snapshot.
      // A write that lands meanwhile may be in the snapshot or not; either way it comes after `seq`, and
      // opening replays the log after `seq` for every memory it touched.
      const seq = this.#seq
      const keywords = this.#keywords
      const vectors = this.#vectors.serialize()
      await yieldToEventLoop()
      const bytes = writeIndexSnapshot({
        seq,
        embedder: this.#embedder.id,
        dims: this.#embedder.dims,
        vectors,
        keywords: await keywords.serializeYielding(),
      })
      await yieldToEventLoop()
      await this.#store.set(this.#keys.snapshot, await this.#codec.encode(bytes))
      this.#snapshotSeq = seq
      this.#snapshotDoneAt = performance.now()
      this.#snapshotCost = this.#snapshotDoneAt - started
    }
    // One snapshot write at a time: two racing writes of the same key can leave the loser's bytes behind
    // in a tiered store (an orphaned R2 blob still holding forgotten content).
    const run = this.#snapshotChain.then(() => (this.#lock && !locked ? this.#lock(write) : write()))
    this.#snapshotChain = run.catch(() => undefined)
    await run
  }

  async stats(): Promise<MemoryStats> {
    this.#assertOpen()
    const now = this.#now()
    const byTier = Object.fromEntries(MEMORY_TIERS.map((t) => [t, 0])) as Record<MemoryTier, number>
    const byType = Object.fromEntries(MEMORY_TYPES.map((t) => [t, 0])) as Record<MemoryType, number>
    let bytes = 0
    let total = 0
    for (const r of this.#allRecords()) {
      if (!this.#alive(r, now)) continue
      total++
      byTier[r.tier]++
      byType[r.type]++
      bytes += r.content.length * 2 + JSON.stringify(r.metadata).length
    }
    const { count, scoreSum, latencySum } = this.#retrieval
    const stats: MemoryStats = {
      namespace: this.namespace,
      total,
      byTier,
      byType,
      bytes,
      logSeq: this.#seq,
      embedder: { id: this.#embedder.id, dims: this.#embedder.dims },
      index: { kind: this.#vectors.kind, size: this.#vectors.size + this.#workingVectors.size },
      retrieval: { count, meanScore: count ? scoreSum / count : 0, meanLatencyMs: count ? latencySum / count : 0 },
    }
    if (this.#store.estimate) stats.storage = await this.#store.estimate()
    return stats
  }

  async health(): Promise<HealthReport> {
    this.#assertOpen()
    const issues: HealthReport['issues'] = []
    const now = this.#now()
    const persisted = [...this.#records.values()].filter((r) => r.tier !== 'archived').length
    if (this.#vectors.size !== persisted) {
      issues.push({
        code: 'INDEX_MISMATCH',
        message: 'The vector index and the records disagree',
        count: Math.abs(this.#vectors.size - persisted),
      })
    }
    const expired = this.#allRecords().filter((r) => !this.#alive(r, now)).length
    if (expired > 0) issues.push({ code: 'EXPIRED_PENDING', message: 'Expired short-term memories await removal', count: expired })
    const behind = this.#seq - this.#snapshotSeq
    if (behind > this.#snapshotEvery * 2)
      issues.push({ code: 'SNAPSHOT_STALE', message: 'The index snapshot is far behind the log', count: behind })
    const score = Math.max(0, 1 - issues.reduce((s, i) => s + (i.code === 'INDEX_MISMATCH' ? 0.5 : 0.1), 0))
    return { ok: issues.every((i) => i.code !== 'INDEX_MISMATCH'), score, issues }
  }

  // ---------------------------------------------------------------- export, import, snapshots

  async *export(options: { includeEmbeddings?: boolean } = {}): AsyncIterable<ExportedRecord> {
    this.#assertOpen()
    const includeEmbeddings = options.includeEmbeddings ?? true
    const ids = [...this.#records.keys()].sort()
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE).filter((id) => this.#records.has(id))
      // Hot vectors are exact; archived ones come back from their int8 form (close, not bit-identical).
      const vectors = includeEmbeddings ? await this.#vectorsOf(page) : new Map<string, Float32Array>()
      for (const id of page) {
        const out: ExportedRecord = structuredClone(this.#records.get(id)!)
        const vector = vectors.get(id)
        if (vector) out.embedding = Array.from(vector)
        yield out
      }
    }
  }

  async import(
    source: Iterable<ExportedRecord> | AsyncIterable<ExportedRecord> | string,
    options: ImportOptions = {},
  ): Promise<{ imported: number }> {
    this.#assertOpen()
    const records: MemoryRecord[] = []
    const given: (Float32Array | undefined)[] = []
    let line = 0
    for await (const raw of iterateSource(source)) {
      line++
      options.signal?.throwIfAborted()
      try {
        const value = typeof raw === 'string' ? JSON.parse(raw) : raw
        const checked = checkImportedRecord(value, this.#limits)
        const record = this.#redactor ? (await redactInput(this.#redactor, checked)).input : checked
        const embedding = (value as ExportedRecord).embedding
        const usable =
          Array.isArray(embedding) &&
          record.content === checked.content &&
          record.embeddingModel === this.#embedder.id &&
          embedding.length === this.#embedder.dims
        given.push(usable ? checkEmbedding(embedding) : undefined)
        records.push(record)
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e)
        throw memoryError('VALIDATION', `Import failed at record ${line}: ${reason}; nothing was imported`, { details: { line }, cause: e })
      }
    }
    const ids = new Set<string>()
    for (const [i, r] of records.entries()) {
      if (ids.has(r.id))
        throw memoryError('VALIDATION', `Import failed at record ${i + 1}: duplicate id '${r.id}'; nothing was imported`, {
          details: { line: i + 1 },
        })
      ids.add(r.id)
    }
    const missing = records.map((_record, i) => (given[i] ? -1 : i)).filter((i) => i >= 0)
    for (let i = 0; i < missing.length; i += 64) {
      const page = missing.slice(i, i + 64)
      const vectors = await this.#embed(
        page.map((j) => records[j]!.content),
        options.signal,
      )
      page.forEach((j, n) => {
        given[j] = vectors[n]
      })
      // Embedding is the slow part: report it page by page; the write itself is one transaction.
      options.onProgress?.({
        done: records.length - missing.length + Math.min(i + 64, missing.length),
        total: records.length,
        phase: 'embedding',
      })
    }
    return this.#write(async () => {
      const pending: PendingEntry[] = records.map((record, i) => ({
        op: 'import',
        id: record.id,
        record: { ...record, embeddingModel: this.#embedder.id, dims: this.#embedder.dims },
        vector: given[i]!,
      }))
      await this.#commit(pending)
      options.onProgress?.({ done: records.length, total: records.length, phase: 'written' })
      this.#emit(
        'imported',
        records.map((r) => r.id),
      )
      return { imported: records.length }
    })
  }

  async snapshot(label?: string): Promise<SnapshotInfo> {
    if (label !== undefined && (typeof label !== 'string' || label.length > 200))
      throw memoryError('VALIDATION', 'label must be a string of at most 200 characters')
    return this.#write(async () => {
      const info: SnapshotInfo = {
        id: `s${this.#seq.toString().padStart(12, '0')}-${randomSuffix()}`,
        seq: this.#seq,
        createdAt: this.#now(),
      }
      if (label !== undefined) info.label = label
      await this.#store.set(this.#keys.mark(info.id), await this.#encode(info))
      return info
    })
  }

  async snapshots(): Promise<SnapshotInfo[]> {
    this.#assertOpen()
    const keys = await this.#listAll(this.#keys.markPrefix)
    const values = await this.#store.getMany(keys)
    const out: SnapshotInfo[] = []
    for (const v of values) if (v) out.push(await this.#decode<SnapshotInfo>(v))
    return out.sort((a, b) => a.seq - b.seq)
  }

  /** Restore every memory to its state at the snapshot; the rollback itself is logged (history stays whole). */
  async rollback(snapshotId: string): Promise<{ restored: number }> {
    this.#assertOpen()
    if (typeof snapshotId !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(snapshotId)) throw memoryError('VALIDATION', 'Invalid snapshot id')
    return this.#write(async () => {
      const bytes = await this.#store.get(this.#keys.mark(snapshotId))
      if (!bytes) throw memoryError('NOT_FOUND', `No snapshot '${snapshotId}'`)
      const mark = await this.#decode<SnapshotInfo>(bytes)
      const later = (await this.#readLogAfter(mark.seq, this.#seq)).filter((e) => e.id !== undefined && e.op !== 'access')
      const ids = [...new Set(later.map((e) => e.id!))]
      const pending: PendingEntry[] = []
      const toEmbed: { index: number; content: string }[] = []
      for (const id of ids) {
        const seqs = (await this.#listAll(this.#keys.histPrefix(id))).map(seqOfLogKey).filter((s) => s <= mark.seq)
        const last = seqs.length ? (await this.#readLog([Math.max(...seqs)]))[0] : undefined
        // forgetSubject purged that state: keep what is there now rather than invent an absence.
        if (last?.tombstone) continue
        const then = last && !last.removed ? last.record : undefined
        const now = this.#records.get(id)
        if (!then && now) pending.push({ op: 'rollback', id, removed: true, detail: { snapshot: snapshotId } })
        if (then) {
          const restored: MemoryRecord = { ...then, version: (now?.version ?? then.version) + 1, updatedAt: this.#now() }
          pending.push({ op: 'rollback', id, record: restored, detail: { snapshot: snapshotId } })
          toEmbed.push({ index: pending.length - 1, content: restored.content })
        }
      }
      for (let i = 0; i < toEmbed.length; i += 64) {
        const page = toEmbed.slice(i, i + 64)
        const vectors = await this.#embed(page.map((p) => p.content))
        page.forEach((p, n) => {
          pending[p.index]!.vector = vectors[n]!
        })
      }
      await this.#commit(pending)
      this.#emit('rolledback', ids, { snapshot: snapshotId })
      return { restored: pending.length }
    })
  }

  // ---------------------------------------------------------------- the self-managing layer (src/core/self-managing.ts)

  /** Cluster similar recent memories into one canonical memory each; idempotent. */
  async consolidate(options: ConsolidateOptions = {}): Promise<ConsolidationResult> {
    this.#assertOpen()
    return this.#self.consolidate(options)
  }

  /** Store an extractive (or callback-written) summary of the selected memories; resolves to it. */
  async summarize(options: SummarizeOptions = {}): Promise<MemoryRecord> {
    this.#assertOpen()
    return this.#self.summarize(options)
  }

  /** Pack summaries, relevant memories and recent turns into a token budget, ready for a prompt. */
  async context(options: ContextOptions = {}): Promise<ContextResult> {
    this.#assertOpen()
    return this.#self.context(options)
  }

  /** Recall for several queries at once, one ranked list (aggregated by rrf, max or mean). */
  async recallMany(queries: string[], options: RecallManyOptions = {}): Promise<RecallHit[]> {
    this.#assertOpen()
    return this.#self.recallMany(queries, options)
  }

  /** Memories created in the last `hours`, newest first. */
  async recent(options: RecentOptions = {}): Promise<MemoryRecord[]> {
    this.#assertOpen()
    return this.#self.recent(options)
  }

  /** Was this memory helpful? Moves its importance within the policy's bounds. */
  async feedback(id: string, signal: FeedbackSignal): Promise<MemoryRecord> {
    this.#assertOpen()
    return this.#self.feedback(id, signal)
  }

  /** Memories connected to this one through shared entities, links and sources. */
  async related(id: string, options: RelatedOptions = {}): Promise<RelatedMemory[]> {
    this.#assertOpen()
    return this.#self.related(id, options)
  }

  /** Counts, importance and accesses by type over a time range, with retrieval stats and health. */
  async report(options: ReportOptions = {}): Promise<MemoryReport> {
    this.#assertOpen()
    return this.#self.report(options, await this.health())
  }

  /** The internal seam the self-managing modules work through (never exported). */
  #host(): MemoryHost {
    return {
      namespace: this.namespace,
      policy: this.#policy,
      ranking: this.#ranking,
      now: () => this.#now(),
      records: () => this.#allRecords(),
      get: (id) => this.#records.get(id) ?? this.#working.get(id),
      vectorsOf: (ids) => this.#vectorsOf(ids),
      embed: (texts, kind = 'passage', signal) => this.#embed(texts, signal, kind),
      write: (fn) => this.#write(fn),
      commit: async (changes) => {
        await this.#commit(changes)
      },
      emit: (type, ids, detail) => this.#emit(type, ids, detail),
      recall: (query, options) => this.recall(query, options),
      touch: (hits) => this.#touch(hits, this.#now()),
      nearest: (vector, k) =>
        this.#vectors.size === 0
          ? []
          : this.#vectors.search(vector, Math.min(k, this.#vectors.size)).map((h) => ({ id: h.id, cosine: 1 - h.distance })),
      buildContext: () => this.#context(),
      countTokens: tokenCounterOf(this.#embedder),
      warn: (message, data) => this.#logger.warn(message, data),
      retrieval: () => {
        const { count, scoreSum, latencySum } = this.#retrieval
        return { count, meanScore: count ? scoreSum / count : 0, meanLatencyMs: count ? latencySum / count : 0 }
      },
    }
  }

  /** Stored vectors, hot (`vec/`) or archived (`arc/`, decompressed); working memories from RAM. */
  async #vectorsOf(ids: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>()
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE)
      const [vecs, arcs] = await Promise.all([
        this.#store.getMany(page.map(this.#keys.vec)),
        this.#store.getMany(page.map((id) => archiveKey(this.namespace, id))),
      ])
      for (let j = 0; j < page.length; j++) {
        const id = page[j]!
        const vec = vecs[j]
        const arc = arcs[j]
        if (vec) out.set(id, bytesToVector(await this.#codec.decode(vec), this.#embedder.dims))
        else if (arc) out.set(id, await unpackArchivedVector(await this.#codec.decode(arc), this.#embedder.dims))
        else if (this.#working.has(id)) out.set(id, (await this.#embed([this.#working.get(id)!.content]))[0]!)
      }
    }
    return out
  }

  // ---------------------------------------------------------------- events and closing

  on(event: MemoryEventName | '*', handler: MemoryEventHandler): () => void {
    return this.#events.on(event, handler)
  }

  off(event: MemoryEventName | '*', handler: MemoryEventHandler): void {
    this.#events.off(event, handler)
  }

  #emit(type: MemoryEventName, ids: string[], detail?: Record<string, unknown> & { deduplicated?: boolean }): void {
    const { deduplicated, ...rest } = detail ?? {}
    const event = {
      type,
      at: this.#now(),
      ids,
      ...(deduplicated === undefined ? {} : { deduplicated }),
      ...(detail ? { detail: rest } : {}),
    }
    this.#events.emit(event)
  }

  /** Finish pending writes, write an index snapshot, release resources. Further calls reject with CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return
    if (this.#scheduleTimer !== undefined) clearInterval(this.#scheduleTimer)
    this.#scheduleTimer = undefined
    await this.#self.settled()
    await this.#queue
    // Access bookkeeping alone (recalls since the last snapshot) leaves the indexes as the snapshot has
    // them: reopening replays those few entries instead of closing with a whole-index rewrite.
    if (this.#indexSeq > this.#snapshotSeq || this.#seq - this.#snapshotSeq >= this.#snapshotEvery)
      await this.#writeSnapshot().catch((e) => this.#logger.warn('final snapshot failed', { error: String(e) }))
    this.#closed = true
    this.#events.clear()
    this.#vectors.dispose?.()
    await this.#store.close?.()
  }

  /** Wait until every queued write (including background access bookkeeping) is durable. */
  async flush(): Promise<void> {
    await this.#self.settled()
    await this.#queue
  }

  // ---------------------------------------------------------------- privacy (src/security)

  /**
   * Remove a person's memories everywhere: records, vectors, indexes and their snapshot, derived
   * summaries, graph links and history (tombstoned, the audit chain kept). See forget-subject.ts.
   * @example
   * const report = await mem.forgetSubject({ userId: 'u42' })
   */
  async forgetSubject(query: ForgetSubjectQuery, options?: ForgetSubjectOptions): Promise<ForgetSubjectReport> {
    this.#assertOpen()
    const report = await forgetSubject(this.#securityHost(), query, options)
    if (report.auditSeq > 0 || report.working > 0) this.#emit('forgotten', [], { subject: report.subject })
    return report
  }

  /** Check the audit hash chain over the whole log (waits for queued writes first). */
  async verifyAudit(): Promise<AuditReport> {
    this.#assertOpen()
    await this.flush()
    return verifyAuditLog(this.#auditSource())
  }

  /** The audit trail, oldest first: who did what and when, never the content. */
  exportAudit(options?: ExportAuditOptions): AsyncIterable<AuditEvent> {
    this.#assertOpen()
    return exportAuditLog(this.#auditSource(), options)
  }

  /** New data key (and passphrase/key when given); re-encrypts every blob while the memory stays usable. */
  async rotateKey(next?: EncryptionOptions, options?: RotateOptions): Promise<RotationReport> {
    this.#assertOpen()
    return rotateKey(this.#securityHost(), next, options)
  }

  #integrity() {
    return { store: this.#store, codec: this.#codec, keys: this.#keys, logger: this.#logger }
  }

  #auditSource() {
    return { store: this.#store, codec: this.#codec, logPrefix: this.#keys.logPrefix, headKey: this.#keys.head }
  }

  #securityHost(): SecurityHost {
    return {
      namespace: this.namespace,
      store: this.#store,
      keys: this.#keys,
      codec: this.#codec,
      records: () => [...this.#records.values()],
      workingRecords: () => [...this.#working.values()],
      exclusive: (fn) => this.#write(fn),
      commit: (pending) => this.#commit(pending),
      dropWorking: (ids) => {
        let dropped = 0
        for (const id of ids) {
          if (!this.#working.delete(id)) continue
          this.#workingVectors.remove(id)
          this.#workingKeywords.remove(id)
          this.#workingHistory.delete(id)
          dropped++
        }
        return dropped
      },
      rebuildAndSnapshot: async () => {
        await this.#rebuildIndexes()
        await this.#writeSnapshot(true)
      },
      now: () => this.#now(),
      embed: (texts) => this.#embed(texts),
      summaryPolicy: this.#policy.summary,
    }
  }

  // ---------------------------------------------------------------- helpers

  #assertOpen(): void {
    if (this.#closed) throw memoryError('CLOSED', `Memory '${this.namespace}' is closed`)
  }

  #context(): BuildContext {
    return { now: this.#now(), limits: this.#limits, shortTermTtlMs: this.#ttl, embedder: this.#embedder }
  }

  #headValue(seq = this.#seq): Head {
    return { seq, embedder: this.#embedder.id, dims: this.#embedder.dims }
  }

  async #embed(texts: string[], signal?: AbortSignal, kind: 'query' | 'passage' = 'passage'): Promise<Float32Array[]> {
    let vectors: Float32Array[]
    try {
      vectors = await this.#embedder.embed(texts, signal ? { signal, kind } : { kind })
    } catch (e) {
      throw asMemoryError(e, 'EMBEDDING', 'The embedder failed')
    }
    if (
      !Array.isArray(vectors) ||
      vectors.length !== texts.length ||
      vectors.some((v) => !(v instanceof Float32Array) || v.length !== this.#embedder.dims)
    ) {
      throw memoryError(
        'EMBEDDING',
        `The embedder returned the wrong number or size of vectors (expected ${texts.length} × ${this.#embedder.dims})`,
      )
    }
    return vectors
  }

  #index(record: MemoryRecord, vector: Float32Array | undefined): void {
    if (record.tier === 'archived') return
    this.#keywords.add(record.id, record.content)
    if (vector) this.#vectors.add(record.id, vector)
  }

  #unindex(id: string): void {
    this.#vectors.remove(id)
    this.#keywords.remove(id)
  }

  async #encode(value: unknown): Promise<Uint8Array> {
    return this.#codec.encode(jsonBytes(value))
  }

  async #decode<T>(bytes: Uint8Array): Promise<T> {
    return parseJsonBytes<T>(await this.#codec.decode(bytes))
  }

  async #readHead(): Promise<Head | null> {
    const bytes = await this.#store.get(this.#keys.head)
    return bytes ? this.#decode<Head>(bytes) : null
  }

  async *#scanRecords(): AsyncGenerator<MemoryRecord> {
    let cursor: string | undefined
    do {
      const page = await this.#store.list(this.#keys.recPrefix, cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor })
      const values = await this.#store.getMany(page.keys)
      for (const v of values) if (v) yield await this.#decode<MemoryRecord>(v)
      cursor = page.cursor
    } while (cursor !== undefined)
  }

  async #listAll(prefix: string): Promise<string[]> {
    const keys: string[] = []
    let cursor: string | undefined
    do {
      const page = await this.#store.list(prefix, cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor })
      keys.push(...page.keys)
      cursor = page.cursor
    } while (cursor !== undefined)
    return keys
  }

  /**
   * The log entries after `seq`, up to `head` (the head's sequence, which every committed entry is at or
   * below: they are written in one transaction). Their keys are known, so they are read without listing,
   * which in IndexedDB cost a transaction per key prefix (about 100 ms on every open).
   */
  async #readLogAfter(seq: number, head: number): Promise<LogEntry[]> {
    const seqs: number[] = []
    for (let s = seq + 1; s <= head; s++) seqs.push(s)
    return this.#readLog(seqs)
  }

  async #readLog(seqs: number[]): Promise<LogEntry[]> {
    const out: LogEntry[] = []
    for (let i = 0; i < seqs.length; i += PAGE) {
      const values = await this.#store.getMany(seqs.slice(i, i + PAGE).map(this.#keys.log))
      for (const v of values) if (v) out.push(await this.#decode<LogEntry>(v))
    }
    return out
  }
}

async function* iterateSource(source: unknown): AsyncGenerator<unknown> {
  if (typeof source === 'string') {
    const text = source.trim()
    if (text.startsWith('[')) {
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (e) {
        throw memoryError('VALIDATION', 'Import failed: the JSON array is not valid JSON; nothing was imported', { cause: e })
      }
      yield* parsed as unknown[]
      return
    }
    for (const line of source.split(/\r?\n/)) if (line.trim()) yield line
    return
  }
  if (source && typeof source === 'object' && (Symbol.asyncIterator in source || Symbol.iterator in source)) {
    yield* source as AsyncIterable<unknown>
    return
  }
  throw memoryError('VALIDATION', 'import takes JSON Lines text, a JSON array text, or an (async) iterable of records')
}

function checkEmbedding(values: unknown[]): Float32Array {
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw memoryError('VALIDATION', 'embedding holds a non-finite value')
  return Float32Array.from(values as number[])
}

function checkList(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw memoryError('VALIDATION', `${field} must be an array`)
  return value
}

function checkTypes(value: unknown): Set<MemoryType> {
  return new Set(checkList(value, 'types').map(checkType))
}

function checkIdList(value: unknown): string[] {
  return checkList(value, 'ids').map(checkId)
}

function checkNonNegative(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw memoryError('VALIDATION', `${field} must be a non-negative number`)
  return value
}

function checkPositiveOption(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw memoryError('VALIDATION', `${field} must be a positive number`)
  return value
}

/** Access counters only grow: a record replaced by a write keeps accesses counted meanwhile. */
function keepAccessCounters(next: MemoryRecord, previous: MemoryRecord): void {
  next.accessCount = Math.max(next.accessCount, previous.accessCount)
  next.lastAccessedAt = Math.max(next.lastAccessedAt, previous.lastAccessedAt)
  if (next.expiresAt !== undefined && previous.expiresAt !== undefined && next.tier === previous.tier) {
    next.expiresAt = Math.max(next.expiresAt, previous.expiresAt)
  }
}

/** An embedder may expose its tokenizer's count (`countTokens(text)`); context packing prefers it. */
function tokenCounterOf(embedder: Embedder): ((text: string) => number) | undefined {
  const count = (embedder as { countTokens?: unknown }).countTokens
  return typeof count === 'function' ? (text: string) => count.call(embedder, text) as number : undefined
}

/** What the audit log keeps of a recall: parameters and result ids, never the query text. */
function recallAudit(hits: RecallHit[], k: number, mode: string, redacted?: RedactionCounts): Record<string, unknown> {
  const recall: Record<string, unknown> = { k, mode, ids: hits.map((h) => h.memory.id) }
  if (redacted && Object.keys(redacted).length > 0) recall.redacted = redacted
  return { recall }
}

function randomSuffix(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('')
}

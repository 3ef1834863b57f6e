/**
 * The audit trail is the operation log itself, made tamper-evident by a hash chain:
 *
 *   digest = SHA-256(canonical JSON of the entry without its chain fields)      (the entry carries a
 *   hash   = SHA-256(prevHash + ':' + digest)                                   random nonce, so a
 *                                                                              digest confirms no guess)
 * The head stores the last hash. Editing, reordering or deleting an entry breaks the chain at that
 * point. `forgetSubject` replaces an entry's content by a tombstone that keeps `digest`, `prevHash`
 * and `hash`, so the chain still verifies, and lists the purged sequences in its own (chained) entry:
 * a tombstone no later purge entry accounts for is reported.
 *
 * Without encryption anyone with write access to the raw store can recompute a whole new chain; keep
 * the head hash from {@link exportAudit} elsewhere to anchor it. With encryption the head and the log
 * are sealed by the namespace key as well.
 */
import { memoryError } from '../core/errors.js'
import { type Head, type LogEntry, padSeq, seqOfLogKey } from '../core/layout.js'
import { type BlobCodec, parseJsonBytes } from '../store/codec.js'
import type { StoreDriver } from '../store/driver.js'
import { listAll } from './host.js'

export const GENESIS_HASH = '0'.repeat(64)
const CHAIN_FIELDS = new Set(['prevHash', 'hash', 'digest', 'tombstone'])
const encoder = new TextEncoder()

/** JSON with object keys sorted, so the digest does not depend on property order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  const obj = value as Record<string, unknown>
  const parts: string[] = []
  for (const key of Object.keys(obj).sort()) {
    if (obj[key] === undefined) continue
    parts.push(`${JSON.stringify(key)}:${canonicalJson(obj[key])}`)
  }
  return `{${parts.join(',')}}`
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  let out = ''
  for (const b of digest) out += b.toString(16).padStart(2, '0')
  return out
}

/** Digest of an entry's content (everything but the chain fields). */
export async function entryDigest(entry: LogEntry): Promise<string> {
  const body: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(entry)) if (!CHAIN_FIELDS.has(k)) body[k] = v
  return sha256Hex(canonicalJson(body))
}

export async function chainHash(prevHash: string, digest: string): Promise<string> {
  return sha256Hex(`${prevHash}:${digest}`)
}

/** Add nonce, prevHash and hash to `entry` (in place); returns its hash, the next entry's prevHash. */
export async function sealEntry(entry: LogEntry, prevHash: string): Promise<string> {
  entry.nonce = randomNonce()
  entry.prevHash = prevHash
  entry.hash = await chainHash(prevHash, await entryDigest(entry))
  return entry.hash
}

/** The entry with its content removed; the chain through it still verifies. */
export async function tombstoneOf(entry: LogEntry): Promise<LogEntry> {
  const digest = entry.tombstone && entry.digest ? entry.digest : await entryDigest(entry)
  const out: LogEntry = { seq: entry.seq, op: entry.op, at: entry.at, tombstone: true, digest }
  if (entry.prevHash !== undefined) out.prevHash = entry.prevHash
  if (entry.hash !== undefined) out.hash = entry.hash
  return out
}

export interface AuditProblem {
  seq: number
  problem: 'corrupted' | 'missing' | 'broken-chain' | 'bad-hash' | 'unaccounted-tombstone' | 'head-mismatch' | 'seq-mismatch'
  message: string
}

export interface AuditReport {
  /** True when every entry is present, chained and accounted for. */
  ok: boolean
  entries: number
  tombstones: number
  /** Entries written before the chain existed (no hash): present but not verifiable. */
  unchained: number
  lastSeq: number
  /** The last hash: keep it elsewhere to anchor the chain. */
  headHash: string | null
  problems: AuditProblem[]
}

interface LogSource {
  store: StoreDriver
  codec: BlobCodec
  logPrefix: string
  headKey: string
}

interface LogItem {
  seq: number
  entry?: LogEntry
  error?: unknown
  /** The hash recomputed from the entry (chained entries, when asked for). */
  computed?: string
}

/**
 * Every log entry in sequence order, decoded; undecodable ones come back as errors. With `hashes`,
 * each page's hashes are recomputed together (they are independent: each uses its stored prevHash).
 */
async function* readLog(source: LogSource, hashes = false): AsyncGenerator<LogItem> {
  const seqs = (await listAll(source.store, source.logPrefix)).map(seqOfLogKey).sort((a, b) => a - b)
  for (let i = 0; i < seqs.length; i += 500) {
    const page = seqs.slice(i, i + 500)
    const values = await source.store.getMany(page.map((s) => `${source.logPrefix}${padSeq(s)}`))
    const items = await Promise.all(
      page.map(async (seq, j): Promise<LogItem | undefined> => {
        const bytes = values[j]
        if (!bytes) return undefined
        try {
          const entry = parseJsonBytes<LogEntry>(await source.codec.decode(bytes))
          const item: LogItem = { seq, entry }
          if (hashes && entry.hash !== undefined) {
            const digest = entry.tombstone ? entry.digest : await entryDigest(entry)
            if (typeof digest === 'string') item.computed = await chainHash(entry.prevHash ?? '', digest)
          }
          return item
        } catch (error) {
          return { seq, error }
        }
      }),
    )
    for (const item of items) if (item) yield item
  }
}

/** Walk the whole log and check the chain. Never throws for a bad store: it reports. */
export async function verifyAuditLog(source: LogSource): Promise<AuditReport> {
  const problems: AuditProblem[] = []
  let head: Head | null = null
  try {
    const bytes = await source.store.get(source.headKey)
    head = bytes ? parseJsonBytes<Head>(await source.codec.decode(bytes)) : null
  } catch (e) {
    problems.push({ seq: 0, problem: 'corrupted', message: `the head cannot be read: ${String(e)}` })
  }
  let prevHash: string | null = null
  let expectedSeq = 1
  let entries = 0
  let unchained = 0
  const tombstones: number[] = []
  const purged = new Set<number>()
  for await (const item of readLog(source, true)) {
    entries++
    if (item.seq > expectedSeq) {
      problems.push({ seq: expectedSeq, problem: 'missing', message: `log entries ${expectedSeq}..${item.seq - 1} are missing` })
      prevHash = null
    }
    expectedSeq = item.seq + 1
    const entry = item.entry
    if (!entry) {
      problems.push({ seq: item.seq, problem: 'corrupted', message: String(item.error) })
      prevHash = null
      continue
    }
    if (entry.seq !== item.seq) {
      problems.push({ seq: item.seq, problem: 'seq-mismatch', message: `the entry stored at ${item.seq} says it is ${entry.seq}` })
    }
    const list = (entry.detail as { purged?: unknown } | undefined)?.purged
    if (Array.isArray(list)) for (const s of list) if (typeof s === 'number') purged.add(s)
    if (entry.hash === undefined) {
      unchained++
      prevHash = null
      continue
    }
    if (prevHash !== null && entry.prevHash !== prevHash) {
      problems.push({ seq: entry.seq, problem: 'broken-chain', message: 'prevHash does not match the previous entry' })
    }
    if (entry.tombstone) tombstones.push(entry.seq)
    if (item.computed !== entry.hash) {
      problems.push({ seq: entry.seq, problem: 'bad-hash', message: 'the entry does not match its hash (edited)' })
    }
    prevHash = entry.hash
  }
  for (const seq of tombstones) {
    if (!purged.has(seq)) problems.push({ seq, problem: 'unaccounted-tombstone', message: 'no purge entry lists this tombstone' })
  }
  const lastSeq = expectedSeq - 1
  if (head && head.seq !== lastSeq) {
    problems.push({ seq: head.seq, problem: 'head-mismatch', message: `the head says seq ${head.seq}, the log ends at ${lastSeq}` })
  } else if (head?.hash !== undefined && prevHash !== null && head.hash !== prevHash) {
    problems.push({ seq: lastSeq, problem: 'head-mismatch', message: 'the head hash is not the last entry hash' })
  }
  problems.sort((a, b) => a.seq - b.seq)
  return {
    ok: problems.length === 0,
    entries,
    tombstones: tombstones.length,
    unchained,
    lastSeq,
    headHash: head?.hash ?? prevHash,
    problems,
  }
}

/** One audit event: who did what, when, to which memories; never the content. */
export interface AuditEvent {
  seq: number
  op: LogEntry['op']
  at: number
  actor?: string
  /** The memory concerned, or those an access/recall touched. */
  ids: string[]
  version?: number
  /** Recall parameters, redaction counts, reasons; never values. */
  detail?: Record<string, unknown>
  tombstone?: boolean
  prevHash?: string
  hash?: string
}

export interface ExportAuditOptions {
  /** First sequence to export. @default 1 */
  fromSeq?: number
}

/** The audit trail as events, oldest first (JSON-ready; no content, no metadata values). */
export async function* exportAuditLog(source: LogSource, options: ExportAuditOptions = {}): AsyncGenerator<AuditEvent> {
  const from = options.fromSeq ?? 1
  if (!Number.isInteger(from) || from < 1) throw memoryError('VALIDATION', 'fromSeq must be a positive integer')
  for await (const item of readLog(source)) {
    if (item.seq < from) continue
    if (!item.entry) throw memoryError('CORRUPTED', `Log entry ${item.seq} is corrupted`, { cause: item.error })
    const e = item.entry
    const ids = e.id !== undefined ? [e.id] : (e.touches ?? []).map((t) => t.id)
    const event: AuditEvent = { seq: e.seq, op: e.op, at: e.at, ids }
    if (e.actor !== undefined) event.actor = e.actor
    if (e.record) event.version = e.record.version
    if (e.detail) event.detail = e.detail
    if (e.tombstone) event.tombstone = true
    if (e.prevHash !== undefined) event.prevHash = e.prevHash
    if (e.hash !== undefined) event.hash = e.hash
    yield event
  }
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

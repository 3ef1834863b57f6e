/**
 * The public data model and the Memory API. Everything here is plain data that survives
 * structured clone (worker boundary) and JSON (HTTP, export files).
 */
import type { Embedder } from '../embed/embedder.js'
import type { AuditReport } from '../security/audit.js'
import type { EncryptionOptions } from '../security/encryption.js'
import type { ForgetSubjectOptions, ForgetSubjectQuery, ForgetSubjectReport } from '../security/forget-subject.js'
import type { RedactOptions } from '../security/redact.js'
import type { RotateOptions, RotationReport } from '../security/rotation.js'
import type { StoreDriver } from '../store/driver.js'
import type { VectorIndex } from '../vector/vector-index.js'
import type { PolicyInput } from './policy.js'

export const MEMORY_TYPES = ['episodic', 'semantic', 'preference', 'procedural', 'emotional', 'contextual'] as const
export type MemoryType = (typeof MEMORY_TYPES)[number]

export const MEMORY_TIERS = ['working', 'short-term', 'long-term', 'archived'] as const
export type MemoryTier = (typeof MEMORY_TIERS)[number]

export interface Scope {
  userId?: string
  agentId?: string
  sessionId?: string
  conversationId?: string
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type Metadata = { [key: string]: JsonValue }

/** One memory. Timestamps are epoch milliseconds. */
export interface MemoryRecord {
  id: string
  content: string
  type: MemoryType
  tier: MemoryTier
  /** 0..1 */
  importance: number
  createdAt: number
  updatedAt: number
  lastAccessedAt: number
  accessCount: number
  /** Short-term memories only: after this instant the memory is gone. */
  expiresAt?: number
  /** Short-term memories only: the TTL that each access renews. */
  ttlMs?: number
  metadata: Metadata
  scope: Scope
  entities: string[]
  links: string[]
  /** For summaries and merges: the memories this one was built from. */
  sourceIds: string[]
  /** Starts at 1, +1 on every update. */
  version: number
  contentHash: string
  /** Id of the embedding model that produced the stored vector ('' when there is none). */
  embeddingModel: string
  dims: number
  /** Pinned memories are never evicted and never decay to nothing. */
  pinned?: boolean
  /** Bitemporal validity (supersession): when this fact stopped being current. */
  validTo?: number
  supersededBy?: string
  /** Summaries only: 1 for a summary of memories, 2 for a summary of summaries, ... */
  summaryLevel?: number
  /** Accesses the lifecycle already turned into importance (recall-time reinforcement, src/core/feedback.ts). */
  creditedAccessCount?: number
}

/** An exported memory: the record plus its vector (exact round trip through JSON). */
export interface ExportedRecord extends MemoryRecord {
  embedding?: number[]
}

export interface StoreOptions {
  /** @default 'episodic' */
  type?: MemoryType
  /** @default 'long-term' */
  tier?: MemoryTier
  /** @default 0.5 */
  importance?: number
  metadata?: Metadata
  scope?: Scope
  /** Short-term TTL in milliseconds. @default the memory's `shortTermTtlMs` (30 min) */
  ttlMs?: number
  /** Use this id instead of a generated one (must be unused). */
  id?: string
  /** Creation time (epoch ms), for importing dated conversations. @default now */
  createdAt?: number
  pinned?: boolean
  entities?: string[]
  links?: string[]
  sourceIds?: string[]
  signal?: AbortSignal
}

export interface BatchItem extends Omit<StoreOptions, 'signal'> {
  content: string
}

export interface StoreBatchOptions {
  onProgress?: (progress: { done: number; total: number }) => void
  signal?: AbortSignal
}

export interface StoreResult {
  id: string
  deduplicated: boolean
  /** Ids of memories this one superseded (their `validTo`/`supersededBy` now point here). */
  supersedes?: string[]
}

/** One filter grammar on every backend. See `src/core/filter.ts`. */
export type Filter = { [key: string]: unknown }

export interface RecallOptions {
  /** @default 10 */
  k?: number
  types?: MemoryType[]
  /** @default every tier but 'archived' */
  tiers?: MemoryTier[]
  filter?: Filter
  scope?: Scope
  /** Drop hits whose fused relevance is below this (0..1). @default 0 */
  minRelevance?: number
  /** 'hybrid' fuses vector and keyword scores. @default 'hybrid' */
  mode?: 'hybrid' | 'vector' | 'keyword'
  /** See the past: facts valid at this instant (epoch ms). */
  asOf?: number
  /** Do not count this recall as an access (no accessCount / TTL refresh). @default false */
  peek?: boolean
  includeRelated?: boolean
  maxDepth?: number
  signal?: AbortSignal
}

export interface ScoreExplain {
  /** Cosine similarity (0..1) of query and memory, 0 when not a vector candidate. */
  vector: number
  /**
   * Keyword (BM25) score, 0..1 (the best score any memory could reach for the query is 1); for a
   * conversation turn, mixed with the score of the passage it forms with its neighbours.
   */
  keyword: number
  /** Fused relevance (with the episode, speaker and context priors), what `minRelevance` cuts on. */
  relevance: number
  /** 0..1 decay factor from age and the type's half-life. */
  recency: number
  importance: number
  /** 0..1 boost from the access count. */
  access: number
}

export interface RecallHit {
  memory: MemoryRecord
  score: number
  explain: ScoreExplain
}

export interface UpdatePatch {
  content?: string
  metadata?: Metadata
  importance?: number
  type?: MemoryType
  tier?: MemoryTier
  scope?: Scope
  pinned?: boolean
  entities?: string[]
  links?: string[]
}

export interface ForgetQuery {
  filter?: Filter
  tier?: MemoryTier
  types?: MemoryType[]
  /** Memories created before now - olderThan (ms). */
  olderThan?: number
  maxImportance?: number
  maxAccessCount?: number
  ids?: string[]
}

export interface ImportOptions {
  /** Called after each embedding page (`phase: 'embedding'`) and once the single write committed (`'written'`). */
  onProgress?: (progress: { done: number; total: number; phase: 'embedding' | 'written' }) => void
  signal?: AbortSignal
}

export interface ListOptions {
  cursor?: string
  /** @default 100 */
  limit?: number
  filter?: Filter
  types?: MemoryType[]
  tiers?: MemoryTier[]
}

export interface ListPage {
  items: MemoryRecord[]
  cursor?: string
}

export interface HistoryEntry {
  seq: number
  op: LogOp
  at: number
  version: number
  /** The record after the operation; absent for deletions. */
  record?: MemoryRecord
}

export type LogOp =
  | 'store'
  | 'update'
  | 'forget'
  | 'expire'
  | 'access'
  | 'rollback'
  | 'import'
  | 'system'
  // the self-managing layer (src/core/policy.ts)
  | 'reinforce'
  | 'supersede'
  | 'consolidate'
  | 'summarize'
  | 'promote'
  | 'archive'
  | 'unarchive'
  | 'evict'
  | 'feedback'

export interface SnapshotInfo {
  id: string
  seq: number
  createdAt: number
  label?: string
}

export interface MemoryStats {
  namespace: string
  total: number
  byTier: Record<MemoryTier, number>
  byType: Record<MemoryType, number>
  /** Bytes of content + metadata held (approximate). */
  bytes: number
  logSeq: number
  embedder: { id: string; dims: number }
  index: { kind: string; size: number }
  retrieval: { count: number; meanScore: number; meanLatencyMs: number }
  storage?: { usage?: number; quota?: number; persisted?: boolean }
}

export interface HealthReport {
  ok: boolean
  /** 0..1 */
  score: number
  issues: { code: string; message: string; count?: number }[]
}

export type MemoryEventName =
  | 'stored'
  | 'recalled'
  | 'updated'
  | 'forgotten'
  | 'expired'
  | 'consolidated'
  | 'summarized'
  | 'promoted'
  | 'archived'
  | 'rolledback'
  | 'imported'
  | 'changed'
  | 'superseded'
  | 'evicted'
  | 'feedback'

export interface MemoryEvent {
  type: MemoryEventName
  at: number
  ids: string[]
  deduplicated?: boolean
  detail?: Record<string, unknown>
}

export type MemoryEventHandler = (event: MemoryEvent) => void

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void
  warn(msg: string, data?: Record<string, unknown>): void
  error(msg: string, data?: Record<string, unknown>): void
}

export interface Limits {
  /** Characters of content. @default 100_000 */
  maxContentLength: number
  /** Bytes of JSON metadata. @default 64 KiB */
  maxMetadataBytes: number
  /** Nesting depth of metadata objects. @default 8 */
  maxMetadataDepth: number
  /** Nesting depth of filters. @default 16 */
  maxFilterDepth: number
  /** Items in one storeBatch / import chunk. @default 10_000 */
  maxBatchSize: number
  /** Largest k. @default 1000 */
  maxK: number
}

export interface RankingOptions {
  /** @default 'weighted' */
  fusion: 'weighted' | 'rrf'
  /**
   * Weight of the vector similarity in weighted fusion (keyword gets the rest); it shrinks by up to half
   * as the query's best keyword match nears a full match (ranking.ts VECTOR_YIELD). @default 0.3
   */
  vectorWeight: number
  /** Half-life of recency decay per type, in ms. */
  halfLifeMs: Record<MemoryType, number>
  /** How much recency, importance and access count move the final score (0..1 each). */
  recencyWeight: number
  importanceWeight: number
  accessWeight: number
}

export interface CreateMemoryOptions {
  /** Names the memory; one store may hold many namespaces. @default 'default' */
  namespace?: string
  /** Where records live. @default an in-memory driver */
  store?: StoreDriver
  /** @default the offline default embedder */
  embedder?: Embedder
  /** A vector index factory; the memory builds and rebuilds its index through it. */
  index?: VectorIndexFactory
  /** @default 30 minutes */
  shortTermTtlMs?: number
  limits?: Partial<Limits>
  ranking?: Partial<RankingOptions>
  /**
   * Write an index snapshot at least this many log entries apart. Once a snapshot costs over 50 ms, the
   * memory spaces them further so they take at most about a fifth of sustained writing time (the log
   * replays what a later snapshot has not covered yet). @default 1000
   */
  snapshotEvery?: number
  /** Clock, for tests. @default Date.now */
  now?: () => number
  logger?: Logger
  /**
   * Encrypt everything this namespace stores (AES-GCM, one key per namespace): `{ passphrase }` or
   * `{ key: CryptoKey }`. A wrong passphrase rejects with `UNAUTHORIZED`. See src/security/encryption.ts.
   */
  encryption?: EncryptionOptions
  /**
   * Redact PII (emails, phones, cards, IBANs, national ids, IPs, custom patterns) before storage and
   * before embedding: `true` masks, `{ mode: 'pseudonymize' }` keeps a stable token per value.
   */
  redact?: boolean | RedactOptions
  /** Dedup, supersession, consolidation, summaries, lifecycle, feedback and entity policy (src/core/policy.ts). */
  policy?: PolicyInput
  /** Run the lifecycle (`optimize`) on an interval while the memory is open (ms, or `{ intervalMs }`). */
  schedule?: number | { intervalMs: number }
}

export type VectorIndexFactory = (opts: { dims: number; from?: Uint8Array }) => Promise<VectorIndex> | VectorIndex

/** The one async API, the same in Node, in a worker (through Comlink) and behind HTTP. */
export interface Memory {
  readonly namespace: string
  store(content: string, options?: StoreOptions): Promise<string>
  storeBatch(items: BatchItem[], options?: StoreBatchOptions): Promise<StoreResult[]>
  recall(query: string, options?: RecallOptions): Promise<RecallHit[]>
  get(id: string): Promise<MemoryRecord>
  /** Like get but resolves to null for an unknown id. */
  find(id: string): Promise<MemoryRecord | null>
  list(options?: ListOptions): Promise<ListPage>
  count(options?: Omit<ListOptions, 'cursor' | 'limit'>): Promise<number>
  update(id: string, patch: UpdatePatch): Promise<MemoryRecord>
  history(id: string): Promise<HistoryEntry[]>
  forget(idOrQuery: string | ForgetQuery): Promise<number>
  stats(): Promise<MemoryStats>
  health(): Promise<HealthReport>
  optimize(): Promise<Record<string, unknown>>
  export(options?: { includeEmbeddings?: boolean }): AsyncIterable<ExportedRecord>
  import(source: Iterable<ExportedRecord> | AsyncIterable<ExportedRecord> | string, options?: ImportOptions): Promise<{ imported: number }>
  snapshot(label?: string): Promise<SnapshotInfo>
  snapshots(): Promise<SnapshotInfo[]>
  rollback(snapshotId: string): Promise<{ restored: number }>
  /** Replay changes another writer (tab, process) committed to the same store; resolves to how many. */
  refresh(): Promise<number>
  /** Resolve once every queued write (including access bookkeeping after recall) is durable. */
  flush(): Promise<void>
  consolidate(options?: ConsolidateOptions): Promise<ConsolidationResult>
  summarize(options?: SummarizeOptions): Promise<MemoryRecord>
  context(options?: ContextOptions): Promise<ContextResult>
  recallMany(queries: string[], options?: RecallManyOptions): Promise<RecallHit[]>
  recent(options?: RecentOptions): Promise<MemoryRecord[]>
  feedback(id: string, signal: FeedbackSignal): Promise<MemoryRecord>
  related(id: string, options?: RelatedOptions): Promise<RelatedMemory[]>
  report(options?: ReportOptions): Promise<MemoryReport>
  /** Remove a person's memories everywhere (records, vectors, indexes, summaries, links); see docs/security.md. */
  forgetSubject(query: ForgetSubjectQuery, options?: ForgetSubjectOptions): Promise<ForgetSubjectReport>
  /** Check the audit hash chain over the whole log. */
  verifyAudit(): Promise<AuditReport>
  /** New data key (and passphrase/key when given), re-encrypting every blob while the memory stays usable. */
  rotateKey(next?: EncryptionOptions, options?: RotateOptions): Promise<RotationReport>
  on(event: MemoryEventName | '*', handler: MemoryEventHandler): () => void
  off(event: MemoryEventName | '*', handler: MemoryEventHandler): void
  close(): Promise<void>
}

// ------------------------------------------------------------------ the self-managing layer

export interface ConsolidateOptions {
  /** Look at memories created in the last `windowHours`. @default policy (24) */
  windowHours?: number
  /** Cosine at or above which two memories are one cluster. @default policy (0.85) */
  similarity?: number
  types?: MemoryType[]
  scope?: Scope
  signal?: AbortSignal
}

export interface ConsolidationGroup {
  /** The memory kept for the cluster (its `sourceIds` list the others). */
  canonical: string
  /** The memories merged into it and removed (still in `history`). */
  merged: string[]
}

export interface ConsolidationResult {
  /** Clusters that were merged into one canonical memory. */
  merged: number
  /** Memories removed because a canonical memory now holds them. */
  removed: number
  /** Memories of the window that remain. */
  kept: number
  groups: ConsolidationGroup[]
}

export interface SummarizeOptions {
  tier?: MemoryTier
  types?: MemoryType[]
  /** Created at or after (epoch ms). */
  from?: number
  /** Created before (epoch ms). */
  to?: number
  conversationId?: string
  scope?: Scope
  /** Longest summary text. @default policy (4000) */
  maxChars?: number
  /** Replaces the extractive step for this call. */
  summarizer?: (texts: string[], options: { maxChars: number }) => Promise<string> | string
  signal?: AbortSignal
}

export interface ContextOptions {
  conversationId?: string
  scope?: Scope
  /** What the prompt is about; @default the newest turn of the conversation */
  query?: string
  /** @default 1024 */
  maxTokens?: number
  /** Most recent turns considered. @default 20 */
  recentTurns?: number
  /** Most recalled memories considered. @default 10 */
  memories?: number
  /** Count tokens with this instead of the built-in tokenizer. */
  countTokens?: (text: string) => number
}

export interface ContextItem {
  kind: 'summary' | 'memory' | 'turn'
  id: string
  tokens: number
}

export interface ContextResult {
  text: string
  /** Tokens of `text` (never above maxTokens). */
  tokens: number
  items: ContextItem[]
}

export interface RecallManyOptions extends RecallOptions {
  /** How one memory's scores across queries combine. @default 'rrf' */
  aggregate?: 'rrf' | 'max' | 'mean'
}

export interface RecentOptions {
  /** @default 24 */
  hours?: number
  types?: MemoryType[]
  tiers?: MemoryTier[]
  scope?: Scope
  /** @default 100 */
  limit?: number
}

export interface FeedbackSignal {
  helpful: boolean
}

export interface RelatedOptions {
  /** Hops through shared entities, links and sources. @default 1 */
  maxDepth?: number
  /** @default 20 */
  limit?: number
}

export interface RelatedMemory {
  memory: MemoryRecord
  depth: number
  /** What connects it (entities shared with the memory it was reached from, or 'link' / 'source'). */
  via: string[]
}

export interface ReportOptions {
  /** @default 0 */
  from?: number
  /** @default now */
  to?: number
}

export interface TypeReport {
  count: number
  created: number
  meanImportance: number
  accesses: number
  byTier: Record<MemoryTier, number>
  superseded: number
}

export interface MemoryReport {
  from: number
  to: number
  total: number
  byType: Record<MemoryType, TypeReport>
  retrieval: { count: number; meanScore: number; meanLatencyMs: number }
  health: HealthReport
}

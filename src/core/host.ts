/**
 * What the self-managing modules (consolidate, summarize, tiers, feedback, graph, context, recall-many,
 * analytics) need from the memory. `EngramMemory` hands one of these to them; it is internal, never
 * exported from the package. Keeping the modules behind this small seam lets each be tested alone.
 */
import type { MemoryPolicy } from './policy.js'
import type { BuildContext } from './record.js'
import type { LogOp, MemoryEventName, MemoryRecord, RankingOptions, RecallHit, RecallOptions } from './types.js'

/** One change committed through the memory's single write path (record + vector + log + history + head). */
export interface HostChange {
  op: LogOp
  id: string
  record?: MemoryRecord
  vector?: Float32Array
  removed?: boolean
  detail?: Record<string, unknown>
}

export interface MemoryHost {
  readonly namespace: string
  readonly policy: MemoryPolicy
  readonly ranking: RankingOptions
  now(): number
  /** Every live record (persisted and working), current and superseded, archived included. */
  records(): MemoryRecord[]
  get(id: string): MemoryRecord | undefined
  /** Stored vectors (hot or archived) of these ids; missing ids are absent from the map. */
  vectorsOf(ids: string[]): Promise<Map<string, Float32Array>>
  embed(texts: string[], kind?: 'query' | 'passage', signal?: AbortSignal): Promise<Float32Array[]>
  /** Serialize `fn` after every earlier write (the memory's write queue). */
  write<T>(fn: () => Promise<T>): Promise<T>
  /** One transaction; RAM changes only after it resolved. Call inside `write`. */
  commit(changes: HostChange[]): Promise<void>
  emit(type: MemoryEventName, ids: string[], detail?: Record<string, unknown>): void
  recall(query: string, options: RecallOptions): Promise<RecallHit[]>
  /** Count an access for these hits (accessCount, TTL renewal), like a non-peek recall does. */
  touch(hits: RecallHit[]): Promise<RecallHit[]>
  /** Nearest hot (indexed, non-archived) memories to a vector, best first. */
  nearest(vector: Float32Array, k: number): { id: string; cosine: number }[]
  /** What `buildRecord`/`applyPatch` need (clock, limits, TTL, embedder id). */
  buildContext(): BuildContext
  /** The embedder's own token counter, when it has one. */
  countTokens: ((text: string) => number) | undefined
  warn(message: string, data?: Record<string, unknown>): void
  /** Retrieval statistics gathered by recall. */
  retrieval(): { count: number; meanScore: number; meanLatencyMs: number }
}

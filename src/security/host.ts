/**
 * What the security features (audit, forgetSubject, key rotation) need from a memory, and nothing
 * more. `EngramMemory` builds one of these over its private state, so the features live in their own
 * files and the orchestrator only delegates.
 */
import type { Keys, LogEntry } from '../core/layout.js'
import type { MemoryRecord } from '../core/types.js'
import type { BlobCodec } from '../store/codec.js'
import type { DriverOp, StoreDriver } from '../store/driver.js'

/** One log entry to commit, with the record/vector writes it implies (see `#commit` in memory.ts). */
export interface HostPending {
  op: LogEntry['op']
  id?: string
  record?: MemoryRecord
  vector?: Float32Array
  removed?: boolean
  detail?: Record<string, unknown>
  /** Raw driver ops written in the same transaction (tombstones, marker deletes). */
  extraOps?: DriverOp[]
}

export interface SecurityHost {
  readonly namespace: string
  readonly store: StoreDriver
  readonly keys: Keys
  readonly codec: BlobCodec
  /** Persisted records, live (not copies): do not mutate. */
  records(): MemoryRecord[]
  /** Working-tier (RAM only) records, live. */
  workingRecords(): MemoryRecord[]
  /** Run `fn` after every earlier write and before any later one (inside the cross-writer lock). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
  /** Commit entries in one transaction. Only inside {@link SecurityHost.exclusive}. */
  commit(pending: HostPending[]): Promise<LogEntry[]>
  /** Drop working-tier (RAM only) memories; returns how many were there. */
  dropWorking(ids: string[]): number
  /** Rebuild the vector and keyword indexes from the records, then write a fresh index snapshot. */
  rebuildAndSnapshot(): Promise<void>
  now(): number
  /** Passage embeddings from the memory's embedder. */
  embed(texts: string[]): Promise<Float32Array[]>
  /** How summaries are written (to rebuild one without a forgotten source). */
  readonly summaryPolicy: SummaryPolicy
}

export interface SummaryPolicy {
  lambda: number
  redundancy: number
  maxChars: number
  summarizer?: ((texts: string[], options: { maxChars: number }) => Promise<string> | string) | undefined
}

/** Every key of a prefix, page by page. */
export async function listAll(store: StoreDriver, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor: string | undefined
  do {
    const page = await store.list(prefix, cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor })
    keys.push(...page.keys)
    cursor = page.cursor
  } while (cursor !== undefined)
  return keys
}

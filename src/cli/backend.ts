/**
 * What the commands talk to: the memory of a local store (a directory, fs driver) or a deployed
 * endpoint (`--url`, `--token`). Both expose the same verbs; a verb a backend lacks rejects with
 * UNSUPPORTED and says where it is available.
 */
import type { Memory } from '../core/types.js'

/** Verbs of the self-managing layer that appear on memories that have them (issue 4). */
export interface OptionalVerbs {
  consolidate?(options?: Record<string, unknown>): Promise<unknown>
  summarize?(options?: Record<string, unknown>): Promise<unknown>
}

export type Backend = Pick<
  Memory,
  | 'namespace'
  | 'store'
  | 'recall'
  | 'get'
  | 'list'
  | 'count'
  | 'update'
  | 'history'
  | 'forget'
  | 'stats'
  | 'health'
  | 'optimize'
  | 'export'
  | 'import'
  | 'snapshot'
  | 'snapshots'
  | 'rollback'
  | 'close'
> &
  OptionalVerbs & {
    /** Where the memory lives, for people: a directory or a URL. */
    readonly where: string
    readonly remote: boolean
  }

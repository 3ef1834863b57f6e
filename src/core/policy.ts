/**
 * The one policy object that drives the self-managing layer: dedup, supersession, consolidation,
 * summaries, tier lifecycle, retention, feedback and entity extraction. Every field has a default; a
 * partial policy given to `createMemory({ policy })` is merged over them (nested objects field by field).
 *
 * No LLM is needed anywhere: each place one could help takes an optional async callback, and the
 * built-in behaviour is deterministic and local.
 */
import { memoryError } from './errors.js'
import { isPlainObject } from './record.js'
import type { MemoryRecord } from './types.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Decides which of `candidates` (current memories in the same scope) the `incoming` memory replaces. */
export type SupersedeDecider = (incoming: MemoryRecord, candidates: MemoryRecord[]) => Promise<string[]> | string[]
/** Replaces the extractive summary: gets the source texts (oldest first), returns the summary text. */
export type Summarizer = (texts: string[], options: { maxChars: number }) => Promise<string> | string
/** Replaces the built-in entity extraction. */
export type EntityExtractor = (text: string) => Promise<string[]> | string[]

export interface MemoryPolicy {
  dedup: {
    /** Reinforce an existing memory instead of storing the same normalized content twice. @default true */
    exact: boolean
    /** Also merge near duplicates (cosine ≥ `threshold`, same scope and type). @default false */
    near: boolean
    /** @default 0.92 */
    threshold: number
    /** Importance added to the existing memory on each duplicate (capped at 1). @default 0.05 */
    reinforce: number
  }
  supersede: {
    /** Detect updates of a fact ("my favourite colour is now green") at write time. @default true */
    enabled: boolean
    /** Replaces the heuristic; runs in the background after the store is durable. */
    decide?: SupersedeDecider
    /** Candidates handed to `decide` (nearest current memories in the same scope). @default 5 */
    candidates: number
  }
  consolidate: {
    /** @default 24 */
    windowHours: number
    /** Cosine at or above which two memories are the same cluster. @default 0.85 */
    similarity: number
    /** Most memories one run looks at (newest first); keeps the pairwise step bounded. @default 2000 */
    maxCandidates: number
  }
  summary: {
    /** Sentences whose cosine to an already chosen one reaches this are redundant. @default 0.9 */
    redundancy: number
    /** MMR trade-off between salience (1) and novelty (0). @default 0.7 */
    lambda: number
    /** Longest summary text. @default 4000 */
    maxChars: number
    /** Sources per summary before it becomes hierarchical (summaries of summaries). @default 40 */
    fanIn: number
    summarizer?: Summarizer
  }
  lifecycle: {
    /** Short-term memories accessed at least this often are promoted to long-term. @default 2 */
    promoteMinAccess: number
    /** ...or at least this important. @default 0.7 */
    promoteMinImportance: number
    /** Long-term memories untouched this long (ms) may be archived. @default 90 days */
    archiveAfterMs: number
    /** ...if no more important than this. @default 0.3 */
    archiveMaxImportance: number
    /** ...and accessed at most this often. @default 1 */
    archiveMaxAccess: number
    /** Superseded memories are archived this long (ms) after they stopped being valid. @default 30 days */
    archiveSupersededAfterMs: number
    /** Most persisted memories; beyond it the lowest retention scores are evicted. @default Infinity */
    maxEntries: number
    /** Most bytes of content + metadata; beyond it the lowest retention scores are evicted. @default Infinity */
    maxBytes: number
    /** Half-life (ms) of the recency term of the retention score. @default 30 days */
    retentionHalfLifeMs: number
  }
  feedback: {
    /** Fraction of the distance to the bound that one feedback moves importance. @default 0.2 */
    step: number
    /** Importance never drops below this through feedback. @default 0.05 */
    minImportance: number
    /** Pinned memories never drop below this. @default 0.5 */
    pinnedMinImportance: number
    /**
     * Recall-time reinforcement: each access since the last lifecycle run moves importance this fraction
     * of the way to 1 (applied by `optimize()` / `schedule`). 0 turns it off. @default 0.02
     */
    accessStep: number
  }
  entities: {
    /** Extract entities at write time when the caller gave none. @default true */
    enabled: boolean
    extract?: EntityExtractor
  }
}

export const DEFAULT_POLICY: MemoryPolicy = {
  dedup: { exact: true, near: false, threshold: 0.92, reinforce: 0.05 },
  supersede: { enabled: true, candidates: 5 },
  consolidate: { windowHours: 24, similarity: 0.85, maxCandidates: 2000 },
  summary: { redundancy: 0.9, lambda: 0.7, maxChars: 4000, fanIn: 40 },
  lifecycle: {
    promoteMinAccess: 2,
    promoteMinImportance: 0.7,
    archiveAfterMs: 90 * DAY,
    archiveMaxImportance: 0.3,
    archiveMaxAccess: 1,
    archiveSupersededAfterMs: 30 * DAY,
    maxEntries: Number.POSITIVE_INFINITY,
    maxBytes: Number.POSITIVE_INFINITY,
    retentionHalfLifeMs: 30 * DAY,
  },
  feedback: { step: 0.2, minImportance: 0.05, pinnedMinImportance: 0.5, accessStep: 0.02 },
  entities: { enabled: true },
}

export type PolicyInput = { [K in keyof MemoryPolicy]?: Partial<MemoryPolicy[K]> }

const UNIT_FIELDS = ['threshold', 'reinforce', 'similarity', 'redundancy', 'lambda', 'promoteMinImportance', 'archiveMaxImportance']
const UNIT_FIELDS_2 = ['step', 'minImportance', 'pinnedMinImportance', 'accessStep']
const FUNCTION_FIELDS = ['decide', 'summarizer', 'extract']
const BOOLEAN_FIELDS = ['exact', 'near', 'enabled']

/** Merge a partial policy over the defaults, checking every field; unknown fields are an error. */
export function resolvePolicy(input: PolicyInput = {}): MemoryPolicy {
  if (!isPlainObject(input)) throw memoryError('VALIDATION', 'policy must be an object')
  const out = structuredClone(DEFAULT_POLICY) as unknown as Record<string, Record<string, unknown>>
  for (const [section, value] of Object.entries(input)) {
    if (value === undefined) continue
    const defaults = out[section]
    if (!defaults) throw memoryError('VALIDATION', `Unknown policy section '${section}'`)
    if (!isPlainObject(value)) throw memoryError('VALIDATION', `policy.${section} must be an object`)
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue
      const path = `policy.${section}.${key}`
      if (FUNCTION_FIELDS.includes(key)) {
        if (typeof v !== 'function') throw memoryError('VALIDATION', `${path} must be a function`)
      } else if (!(key in defaults)) {
        throw memoryError('VALIDATION', `Unknown policy field '${path}'`)
      } else if (BOOLEAN_FIELDS.includes(key)) {
        if (typeof v !== 'boolean') throw memoryError('VALIDATION', `${path} must be a boolean`)
      } else if (UNIT_FIELDS.includes(key) || UNIT_FIELDS_2.includes(key)) {
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw memoryError('VALIDATION', `${path} must be a number in 0..1`)
      } else if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
        throw memoryError('VALIDATION', `${path} must be a non-negative number`)
      }
      defaults[key] = v
    }
  }
  return out as unknown as MemoryPolicy
}

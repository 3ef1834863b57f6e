/**
 * What one `store`/`storeBatch` commits once dedup and supersession have had their say: new records,
 * reinforced existing ones, and older facts closed by newer ones — all in the same transaction as the
 * write itself, so a store is never half applied. Pure: decides from the records it is given.
 */
import type { RecordLookup } from './catalog.js'
import { planDedup, reinforce } from './dedup.js'
import type { HostChange } from './host.js'
import type { MemoryPolicy } from './policy.js'
import { markSuperseded, planSupersession, type Supersession } from './supersede.js'
import type { MemoryRecord, StoreResult } from './types.js'

export interface WritePlanInput {
  records: MemoryRecord[]
  vectors: Float32Array[]
  /** Items stored with an explicit id never dedup. */
  explicitId: boolean[]
  /** The current records, looked up by dedup key and fact key (the memory's catalog). */
  catalog: RecordLookup
  get: (id: string) => MemoryRecord | undefined
  nearest?: (vector: Float32Array, k: number) => { id: string; cosine: number }[]
  policy: MemoryPolicy
  now: number
}

export interface WritePlan {
  /** Persisted changes, in log order: stores, then reinforcements, then supersessions. */
  changes: HostChange[]
  /** Working-tier records to keep in RAM (never persisted, never deduplicated). */
  working: { record: MemoryRecord; vector: Float32Array }[]
  /** One per input item, in order. */
  results: StoreResult[]
  /** Ids of existing memories that absorbed a duplicate. */
  reinforced: string[]
  superseded: Supersession[]
}

export function planWrite(input: WritePlanInput): WritePlan {
  const { records, vectors, policy, now } = input
  const decisions = planDedup({
    incoming: records,
    vectors,
    eligible: records.map((r, i) => !input.explicitId[i] && r.tier !== 'working'),
    withDedupKey: (key) => input.catalog.withDedupKey(key),
    now,
    policy: policy.dedup,
    get: input.get,
    ...(input.nearest ? { nearest: input.nearest } : {}),
  })
  const fresh = new Map<number, MemoryRecord>()
  const reinforcedRecords = new Map<string, MemoryRecord>()
  const reinforceDetail = new Map<string, { duplicates: number; exact: boolean; similarity: number }>()
  const results: StoreResult[] = []
  const working: WritePlan['working'] = []
  records.forEach((record, i) => {
    const d = decisions[i]!
    if (d.kind === 'new') {
      if (record.tier === 'working') working.push({ record, vector: vectors[i]! })
      else fresh.set(i, record)
      results.push({ id: record.id, deduplicated: false })
    } else if (d.kind === 'batch') {
      const target = fresh.get(d.index)!
      const merged = reinforce(target, record, policy.dedup.reinforce, now)
      merged.version = target.version
      fresh.set(d.index, merged)
      results.push({ id: target.id, deduplicated: true })
    } else {
      const current = reinforcedRecords.get(d.targetId) ?? input.get(d.targetId)!
      const next = reinforce(current, record, policy.dedup.reinforce, now)
      if (reinforcedRecords.has(d.targetId)) next.version = current.version
      reinforcedRecords.set(d.targetId, next)
      const detail = reinforceDetail.get(d.targetId) ?? { duplicates: 0, exact: d.exact, similarity: d.similarity }
      detail.duplicates++
      detail.exact &&= d.exact
      detail.similarity = Math.min(detail.similarity, d.similarity)
      reinforceDetail.set(d.targetId, detail)
      results.push({ id: d.targetId, deduplicated: true })
    }
  })

  const superseded =
    policy.supersede.enabled && !policy.supersede.decide
      ? planSupersession([...fresh.values()], (key) => input.catalog.withFactKey(key), now)
      : []
  const freshById = new Map([...fresh].map(([i, r]) => [r.id, i]))
  const supersedeChanges: HostChange[] = []
  for (const s of superseded) {
    const index = freshById.get(s.oldId)
    if (index !== undefined) {
      fresh.set(index, { ...fresh.get(index)!, validTo: s.at, supersededBy: s.newId })
      continue
    }
    const old = reinforcedRecords.get(s.oldId) ?? input.get(s.oldId)
    if (!old) continue
    const next = markSuperseded(old, s.newId, s.at, now)
    if (reinforcedRecords.has(s.oldId)) {
      next.version = old.version
      reinforcedRecords.set(s.oldId, next)
    } else supersedeChanges.push({ op: 'supersede', id: old.id, record: next, detail: { by: s.newId } })
  }
  const bySupersede = new Map<string, string[]>()
  for (const s of superseded) bySupersede.set(s.newId, [...(bySupersede.get(s.newId) ?? []), s.oldId])
  for (const r of results) {
    const olds = bySupersede.get(r.id)
    if (olds && !r.deduplicated) r.supersedes = olds
  }

  const changes: HostChange[] = [
    ...[...fresh].map(([i, record]): HostChange => ({ op: 'store', id: record.id, record, vector: vectors[i]! })),
    ...[...reinforcedRecords].map(([id, record]): HostChange => ({ op: 'reinforce', id, record, detail: { ...reinforceDetail.get(id) } })),
    ...supersedeChanges,
  ]
  return { changes, working, results, reinforced: [...reinforcedRecords.keys()], superseded }
}

/**
 * Multi-query recall: run each query (as a peek), then merge the ranked lists per memory.
 *   rrf  — Σ over queries of 61/(60 + rank + 1), divided by the number of queries (1 = first everywhere)
 *   max  — the best score any query gave the memory
 *   mean — the sum of its scores divided by the number of queries (a query that missed it adds 0)
 * The merged hit keeps the `explain` of the query that scored it best. Unless `peek`, the final hits
 * count as one access each, like a single recall.
 */
import { memoryError } from './errors.js'
import type { MemoryHost } from './host.js'
import type { RecallHit, RecallManyOptions } from './types.js'

const RRF_K = 60

export function aggregateHits(lists: RecallHit[][], aggregate: 'rrf' | 'max' | 'mean'): RecallHit[] {
  const merged = new Map<string, { hit: RecallHit; score: number; best: number }>()
  for (const list of lists) {
    list.forEach((hit, rank) => {
      const part = aggregate === 'rrf' ? (RRF_K + 1) / (RRF_K + rank + 1) : hit.score
      const entry = merged.get(hit.memory.id)
      if (!entry) merged.set(hit.memory.id, { hit, score: part, best: hit.score })
      else {
        entry.score = aggregate === 'max' ? Math.max(entry.score, part) : entry.score + part
        if (hit.score > entry.best) {
          entry.best = hit.score
          entry.hit = hit
        }
      }
    })
  }
  const n = Math.max(1, lists.length)
  return [...merged.values()]
    .map(({ hit, score }) => ({ ...hit, score: aggregate === 'max' ? score : score / n }))
    .sort((a, b) => b.score - a.score || (a.memory.id < b.memory.id ? -1 : 1))
}

export async function recallMany(host: MemoryHost, queries: string[], options: RecallManyOptions = {}): Promise<RecallHit[]> {
  if (!Array.isArray(queries) || queries.length === 0 || queries.length > 32) {
    throw memoryError('VALIDATION', 'recallMany takes an array of 1 to 32 queries')
  }
  const { aggregate = 'rrf', k = 10, peek = false, ...rest } = options
  if (!['rrf', 'max', 'mean'].includes(aggregate)) throw memoryError('VALIDATION', `Unknown aggregate '${String(aggregate)}'`)
  if (!Number.isInteger(k) || k < 1) throw memoryError('VALIDATION', 'k must be a positive integer')
  const lists: RecallHit[][] = []
  for (const q of queries) lists.push(await host.recall(q, { ...rest, k: Math.min(1000, k * 3), peek: true }))
  const hits = aggregateHits(lists, aggregate).slice(0, k)
  return peek ? hits : host.touch(hits.map((h) => ({ ...h, memory: host.get(h.memory.id) ?? h.memory })))
}

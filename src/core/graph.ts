/**
 * The memory graph: memories are nodes, edges come from shared entities (extracted at write time, see
 * entities.ts), explicit `links` and summary/merge `sourceIds` (both directions), and supersession.
 * An entity carried by more than `MAX_FANOUT` memories is too common to relate anything and is skipped.
 * Built on demand from the records (no second index to keep consistent).
 */

import { extractEntities } from './entities.js'
import { memoryError } from './errors.js'
import type { MemoryHost } from './host.js'
import type { EntityExtractor } from './policy.js'
import { checkId } from './record.js'
import type { MemoryRecord, RecallHit, RelatedMemory, RelatedOptions } from './types.js'

const MAX_FANOUT = 200

/** Fill `entities` of records that have none (built-in heuristic or the policy's extractor). */
export async function fillEntities(records: MemoryRecord[], extract: EntityExtractor | undefined): Promise<void> {
  for (const r of records) {
    if (r.entities.length > 0) continue
    const found = extract ? await extract(r.content) : extractEntities(r.content)
    if (!Array.isArray(found) || found.some((e) => typeof e !== 'string')) {
      throw memoryError('VALIDATION', 'The entity extractor must return an array of strings')
    }
    r.entities = [...new Set(found.filter((e) => e.length > 0 && e.length <= 512))].slice(0, 1000)
  }
}

export class MemoryGraph {
  readonly #byEntity = new Map<string, MemoryRecord[]>()
  readonly #bySource = new Map<string, MemoryRecord[]>()
  readonly #byLink = new Map<string, MemoryRecord[]>()
  readonly #byId = new Map<string, MemoryRecord>()

  constructor(records: Iterable<MemoryRecord>) {
    for (const r of records) {
      this.#byId.set(r.id, r)
      for (const e of r.entities) push(this.#byEntity, e, r)
      for (const s of r.sourceIds) push(this.#bySource, s, r)
      for (const l of r.links) push(this.#byLink, l, r)
    }
  }

  /** Direct neighbours of `r`, each with what connects them. */
  neighbours(r: MemoryRecord): Map<string, string[]> {
    const out = new Map<string, string[]>()
    const add = (id: string, via: string) => {
      if (id === r.id || !this.#byId.has(id)) return
      const list = out.get(id)
      if (list) {
        if (!list.includes(via)) list.push(via)
      } else out.set(id, [via])
    }
    for (const e of r.entities) {
      const shared = this.#byEntity.get(e) ?? []
      if (shared.length > MAX_FANOUT) continue
      for (const other of shared) add(other.id, e)
    }
    for (const id of r.links) add(id, 'link')
    for (const other of this.#byLink.get(r.id) ?? []) add(other.id, 'link')
    for (const id of r.sourceIds) add(id, 'source')
    for (const other of this.#bySource.get(r.id) ?? []) add(other.id, 'summary')
    if (r.supersededBy) add(r.supersededBy, 'supersededBy')
    return out
  }

  /** Breadth-first from `start` up to `maxDepth` hops; nearer first, then more shared entities. */
  walk(start: MemoryRecord, maxDepth: number, accept: (r: MemoryRecord) => boolean): RelatedMemory[] {
    const seen = new Set([start.id])
    const out: RelatedMemory[] = []
    let frontier = [start]
    for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
      const level: RelatedMemory[] = []
      for (const node of frontier) {
        for (const [id, via] of this.neighbours(node)) {
          if (seen.has(id)) continue
          seen.add(id)
          const memory = this.#byId.get(id)!
          if (accept(memory)) level.push({ memory, depth, via })
          else if (depth < maxDepth) level.push({ memory, depth: -1, via })
        }
      }
      level.sort((a, b) => b.via.length - a.via.length || (a.memory.id < b.memory.id ? -1 : 1))
      out.push(...level.filter((l) => l.depth > 0))
      frontier = level.map((l) => l.memory)
    }
    return out
  }
}

function push(map: Map<string, MemoryRecord[]>, key: string, r: MemoryRecord): void {
  const list = map.get(key)
  if (list) list.push(r)
  else map.set(key, [r])
}

function checkDepth(value: unknown): number {
  const depth = value ?? 1
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1 || depth > 5) {
    throw memoryError('VALIDATION', 'maxDepth must be an integer in 1..5')
  }
  return depth
}

function currentAndLive(now: number): (r: MemoryRecord) => boolean {
  return (r) => r.tier !== 'archived' && r.validTo === undefined && (r.expiresAt === undefined || r.expiresAt > now)
}

export function related(host: MemoryHost, id: string, options: RelatedOptions = {}): RelatedMemory[] {
  checkId(id)
  const depth = checkDepth(options.maxDepth)
  const limit = options.limit ?? 20
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw memoryError('VALIDATION', 'limit must be an integer in 1..1000')
  const start = host.get(id)
  const now = host.now()
  if (!start || (start.expiresAt !== undefined && start.expiresAt <= now)) throw memoryError('NOT_FOUND', `No memory with id '${id}'`)
  const graph = new MemoryGraph(host.records())
  return graph
    .walk(start, depth, currentAndLive(now))
    .slice(0, limit)
    .map((r) => ({ ...r, memory: structuredClone(r.memory) }))
}

/**
 * Hits for `recall(q, { includeRelated: true })`: memories related to the hits, not hits themselves,
 * scored as the hit they hang off × 0.5^depth, at most 5 per hit.
 */
export function relatedHits(host: MemoryHost, hits: RecallHit[], maxDepth: unknown, visible: (r: MemoryRecord) => boolean): RecallHit[] {
  if (hits.length === 0) return []
  const depth = checkDepth(maxDepth)
  const graph = new MemoryGraph(host.records())
  const taken = new Set(hits.map((h) => h.memory.id))
  const out: RecallHit[] = []
  for (const hit of hits) {
    const start = host.get(hit.memory.id)
    if (!start) continue
    let added = 0
    for (const rel of graph.walk(start, depth, visible)) {
      if (taken.has(rel.memory.id) || added >= 5) continue
      taken.add(rel.memory.id)
      added++
      const factor = 0.5 ** rel.depth
      out.push({
        memory: structuredClone(rel.memory),
        score: hit.score * factor,
        explain: { ...hit.explain, vector: 0, keyword: 0, relevance: hit.explain.relevance * factor },
      })
    }
  }
  return out.sort((a, b) => b.score - a.score || (a.memory.id < b.memory.id ? -1 : 1))
}

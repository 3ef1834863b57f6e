/**
 * Write-time dedup. A new memory whose normalized content equals that of a current memory in the same
 * scope (or, when the policy enables it, whose embedding is at least `threshold` cosine-similar to one of
 * the same scope and type) does not become a second record: the existing one is reinforced instead
 * (access count +1, importance raised, metadata and entities merged) and the store resolves to its id.
 *
 * Normalization: NFKC, lowercase, apostrophes dropped, every other run of characters that are not
 * letters or digits becomes one space (so "My sister's name is Anna." and "my sisters name is anna" are the same content).
 * Candidates are live, current (not superseded), non-archived, persisted memories; working memories and
 * items stored with an explicit id never dedup.
 */
import type { MemoryPolicy } from './policy.js'
import type { MemoryRecord, Scope } from './types.js'

export function dedupKey(content: string): string {
  return content
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’‘`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

const keyOf = (record: MemoryRecord): string => dedupKey(record.content)

export function sameScope(a: Scope, b: Scope): boolean {
  return a.userId === b.userId && a.agentId === b.agentId && a.sessionId === b.sessionId && a.conversationId === b.conversationId
}

/** May `r` absorb a duplicate? */
export function isDedupCandidate(r: MemoryRecord, now: number): boolean {
  return r.tier !== 'working' && r.tier !== 'archived' && r.validTo === undefined && (r.expiresAt === undefined || r.expiresAt > now)
}

export type DedupDecision =
  | { kind: 'new' }
  /** Merge into an existing memory. */
  | { kind: 'existing'; targetId: string; exact: boolean; similarity: number }
  /** Merge into an earlier item of the same batch. */
  | { kind: 'batch'; index: number; exact: boolean; similarity: number }

export interface DedupInput {
  incoming: MemoryRecord[]
  vectors: Float32Array[]
  /** Which incoming items may dedup (no explicit id, not working). */
  eligible: boolean[]
  /** Current records whose dedup key is `key` (the memory's catalog answers this without a scan). */
  withDedupKey: (key: string) => MemoryRecord[]
  now: number
  policy: MemoryPolicy['dedup']
  /** Nearest current memories to a vector (id and cosine), best first. */
  nearest?: (vector: Float32Array, k: number) => { id: string; cosine: number }[]
  get: (id: string) => MemoryRecord | undefined
}

/** Decide, for each incoming record in order, whether it is new or a duplicate. */
export function planDedup(input: DedupInput): DedupDecision[] {
  const { incoming, policy, now } = input
  const decisions: DedupDecision[] = incoming.map(() => ({ kind: 'new' }))
  if (!policy.exact && !policy.near) return decisions
  const firstInBatch = new Map<string, number>()
  incoming.forEach((r, i) => {
    if (!input.eligible[i]) return
    const key = keyOf(r)
    if (policy.exact) {
      const hit = input.withDedupKey(key).find((e) => isDedupCandidate(e, now) && sameScope(e.scope, r.scope))
      if (hit) {
        decisions[i] = { kind: 'existing', targetId: hit.id, exact: true, similarity: 1 }
        return
      }
      const earlier = firstInBatch.get(`${scopeKey(r.scope)}\u0000${key}`)
      if (earlier !== undefined) {
        decisions[i] = { kind: 'batch', index: earlier, exact: true, similarity: 1 }
        return
      }
    }
    if (policy.near) {
      const near = nearDuplicate(input, i)
      if (near) {
        decisions[i] = near
        return
      }
    }
    firstInBatch.set(`${scopeKey(r.scope)}\u0000${key}`, i)
  })
  return decisions
}

function nearDuplicate(input: DedupInput, i: number): DedupDecision | undefined {
  const r = input.incoming[i]!
  const vector = input.vectors[i]!
  const threshold = input.policy.threshold
  for (const hit of input.nearest?.(vector, 10) ?? []) {
    if (hit.cosine < threshold) break
    const e = input.get(hit.id)
    if (e && isDedupCandidate(e, input.now) && e.type === r.type && sameScope(e.scope, r.scope)) {
      return { kind: 'existing', targetId: e.id, exact: false, similarity: hit.cosine }
    }
  }
  let best: DedupDecision | undefined
  let bestSim = threshold
  for (let j = 0; j < i; j++) {
    const e = input.incoming[j]!
    if (!input.eligible[j] || e.type !== r.type || !sameScope(e.scope, r.scope)) continue
    const sim = cosine(vector, input.vectors[j]!)
    if (sim >= bestSim) {
      bestSim = sim
      best = { kind: 'batch', index: j, exact: false, similarity: sim }
    }
  }
  return best
}

function scopeKey(s: Scope): string {
  return [s.userId ?? '', s.agentId ?? '', s.sessionId ?? '', s.conversationId ?? ''].join('\u0001')
}

/**
 * The existing memory after absorbing a duplicate: one more access, importance raised to at least the
 * duplicate's and by `step` (capped at 1), metadata merged (the newer value wins on a shared key),
 * entities and links united, a short-term TTL renewed. Content and embedding stay the existing ones.
 */
export function reinforce(existing: MemoryRecord, duplicate: MemoryRecord, step: number, now: number): MemoryRecord {
  const next: MemoryRecord = structuredClone(existing)
  next.accessCount = existing.accessCount + 1
  next.lastAccessedAt = Math.max(existing.lastAccessedAt, now)
  next.importance = Math.min(1, Math.max(existing.importance, duplicate.importance) + step)
  next.metadata = { ...existing.metadata, ...duplicate.metadata }
  next.entities = [...new Set([...existing.entities, ...duplicate.entities])]
  next.links = [...new Set([...existing.links, ...duplicate.links])]
  next.sourceIds = [...new Set([...existing.sourceIds, ...duplicate.sourceIds])]
  if (duplicate.pinned) next.pinned = true
  if (next.tier === 'short-term' && next.expiresAt !== undefined) next.expiresAt = Math.max(next.expiresAt, now + (next.ttlMs ?? 0))
  next.updatedAt = now
  next.version = existing.version + 1
  return next
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0
}

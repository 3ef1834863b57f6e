/**
 * Consolidation: cluster related memories of a time window and keep one canonical memory per cluster.
 *
 * - Candidates: current (not superseded), live, short- or long-term memories created in the window,
 *   summaries excluded, newest first up to `policy.consolidate.maxCandidates`.
 * - Clusters: single linkage over pairs with cosine ≥ `similarity`, same type and the same scope.
 * - Canonical: a pinned member first, then the most important, the most accessed, the oldest.
 *   It absorbs the others: `sourceIds` gains their ids (and theirs), importance is the cluster's highest,
 *   access counts add up, metadata/entities/links merge. Every sentence of a member that states
 *   something the canonical text does not (a stemmed word not in it) is appended, so no distinct fact is
 *   lost; the members are removed with a `consolidate` log entry and stay readable through `history`.
 * - Idempotent: a second run over the same memories finds nothing left to merge.
 */

import { sameScope } from './dedup.js'
import { memoryError } from './errors.js'
import type { HostChange, MemoryHost } from './host.js'
import { tokenize } from './keyword.js'
import { checkScope, checkType, checkUnit, contentHash } from './record.js'
import type { ConsolidateOptions, ConsolidationResult, MemoryRecord } from './types.js'

const HOUR = 3_600_000

export function splitSentences(text: string): string[] {
  return (text.match(/[^.!?\n]+(?:[.!?]+["'’”)]*|\n|$)/g) ?? [text]).map((s) => s.trim()).filter((s) => s.length > 0)
}

/** Clusters (index lists, each of 2+) by single linkage over cosine ≥ threshold among compatible items. */
export function clusterBySimilarity(vectors: Float32Array[], threshold: number, compatible: (a: number, b: number) => boolean): number[][] {
  // Normalize once: the pairwise step is then one dot product per pair.
  const units = vectors.map((v) => {
    let n = 0
    for (const x of v) n += x * x
    const scale = n > 0 ? 1 / Math.sqrt(n) : 0
    return Float32Array.from(v, (x) => x * scale)
  })
  const parent = vectors.map((_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!
      i = parent[i]!
    }
    return i
  }
  for (let i = 0; i < vectors.length; i++) {
    for (let j = i + 1; j < vectors.length; j++) {
      if (!compatible(i, j) || dot(units[i]!, units[j]!) < threshold) continue
      const a = find(i)
      const b = find(j)
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
    }
  }
  const groups = new Map<number, number[]>()
  vectors.forEach((_, i) => {
    const root = find(i)
    groups.set(root, [...(groups.get(root) ?? []), i])
  })
  return [...groups.values()].filter((g) => g.length > 1)
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!
  return sum
}

function canonicalFirst(a: MemoryRecord, b: MemoryRecord): number {
  return (
    Number(b.pinned === true) - Number(a.pinned === true) ||
    b.importance - a.importance ||
    b.accessCount - a.accessCount ||
    a.createdAt - b.createdAt ||
    (a.id < b.id ? -1 : 1)
  )
}

/** The canonical memory after absorbing `others` (pure). */
export function mergeCluster(canonical: MemoryRecord, others: MemoryRecord[], now: number): MemoryRecord {
  const next = structuredClone(canonical)
  const words = new Set(tokenize(canonical.content))
  const added: string[] = []
  for (const other of [...others].sort((a, b) => a.createdAt - b.createdAt)) {
    for (const sentence of splitSentences(other.content)) {
      const terms = tokenize(sentence)
      if (terms.length === 0 || terms.every((t) => words.has(t))) continue
      added.push(/[.!?]["'’”)]*$/.test(sentence) ? sentence : `${sentence}.`)
      for (const t of terms) words.add(t)
    }
  }
  if (added.length > 0) {
    const base = canonical.content.trim()
    next.content = `${/[.!?]["'’”)]*$/.test(base) ? base : `${base}.`} ${added.join(' ')}`
    next.contentHash = contentHash(next.content)
  }
  const all = [canonical, ...others]
  next.sourceIds = [...new Set([...canonical.sourceIds, ...others.flatMap((o) => [o.id, ...o.sourceIds])])].filter(
    (id) => id !== canonical.id,
  )
  next.importance = Math.max(...all.map((r) => r.importance))
  next.accessCount = all.reduce((n, r) => n + r.accessCount, 0)
  next.lastAccessedAt = Math.max(...all.map((r) => r.lastAccessedAt))
  next.metadata = Object.assign({}, ...[...others].sort((a, b) => a.createdAt - b.createdAt).map((o) => o.metadata), canonical.metadata)
  next.entities = [...new Set(all.flatMap((r) => r.entities))].slice(0, 1000)
  next.links = [...new Set(all.flatMap((r) => r.links))].filter((id) => !all.some((r) => r.id === id)).slice(0, 1000)
  if (all.some((r) => r.pinned)) next.pinned = true
  next.version = canonical.version + 1
  next.updatedAt = now
  return next
}

export async function consolidate(host: MemoryHost, options: ConsolidateOptions = {}): Promise<ConsolidationResult> {
  const policy = host.policy.consolidate
  const windowHours = options.windowHours ?? policy.windowHours
  if (typeof windowHours !== 'number' || !(windowHours > 0)) throw memoryError('VALIDATION', 'windowHours must be a positive number')
  const similarity = options.similarity === undefined ? policy.similarity : checkUnit(options.similarity, 'similarity')
  const types = options.types === undefined ? undefined : new Set(options.types.map(checkType))
  const scope = options.scope === undefined ? undefined : Object.entries(checkScope(options.scope))

  return host.write(async () => {
    options.signal?.throwIfAborted()
    const now = host.now()
    const since = now - windowHours * HOUR
    const candidates = host
      .records()
      .filter(
        (r) =>
          (r.tier === 'short-term' || r.tier === 'long-term') &&
          r.validTo === undefined &&
          r.summaryLevel === undefined &&
          (r.expiresAt === undefined || r.expiresAt > now) &&
          r.createdAt >= since &&
          (types === undefined || types.has(r.type)) &&
          (scope === undefined || scope.every(([k, v]) => (r.scope as Record<string, string>)[k] === v)),
      )
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1))
      .slice(0, policy.maxCandidates)
    const stored = await host.vectorsOf(candidates.map((r) => r.id))
    const withVectors = candidates.filter((r) => stored.has(r.id))
    const vectors = withVectors.map((r) => stored.get(r.id)!)
    const clusters = clusterBySimilarity(vectors, similarity, (a, b) => {
      const x = withVectors[a]!
      const y = withVectors[b]!
      return x.type === y.type && sameScope(x.scope, y.scope)
    })

    const groups: ConsolidationResult['groups'] = []
    const merges: { record: MemoryRecord; others: MemoryRecord[] }[] = []
    for (const cluster of clusters) {
      const members = cluster.map((i) => withVectors[i]!).sort(canonicalFirst)
      const [canonical, ...others] = members as [MemoryRecord, ...MemoryRecord[]]
      merges.push({ record: mergeCluster(canonical, others, now), others })
      groups.push({ canonical: canonical.id, merged: others.map((o) => o.id) })
    }
    const changed = merges.filter((m) => m.record.content !== host.get(m.record.id)?.content)
    const newVectors =
      changed.length > 0
        ? await host.embed(
            changed.map((m) => m.record.content),
            'passage',
            options.signal,
          )
        : []
    const vectorOf = new Map(changed.map((m, i) => [m.record.id, newVectors[i]!]))

    const changes: HostChange[] = []
    for (const { record, others } of merges) {
      const mergedIds = others.map((o) => o.id)
      const change: HostChange = { op: 'consolidate', id: record.id, record, detail: { merged: mergedIds } }
      const vector = vectorOf.get(record.id)
      if (vector) change.vector = vector
      changes.push(change)
      for (const o of others) changes.push({ op: 'consolidate', id: o.id, removed: true, detail: { into: record.id } })
    }
    if (changes.length > 0) await host.commit(changes)
    const removed = merges.reduce((n, m) => n + m.others.length, 0)
    const result: ConsolidationResult = { merged: merges.length, removed, kept: candidates.length - removed, groups }
    host.emit(
      'consolidated',
      groups.map((g) => g.canonical),
      { merged: result.merged, removed, kept: result.kept, groups },
    )
    return result
  })
}

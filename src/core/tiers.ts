/**
 * Tier lifecycle under one policy (src/core/policy.ts `lifecycle`):
 *
 * - Promotion: a live short-term memory accessed at least `promoteMinAccess` times, or at least
 *   `promoteMinImportance` important, becomes long-term (its TTL is dropped) before it expires.
 * - Archiving: a long-term, unpinned memory untouched (lastAccessedAt) for `archiveAfterMs` with importance
 *   ≤ `archiveMaxImportance` and accessCount ≤ `archiveMaxAccess` — or superseded for
 *   `archiveSupersededAfterMs` — moves to the archived tier: out of the hot vector and keyword indexes,
 *   its vector stored int8-quantized and deflate-compressed under `<ns>/arc/<id>` (about 4× smaller than
 *   the f32 vector), searched by brute force only when a recall asks for `tiers: ['archived']`.
 * - Retention: beyond `maxEntries` persisted memories or `maxBytes` of content + metadata, the memories
 *   with the lowest retention score are evicted (removed; their history stays). Pinned memories are
 *   never evicted; if only pinned ones remain the limit stays exceeded and `report()`/`health` say so.
 *
 * Retention score (0..1, higher is kept longer):
 *   0.45·importance + 0.25·recency + 0.20·access + 0.10·tierWeight, halved for superseded memories,
 *   recency = 0.5^(age since last access / retentionHalfLifeMs), access = log1p(n)/log1p(n+10),
 *   tierWeight = long-term 1, short-term 0.6, archived 0.
 */

import { cosine } from './dedup.js'
import { KeywordIndex } from './keyword.js'
import type { MemoryPolicy } from './policy.js'
import { accessBoost, type Candidate } from './ranking.js'
import type { MemoryRecord } from './types.js'

export const archiveKey = (namespace: string, id: string): string => `${namespace}/arc/${id}`

const MAGIC = 0x31564145 // 'EAV1' little-endian

/** int8-quantize (one scale per vector) and deflate a vector for the archive. */
export async function packArchivedVector(vector: Float32Array): Promise<Uint8Array> {
  let max = 0
  for (const x of vector) max = Math.max(max, Math.abs(x))
  const scale = max > 0 ? max / 127 : 1
  const raw = new Uint8Array(12 + vector.length)
  const view = new DataView(raw.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, vector.length, true)
  view.setFloat32(8, scale, true)
  for (let i = 0; i < vector.length; i++) view.setInt8(12 + i, Math.round(vector[i]! / scale))
  return transform(raw, new CompressionStream('deflate'))
}

export async function unpackArchivedVector(bytes: Uint8Array, dims: number): Promise<Float32Array> {
  const raw = await transform(bytes, new DecompressionStream('deflate'))
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  if (raw.byteLength < 12 || view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== dims || raw.byteLength !== 12 + dims) {
    throw new Error('archived vector blob has an unknown format or the wrong size')
  }
  const scale = view.getFloat32(8, true)
  const out = new Float32Array(dims)
  for (let i = 0; i < dims; i++) out[i] = view.getInt8(12 + i) * scale
  return out
}

async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const writer = stream.writable.getWriter()
  void writer.write(bytes as Uint8Array<ArrayBuffer>)
  void writer.close()
  const chunks: Uint8Array[] = []
  const reader = stream.readable.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}

export function recordBytes(r: MemoryRecord): number {
  return r.content.length * 2 + JSON.stringify(r.metadata).length
}

export function retentionScore(r: MemoryRecord, now: number, policy: MemoryPolicy['lifecycle']): number {
  const recency = 0.5 ** (Math.max(0, now - r.lastAccessedAt) / policy.retentionHalfLifeMs)
  const tierWeight = r.tier === 'long-term' ? 1 : r.tier === 'short-term' ? 0.6 : 0
  const score = 0.45 * r.importance + 0.25 * recency + 0.2 * accessBoost(r.accessCount) + 0.1 * tierWeight
  return r.validTo === undefined ? score : score / 2
}

export interface LifecyclePlan {
  /** New versions of promoted short-term memories. */
  promote: MemoryRecord[]
  /** New versions (tier 'archived') of memories to archive. */
  archive: MemoryRecord[]
  /** Ids to evict, lowest retention score first. */
  evict: string[]
  /** The limits stay exceeded because only pinned memories are left to evict. */
  overLimit: boolean
}

/** Decide promotions, archiving and evictions over the persisted records (pure). */
export function planLifecycle(records: MemoryRecord[], now: number, policy: MemoryPolicy['lifecycle']): LifecyclePlan {
  const promote: MemoryRecord[] = []
  const archive: MemoryRecord[] = []
  const after = new Map<string, MemoryRecord>()
  for (const r of records) {
    if (r.tier === 'working' || (r.expiresAt !== undefined && r.expiresAt <= now)) continue
    if (r.tier === 'short-term' && (r.accessCount >= policy.promoteMinAccess || r.importance >= policy.promoteMinImportance)) {
      const next = structuredClone(r)
      next.tier = 'long-term'
      delete next.expiresAt
      delete next.ttlMs
      next.version = r.version + 1
      next.updatedAt = now
      promote.push(next)
      after.set(r.id, next)
      continue
    }
    if (r.tier === 'long-term' && !r.pinned) {
      const idle = now - r.lastAccessedAt >= policy.archiveAfterMs
      const unimportant = r.importance <= policy.archiveMaxImportance && r.accessCount <= policy.archiveMaxAccess
      const stale = r.validTo !== undefined && now - r.validTo >= policy.archiveSupersededAfterMs
      if ((idle && unimportant) || stale) {
        const next = structuredClone(r)
        next.tier = 'archived'
        next.version = r.version + 1
        next.updatedAt = now
        archive.push(next)
        after.set(r.id, next)
        continue
      }
    }
    after.set(r.id, r)
  }
  const { evict, overLimit } = planEviction([...after.values()], now, policy)
  const evicted = new Set(evict)
  return {
    promote: promote.filter((r) => !evicted.has(r.id)),
    archive: archive.filter((r) => !evicted.has(r.id)),
    evict,
    overLimit,
  }
}

export function planEviction(
  records: MemoryRecord[],
  now: number,
  policy: MemoryPolicy['lifecycle'],
): { evict: string[]; overLimit: boolean } {
  let count = records.length
  let bytes = records.reduce((n, r) => n + recordBytes(r), 0)
  const over = () => count > policy.maxEntries || bytes > policy.maxBytes
  if (!over()) return { evict: [], overLimit: false }
  const candidates = records
    .filter((r) => !r.pinned)
    .map((r) => ({ r, score: retentionScore(r, now, policy) }))
    .sort((a, b) => a.score - b.score || a.r.createdAt - b.r.createdAt || (a.r.id < b.r.id ? -1 : 1))
  const evict: string[] = []
  for (const { r } of candidates) {
    if (!over()) break
    evict.push(r.id)
    count--
    bytes -= recordBytes(r)
  }
  return { evict, overLimit: over() }
}

export interface ArchivedSearch {
  records: MemoryRecord[]
  query: string
  /** Absent in keyword-only recall. */
  vector: Float32Array | undefined
  loadVectors: (ids: string[]) => Promise<Map<string, Float32Array>>
  fanout: number
}

/** Brute-force candidates among archived memories (vectors loaded on demand, a throwaway BM25 index). */
export async function searchArchived(input: ArchivedSearch): Promise<Candidate[]> {
  const { records, fanout } = input
  if (records.length === 0) return []
  const out = new Map<string, Candidate>()
  const keywords = new KeywordIndex()
  for (const r of records) keywords.add(r.id, r.content)
  keywords.search(input.query, fanout).forEach((h, rank) => {
    out.set(h.id, { id: h.id, keyword: h.normalized, keywordRank: rank })
  })
  if (input.vector) {
    const scored: { id: string; cosine: number }[] = []
    for (let i = 0; i < records.length; i += 500) {
      const vectors = await input.loadVectors(records.slice(i, i + 500).map((r) => r.id))
      for (const [id, v] of vectors) scored.push({ id, cosine: cosine(input.vector, v) })
    }
    scored.sort((a, b) => b.cosine - a.cosine)
    scored.forEach((s, rank) => {
      const c = out.get(s.id)
      if (c) c.cosine = s.cosine
      if (rank < fanout) {
        if (c) c.vectorRank = rank
        else out.set(s.id, { id: s.id, cosine: s.cosine, vectorRank: rank })
      }
    })
  }
  return [...out.values()]
}

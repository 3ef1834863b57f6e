/**
 * Ranking: fuse vector similarity with BM25, then let recency, importance and access count move the
 * result. Relevance decides whether a memory is an answer at all; the other signals only reorder
 * relevant ones (they multiply, so an irrelevant memory is never lifted by being new or important).
 */
import type { MemoryRecord, MemoryType, RankingOptions, ScoreExplain } from './types.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

export const DEFAULT_RANKING: RankingOptions = {
  fusion: 'weighted',
  // USE-lite's cosine is the weaker signal on conversation memories (LoCoMo recall@10: dense 0.375, BM25 0.612).
  vectorWeight: 0.3,
  halfLifeMs: {
    episodic: 30 * DAY,
    emotional: 14 * DAY,
    contextual: 7 * DAY,
    semantic: 365 * DAY,
    preference: 365 * DAY,
    procedural: 365 * DAY,
  },
  recencyWeight: 0.15,
  importanceWeight: 0.15,
  accessWeight: 0.05,
}

/** Half-lives are checked once, when the memory is created. */
export function resolveRanking(partial: Partial<RankingOptions> = {}): RankingOptions {
  const halfLifeMs = { ...DEFAULT_RANKING.halfLifeMs, ...(partial.halfLifeMs ?? {}) }
  return { ...DEFAULT_RANKING, ...partial, halfLifeMs }
}

export interface Candidate {
  id: string
  /** Cosine similarity to the query, when the memory was a vector candidate. */
  cosine?: number
  /** BM25 normalized to 0..1 for this query, when it was a keyword candidate. */
  keyword?: number
  /** 0-based positions in each list, for reciprocal-rank fusion. */
  vectorRank?: number
  keywordRank?: number
}

const RRF_K = 60

/** Fused relevance of one candidate, 0..1. */
export function relevanceOf(c: Candidate, mode: 'hybrid' | 'vector' | 'keyword', options: RankingOptions): number {
  const vector = Math.max(0, c.cosine ?? 0)
  const keyword = c.keyword ?? 0
  if (mode === 'vector') return vector
  if (mode === 'keyword') return keyword
  if (options.fusion === 'rrf') {
    const rrf = (rank?: number) => (rank === undefined ? 0 : 1 / (RRF_K + rank + 1))
    return ((rrf(c.vectorRank) + rrf(c.keywordRank)) * (RRF_K + 1)) / 2
  }
  return options.vectorWeight * vector + (1 - options.vectorWeight) * keyword
}

export function recencyOf(record: MemoryRecord, now: number, options: RankingOptions): number {
  const halfLife = options.halfLifeMs[record.type as MemoryType]
  const age = Math.max(0, now - Math.max(record.updatedAt, record.lastAccessedAt))
  return 0.5 ** (age / halfLife)
}

/** 0 for never accessed, approaching 1 for many accesses (logarithmic). */
export function accessBoost(accessCount: number): number {
  return accessCount <= 0 ? 0 : Math.log1p(accessCount) / Math.log1p(accessCount + 10)
}

/** Final score and its explanation. Pinned memories keep at least half their recency. */
export function scoreOf(record: MemoryRecord, relevance: number, c: Candidate, now: number, options: RankingOptions) {
  const recency = record.pinned ? Math.max(0.5, recencyOf(record, now, options)) : recencyOf(record, now, options)
  const access = accessBoost(record.accessCount)
  const { recencyWeight: rw, importanceWeight: iw, accessWeight: aw } = options
  const multiplier = 1 - rw - iw - aw + rw * recency + iw * record.importance + aw * access
  const explain: ScoreExplain = {
    vector: Math.max(0, c.cosine ?? 0),
    keyword: c.keyword ?? 0,
    relevance,
    recency,
    importance: record.importance,
    access,
  }
  return { score: relevance * multiplier, explain }
}

/**
 * How much the best-scoring neighbour lifts a memory (conversation context). A turn of a conversation
 * seldom answers a question alone: the question is asked in one turn and answered in the next, or a
 * name is said one turn before the fact. On LoCoMo this was the largest gain after stemming
 * (docs/bench/locomo.md).
 */
export const CONTEXT_WEIGHT = 0.5

function threadOf(r: MemoryRecord): string | undefined {
  const { conversationId, sessionId } = r.scope
  return conversationId !== undefined ? `c:${conversationId}` : sessionId !== undefined ? `s:${sessionId}` : undefined
}

/**
 * The memory just before and just after each of `ids` in its conversation (same scope.conversationId,
 * else same scope.sessionId), ordered by createdAt (ties keep `all`'s order). Memories outside any
 * conversation have no neighbours; when none of `ids` is in one, `all` is not scanned.
 */
export function conversationNeighbours(
  ids: Iterable<string>,
  get: (id: string) => MemoryRecord | undefined,
  all: () => Iterable<MemoryRecord>,
): Map<string, string[]> {
  const wanted = new Set<string>()
  for (const id of ids) {
    const r = get(id)
    const thread = r && threadOf(r)
    if (thread !== undefined) wanted.add(thread)
  }
  const out = new Map<string, string[]>()
  if (wanted.size === 0) return out
  const threads = new Map<string, MemoryRecord[]>()
  for (const r of all()) {
    const thread = threadOf(r)
    if (thread === undefined || !wanted.has(thread)) continue
    let list = threads.get(thread)
    if (!list) threads.set(thread, (list = []))
    list.push(r)
  }
  for (const list of threads.values()) {
    list.sort((a, b) => a.createdAt - b.createdAt)
    list.forEach((r, i) => {
      const around: string[] = []
      if (i > 0) around.push(list[i - 1]!.id)
      if (i + 1 < list.length) around.push(list[i + 1]!.id)
      out.set(r.id, around)
    })
  }
  return out
}

/**
 * Relevance with conversation context: r + (1 − r) · weight · max(relevance of the neighbours). Stays
 * in 0..1, leaves memories without a relevant neighbour unchanged, and never lifts a neighbour above
 * the memory that lifted it (unless it was relevant itself).
 */
export function withContext(
  relevance: Map<string, number>,
  neighbours: Map<string, string[]>,
  weight = CONTEXT_WEIGHT,
): Map<string, number> {
  if (neighbours.size === 0 || weight <= 0) return relevance
  const out = new Map<string, number>()
  for (const [id, r] of relevance) {
    let best = 0
    for (const n of neighbours.get(id) ?? []) best = Math.max(best, relevance.get(n) ?? 0)
    out.set(id, r + (1 - r) * weight * best)
  }
  return out
}

/** Neighbours of relevant candidates that are not candidates themselves: context can lift them in. */
export function contextCandidates(relevance: Map<string, number>, neighbours: Map<string, string[]>): string[] {
  const out = new Set<string>()
  for (const [id, r] of relevance) {
    if (r <= 0) continue
    for (const n of neighbours.get(id) ?? []) if (!relevance.has(n)) out.add(n)
  }
  return [...out]
}

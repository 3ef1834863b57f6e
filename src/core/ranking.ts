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
  vectorWeight: 0.5,
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

/**
 * Retrieval metrics over ranked id lists with binary relevance (a retrieved id either is evidence or not).
 * All are per question; `aggregate` averages them. Duplicated ids in a ranking count once (first place).
 *   hit@k     1 if any evidence id is in the top k
 *   recall@k  share of the evidence ids found in the top k
 *   ndcg@k    DCG of the top k (gain 1 / log2(rank + 1), rank from 1) over the DCG of a perfect ranking
 *   mrr@k     1 / rank of the first evidence id in the top k, 0 if none
 */

export interface Metrics {
  hit: number
  recall: number
  ndcg: number
  mrr: number
}

export function scoreRanking(ranked: readonly string[], evidence: ReadonlySet<string>, k: number): Metrics {
  if (evidence.size === 0) throw new Error('scoreRanking: a question without evidence cannot be scored')
  if (!Number.isInteger(k) || k < 1) throw new Error('scoreRanking: k must be a positive integer')
  const seen = new Set<string>()
  let found = 0
  let dcg = 0
  let firstRank = 0
  let rank = 0
  for (const id of ranked) {
    if (seen.has(id)) continue
    seen.add(id)
    rank++
    if (rank > k) break
    if (!evidence.has(id)) continue
    found++
    dcg += 1 / Math.log2(rank + 1)
    if (firstRank === 0) firstRank = rank
  }
  let ideal = 0
  for (let i = 1; i <= Math.min(evidence.size, k); i++) ideal += 1 / Math.log2(i + 1)
  return {
    hit: found > 0 ? 1 : 0,
    recall: found / evidence.size,
    ndcg: dcg / ideal,
    mrr: firstRank === 0 ? 0 : 1 / firstRank,
  }
}

/** Mean of each metric; an empty list gives zeros. */
export function aggregate(list: readonly Metrics[]): Metrics {
  const sum: Metrics = { hit: 0, recall: 0, ndcg: 0, mrr: 0 }
  for (const m of list) {
    sum.hit += m.hit
    sum.recall += m.recall
    sum.ndcg += m.ndcg
    sum.mrr += m.mrr
  }
  const n = list.length || 1
  return { hit: sum.hit / n, recall: sum.recall / n, ndcg: sum.ndcg / n, mrr: sum.mrr / n }
}

export const KS = [1, 5, 10, 20] as const
export type KReport = Record<`k${(typeof KS)[number]}`, Metrics>

export interface Judged {
  ranked: readonly string[]
  evidence: ReadonlySet<string>
}

/** Metrics at every k of `KS`, rounded to 4 decimals for the report. */
export function report(questions: readonly Judged[]): KReport {
  const out = {} as KReport
  for (const k of KS) {
    const m = aggregate(questions.map((q) => scoreRanking(q.ranked, q.evidence, k)))
    out[`k${k}`] = { hit: round(m.hit), recall: round(m.recall), ndcg: round(m.ndcg), mrr: round(m.mrr) }
  }
  return out
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

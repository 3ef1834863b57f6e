/**
 * BM25 keyword index with a Porter stemmer and English stopwords (stemming was the largest single gain
 * on LoCoMo: 0.563 → 0.609 recall@10, ARCHITECTURE 5b). Incremental: add/remove one document at a time;
 * serializes to compact JSON for index snapshots.
 *
 * Written here rather than taken from MiniSearch/Orama: MiniSearch's persistence is whole-index JSON
 * without incremental remove-by-id cost guarantees, and Orama's default full-text scored 0.301 on LoCoMo;
 * what we need is ~150 lines.
 */
import { stemmer } from 'stemmer'
import { memoryError } from './errors.js'

const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can did do does doing down during each few for from further had has have having he her here hers herself him himself ' +
    'his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own same she should so some such than that the their theirs them themselves then there these they ' +
    'this those through to too under until up very was we were what when where which while who whom why will with would you ' +
    'your yours yourself yourselves s t don shouldn ll re ve d m o y'
  ).split(' '),
)

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu

/** Lowercase, split into words, drop stopwords, stem. The same pipeline for documents and queries. */
export function tokenize(text: string): string[] {
  const out: string[] = []
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const word = match[0].replace(/['’]s$/, '').replace(/['’]/g, '')
    if (word.length === 0 || STOPWORDS.has(word)) continue
    out.push(word.length > 2 && !/\d/.test(word) ? stemmer(word) : word)
  }
  return out
}

export interface KeywordHit {
  id: string
  score: number
}

export interface Bm25Options {
  /** Term-frequency saturation. @default 0.9 */
  k1?: number
  /** Length normalization. @default 0.4 */
  b?: number
}

interface Serialized {
  v: 1
  docs: [string, [string, number][]][]
}

export class KeywordIndex {
  readonly #postings = new Map<string, Map<string, number>>()
  readonly #docTerms = new Map<string, Map<string, number>>()
  readonly #docLength = new Map<string, number>()
  #totalLength = 0
  readonly #k1: number
  readonly #b: number

  // Memories are short and of similar length: weaker length normalization and earlier saturation than the
  // textbook 1.2/0.75 (LoCoMo recall@1 of hybrid +0.04, recall@10 +0.01, docs/bench/locomo.md).
  constructor({ k1 = 0.9, b = 0.4 }: Bm25Options = {}) {
    this.#k1 = k1
    this.#b = b
  }

  get size(): number {
    return this.#docTerms.size
  }

  has(id: string): boolean {
    return this.#docTerms.has(id)
  }

  /** Index `text` under `id`, replacing what was there. */
  add(id: string, text: string): void {
    this.#addTerms(id, termCounts(tokenize(text)))
  }

  remove(id: string): boolean {
    const terms = this.#docTerms.get(id)
    if (!terms) return false
    for (const term of terms.keys()) {
      const posting = this.#postings.get(term)
      posting?.delete(id)
      if (posting?.size === 0) this.#postings.delete(term)
    }
    this.#totalLength -= this.#docLength.get(id) ?? 0
    this.#docTerms.delete(id)
    this.#docLength.delete(id)
    return true
  }

  /**
   * Best `limit` documents for `query`. `normalized` is the score divided by the best score any document
   * could reach for this query (every term, saturated), so it is comparable across queries (0..1).
   */
  search(query: string, limit: number, allow?: (id: string) => boolean): (KeywordHit & { normalized: number })[] {
    const terms = [...new Set(tokenize(query))]
    if (terms.length === 0 || this.#docTerms.size === 0) return []
    const n = this.#docTerms.size
    const avgLength = this.#totalLength / n || 1
    const scores = new Map<string, number>()
    let ceiling = 0
    for (const term of terms) {
      const posting = this.#postings.get(term)
      if (!posting) continue
      const idf = Math.log(1 + (n - posting.size + 0.5) / (posting.size + 0.5))
      ceiling += idf * (this.#k1 + 1)
      for (const [id, tf] of posting) {
        if (allow && !allow(id)) continue
        const length = this.#docLength.get(id) ?? 0
        const s = (idf * tf * (this.#k1 + 1)) / (tf + this.#k1 * (1 - this.#b + (this.#b * length) / avgLength))
        scores.set(id, (scores.get(id) ?? 0) + s)
      }
    }
    const hits = [...scores].map(([id, score]) => ({ id, score, normalized: ceiling > 0 ? Math.min(1, score / ceiling) : 0 }))
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    return hits.slice(0, limit)
  }

  serialize(): string {
    const data: Serialized = { v: 1, docs: [...this.#docTerms].map(([id, terms]) => [id, [...terms]]) }
    return JSON.stringify(data)
  }

  static deserialize(json: string, options?: Bm25Options): KeywordIndex {
    let data: Serialized
    try {
      data = JSON.parse(json) as Serialized
    } catch (e) {
      throw memoryError('CORRUPTED', 'Keyword index snapshot is not valid JSON', { cause: e })
    }
    if (data?.v !== 1 || !Array.isArray(data.docs)) throw memoryError('CORRUPTED', 'Keyword index snapshot has an unknown format')
    const index = new KeywordIndex(options)
    for (const [id, terms] of data.docs) index.#addTerms(id, new Map(terms))
    return index
  }

  #addTerms(id: string, terms: Map<string, number>): void {
    this.remove(id)
    let length = 0
    for (const [term, tf] of terms) {
      length += tf
      let posting = this.#postings.get(term)
      if (!posting) this.#postings.set(term, (posting = new Map()))
      posting.set(id, tf)
    }
    this.#docTerms.set(id, terms)
    this.#docLength.set(id, length)
    this.#totalLength += length
  }
}

function termCounts(tokens: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1)
  return counts
}

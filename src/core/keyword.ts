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
import { yieldToEventLoop } from './scheduling.js'

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

const EMPTY_TERMS = new Map<string, number>()

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

const SERIALIZE_SLICE = 10_000

/** Documents `at .. at + count` as JSON array items, without the brackets. */
function docsJson(docs: [string, Map<string, number>][], at: number, count: number): string {
  return JSON.stringify(docs.slice(at, at + count).map(([id, terms]) => [id, [...terms]])).slice(1, -1)
}

/** The snapshot text, `JSON.stringify` of a {@link Serialized}, from its documents' parts. */
function snapshotJson(parts: string[]): string {
  return `{"v":1,"docs":[${parts.join(',')}]}`
}

export class KeywordIndex {
  /** term → (document slot → term frequency). Slots are small integers: scoring indexes arrays, not maps. */
  readonly #postings = new Map<string, Map<number, number>>()
  readonly #docTerms = new Map<string, Map<string, number>>()
  readonly #slotOf = new Map<string, number>()
  readonly #idAt: string[] = []
  /** Per slot: the document's term counts (the same maps as #docTerms). */
  readonly #termsAt: Map<string, number>[] = []
  readonly #lengthAt: number[] = []
  readonly #freeSlots: number[] = []
  /** Per-slot score accumulator reused by every search (zeroed again before search returns). */
  #scores = new Float64Array(0)
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
    const slot = this.#slotOf.get(id)
    if (!terms || slot === undefined) return false
    for (const term of terms.keys()) {
      const posting = this.#postings.get(term)
      posting?.delete(slot)
      if (posting?.size === 0) this.#postings.delete(term)
    }
    this.#totalLength -= this.#lengthAt[slot]!
    this.#lengthAt[slot] = 0
    this.#idAt[slot] = ''
    this.#termsAt[slot] = EMPTY_TERMS
    this.#freeSlots.push(slot)
    this.#slotOf.delete(id)
    this.#docTerms.delete(id)
    return true
  }

  /**
   * Best `limit` documents for `query` that `allow` accepts (asked only of documents that would make the
   * list). `normalized` is the score divided by the best score any document could reach for this query
   * (every term, saturated), so it is comparable across queries (0..1). Ties go to the smaller id.
   */
  search(query: string, limit: number, allow?: (id: string) => boolean): (KeywordHit & { normalized: number })[] {
    const terms = [...new Set(tokenize(query))]
    if (terms.length === 0 || this.#docTerms.size === 0 || limit < 1) return []
    const n = this.#docTerms.size
    const avgLength = this.#totalLength / n || 1
    const k1 = this.#k1
    const b = this.#b
    const lengthAt = this.#lengthAt
    if (this.#scores.length < this.#idAt.length) this.#scores = new Float64Array(Math.max(this.#idAt.length, this.#scores.length * 2))
    const scores = this.#scores
    const touched: number[] = []
    let ceiling = 0
    for (const term of terms) {
      const posting = this.#postings.get(term)
      if (!posting) continue
      const idf = Math.log(1 + (n - posting.size + 0.5) / (posting.size + 0.5))
      ceiling += idf * (k1 + 1)
      posting.forEach((tf, slot) => {
        if (scores[slot] === 0) touched.push(slot)
        scores[slot]! += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * lengthAt[slot]!) / avgLength))
      })
    }
    const top = new TopK(limit, this.#idAt, scores)
    for (const slot of touched) if (top.wouldTake(slot) && (!allow || allow(this.#idAt[slot]!))) top.push(slot)
    const hits = top.sorted().map((slot) => {
      const score = scores[slot]!
      return { id: this.#idAt[slot]!, score, normalized: ceiling > 0 ? Math.min(1, score / ceiling) : 0 }
    })
    for (const slot of touched) scores[slot] = 0
    return hits
  }

  /**
   * BM25 of `query` over passages: each passage is several documents read as one (their term counts
   * summed), its length compared with as many average documents. Normalized like {@link search} (0..1).
   * Ids this index does not hold are left out of their passage.
   */
  passageScores(query: string, passages: readonly (readonly string[])[]): number[] {
    const n = this.#docTerms.size
    const terms = [...new Set(tokenize(query))].filter((t) => this.#postings.has(t))
    if (terms.length === 0 || n === 0) return passages.map(() => 0)
    const k1 = this.#k1
    const b = this.#b
    const avgLength = this.#totalLength / n || 1
    const idf = terms.map((t) => {
      const df = this.#postings.get(t)!.size
      return Math.log(1 + (n - df + 0.5) / (df + 0.5))
    })
    let ceiling = 0
    for (const w of idf) ceiling += w * (k1 + 1)
    const tf = new Float64Array(terms.length)
    return passages.map((ids) => {
      tf.fill(0)
      let length = 0
      let docs = 0
      for (const id of ids) {
        const slot = this.#slotOf.get(id)
        if (slot === undefined) continue
        docs++
        length += this.#lengthAt[slot]!
        const counts = this.#termsAt[slot]!
        for (let i = 0; i < terms.length; i++) tf[i]! += counts.get(terms[i]!) ?? 0
      }
      if (docs === 0) return 0
      let score = 0
      const norm = k1 * (1 - b + (b * length) / (avgLength * docs))
      for (let i = 0; i < terms.length; i++) score += (idf[i]! * tf[i]! * (k1 + 1)) / (tf[i]! + norm)
      return Math.min(1, score / ceiling)
    })
  }

  serialize(): string {
    const docs = [...this.#docTerms]
    return snapshotJson([docsJson(docs, 0, docs.length)])
  }

  /**
   * The same text as {@link serialize}, built `docsPerSlice` documents at a time with the event loop given
   * a turn between slices (100k memories take about half a second in all). Changes made meanwhile may or
   * may not be in it: the memory replays the log after the snapshot's sequence number, which covers them.
   */
  async serializeYielding(docsPerSlice = SERIALIZE_SLICE): Promise<string> {
    const docs = [...this.#docTerms]
    const parts: string[] = []
    for (let at = 0; at < docs.length; at += docsPerSlice) {
      if (at > 0) await yieldToEventLoop()
      parts.push(docsJson(docs, at, docsPerSlice))
    }
    return snapshotJson(parts)
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
    const slot = this.#freeSlots.pop() ?? this.#idAt.length
    let length = 0
    for (const [term, tf] of terms) {
      length += tf
      let posting = this.#postings.get(term)
      if (!posting) this.#postings.set(term, (posting = new Map()))
      posting.set(slot, tf)
    }
    this.#idAt[slot] = id
    this.#termsAt[slot] = terms
    this.#lengthAt[slot] = length
    this.#slotOf.set(id, slot)
    this.#docTerms.set(id, terms)
    this.#totalLength += length
  }
}

/** The best `limit` slots by score (ties: smaller id first), as a min-heap whose root is the worst kept. */
class TopK {
  readonly #heap: number[] = []
  constructor(
    readonly limit: number,
    readonly ids: readonly string[],
    readonly scores: Float64Array,
  ) {}

  /** a ranks below b. */
  #worse(a: number, b: number): boolean {
    const sa = this.scores[a]!
    const sb = this.scores[b]!
    return sa < sb || (sa === sb && this.ids[a]! > this.ids[b]!)
  }

  wouldTake(slot: number): boolean {
    return this.#heap.length < this.limit || this.#worse(this.#heap[0]!, slot)
  }

  push(slot: number): void {
    const h = this.#heap
    if (h.length < this.limit) {
      h.push(slot)
      let i = h.length - 1
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (!this.#worse(h[i]!, h[parent]!)) break
        ;[h[i], h[parent]] = [h[parent]!, h[i]!]
        i = parent
      }
      return
    }
    h[0] = slot
    for (let i = 0; ; ) {
      const l = 2 * i + 1
      const r = l + 1
      let worst = i
      if (l < h.length && this.#worse(h[l]!, h[worst]!)) worst = l
      if (r < h.length && this.#worse(h[r]!, h[worst]!)) worst = r
      if (worst === i) break
      ;[h[i], h[worst]] = [h[worst]!, h[i]!]
      i = worst
    }
  }

  /** Best first. */
  sorted(): number[] {
    return [...this.#heap].sort((a, b) => (this.#worse(a, b) ? 1 : this.#worse(b, a) ? -1 : 0))
  }
}

function termCounts(tokens: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1)
  return counts
}

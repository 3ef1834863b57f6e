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
  /** BM25 (0..1) of the memory read together with its neighbours in the same episode ({@link passageOf}). */
  passage?: number | undefined
  /** 0-based positions in each list, for reciprocal-rank fusion. */
  vectorRank?: number
  keywordRank?: number
}

const RRF_K = 60

/**
 * How much of its weight the vector gives up as the query's best keyword match nears a full match:
 * `vectorWeight · (1 − VECTOR_YIELD · keywordBest)`, where `keywordBest` is the highest keyword relevance
 * ({@link keywordOf}) among this query's candidates. When one memory holds every query term, the lexical
 * match is the stronger evidence and a loosely similar vector should reorder it less; when no memory
 * matches well, the vector keeps its full weight. On LoCoMo, yielding all of it (1) costs 0.011 of
 * recall@10; yielding none (0) costs a little recall@1 and hybrid's lead over keyword-only there on
 * held-out conversations; half keeps most of both (docs/bench/locomo.md).
 */
export const VECTOR_YIELD = 0.5

/** Fused relevance of one candidate, 0..1 (weighted fusion: see {@link VECTOR_YIELD}). */
export function relevanceOf(
  c: Candidate,
  mode: 'hybrid' | 'vector' | 'keyword',
  options: RankingOptions,
  keywordBest = 0,
  vectorYield = VECTOR_YIELD,
): number {
  const vector = Math.max(0, c.cosine ?? 0)
  const keyword = keywordOf(c)
  if (mode === 'vector') return vector
  if (mode === 'keyword') return keyword
  if (options.fusion === 'rrf') {
    const rrf = (rank?: number) => (rank === undefined ? 0 : 1 / (RRF_K + rank + 1))
    return ((rrf(c.vectorRank) + rrf(c.keywordRank)) * (RRF_K + 1)) / 2
  }
  const w = options.vectorWeight * (1 - vectorYield * Math.min(1, Math.max(0, keywordBest)))
  return w * vector + (1 - w) * keyword
}

/**
 * A memory's keyword relevance: its own BM25, mixed with its passage's when it has one. A conversation
 * turn is short; the question's words are often split between it and the turn before or after ("Did you
 * paint it?" / "Yes, the sunset one"), and a passage holding all of them says more than any one turn.
 * With the speaker prior, LoCoMo recall@1 +0.02 and recall@10 +0.01 to +0.015 for hybrid and keyword-only;
 * without it the neighbours it lifts are mostly the other speaker's and it costs recall@1 (docs/bench/locomo.md).
 */
export const PASSAGE_WEIGHT = 0.5

export function keywordOf(c: Candidate, passageWeight = PASSAGE_WEIGHT): number {
  const own = c.keyword ?? 0
  return c.passage === undefined ? own : (1 - passageWeight) * own + passageWeight * c.passage
}

/**
 * The passage of a memory of a conversation: itself and the memories just before and just after it that
 * are in its episode (order does not matter to BM25). Undefined when it has no such neighbour.
 */
export function passageOf(id: string, layout: ThreadLayout): string[] | undefined {
  return layout.passages.get(id)
}

/**
 * How much naming a speaker favours what that speaker said. A memory that opens with a speaker label
 * ("Melanie: I painted a sunset") is by that speaker; when the query names speakers who label some of
 * the candidates ("What did Melanie paint?"), a memory by someone else, or unlabelled and not
 * mentioning them, weighs 1 / (1 + weight). LoCoMo recall@1 +0.04 (vector-only) to +0.095 (hybrid),
 * recall@10 +0.02 (docs/bench/locomo.md).
 */
export const SPEAKER_WEIGHT = 0.3

const SPEAKER_LABEL = /^[ \t]*(\p{Lu}[\p{L}\p{M}'’.-]*(?: \p{Lu}[\p{L}\p{M}'’.-]*){0,2}):\s/gmu

/**
 * The speaker of a memory that opens with a speaker label ("Melanie: hi" → "Melanie"). Undefined
 * without one, and for a transcript whose lines carry more than one speaker's label.
 */
export function speakerOf(content: string): string | undefined {
  const colon = content.indexOf(':')
  if (colon < 1 || colon > 80) return undefined
  let speaker: string | undefined
  let first = true
  for (const m of content.matchAll(SPEAKER_LABEL)) {
    if (first && m.index !== 0) return undefined
    first = false
    const label = m[1]!
    if (speaker !== undefined && label !== speaker) return undefined
    speaker = label
  }
  return speaker
}

/** speakerOf per memory object, worked out again only when its content changes. */
const labelCache = new WeakMap<object, { content: string; label: string | undefined }>()
function labelOf(memory: { content: string }): string | undefined {
  const known = labelCache.get(memory)
  if (known?.content === memory.content) return known.label
  const label = speakerOf(memory.content)
  labelCache.set(memory, { content: memory.content, label })
  return label
}

const LETTER = /[\p{L}\p{N}]/u
const isLetter = (ch: string | undefined) => ch !== undefined && LETTER.test(ch)

/** Whether `name` occurs in `text` as a whole word. */
function mentions(text: string, name: string): boolean {
  const at = text.indexOf(name)
  if (at < 0) return false
  for (let i = at; i >= 0; i = text.indexOf(name, i + 1)) if (!isLetter(text[i - 1]) && !isLetter(text[i + name.length])) return true
  return false
}

/**
 * The speaker prior's factor per memory ({@link SPEAKER_WEIGHT}): 1, or 1 / (1 + weight) for a memory
 * by someone the query does not name. Undefined when the query names no speaker of these memories.
 */
export function speakerWeights(
  ids: Iterable<string>,
  query: string,
  memoryOf: (id: string) => { content: string } | undefined,
  weight = SPEAKER_WEIGHT,
): Map<string, number> | undefined {
  if (weight <= 0) return undefined
  // A query with capitals names "Melanie", not "melanie" or "time" (which a "Time: 10:30" note would label).
  const cased = /\p{Lu}/u.test(query)
  const lowered = query.toLowerCase()
  const labels = new Map<string, string | undefined>()
  const named = new Set<string>()
  for (const id of ids) {
    const memory = memoryOf(id)
    const label = memory && labelOf(memory)
    const key = label?.toLowerCase()
    labels.set(id, key)
    if (key !== undefined && !named.has(key) && (cased ? mentions(query, label!) : mentions(lowered, key))) named.add(key)
  }
  if (named.size === 0) return undefined
  const out = new Map<string, number>()
  for (const [id, label] of labels) {
    const content = label === undefined ? memoryOf(id)?.content.toLowerCase() : undefined
    const by = label !== undefined ? named.has(label) : content !== undefined && [...named].some((n) => mentions(content, n))
    out.set(id, by ? 1 : 1 / (1 + weight))
  }
  return out
}

/** Relevance times each memory's factor (factors from {@link speakerWeights}; none: unchanged). */
export function weighed(relevance: Map<string, number>, factors: ReadonlyMap<string, number> | undefined): Map<string, number> {
  if (!factors) return relevance
  const out = new Map<string, number>()
  for (const [id, r] of relevance) out.set(id, r * (factors.get(id) ?? 1))
  return out
}

/** Relevance with the speaker prior; unchanged when the query names no speaker. */
export function withSpeakers(
  relevance: Map<string, number>,
  query: string,
  memoryOf: (id: string) => { content: string } | undefined,
  weight = SPEAKER_WEIGHT,
): Map<string, number> {
  return weighed(relevance, speakerWeights(relevance.keys(), query, memoryOf, weight))
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
    keyword: keywordOf(c),
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

/** The conversation a memory belongs to: its scope.conversationId, else its scope.sessionId. */
export function threadOf(r: MemoryRecord): string | undefined {
  const { conversationId, sessionId } = r.scope
  return conversationId !== undefined ? `c:${conversationId}` : sessionId !== undefined ? `s:${sessionId}` : undefined
}

/**
 * How much a memory's episode weighs on it (hierarchical retrieval): relevance × (1 − w + w · best / top),
 * where `best` is the highest relevance in the memory's episode and `top` the highest of the query. A fact
 * is seldom said in the one turn that shares the question's words; the episode where the topic came up
 * is easier to find than the turn. LoCoMo hybrid recall@10 with every turn scored 0.707 → 0.744, keyword-only
 * 0.676 → 0.704 (docs/bench/locomo.md); weights 0.5 to 0.85 are within 0.005 of each other.
 */
export const EPISODE_WEIGHT = 0.7

/**
 * Two memories of one conversation belong to the same episode when no more than this separates them
 * (and every memory between them): the inactivity gap that ends a session in web analytics. Any gap from
 * a minute to a day splits LoCoMo identically (its sessions are days apart).
 */
export const EPISODE_GAP_MS = 30 * 60_000

/** The read side of a Map: what the context and episode steps ask of a layout. */
export interface Lookup<T> {
  get(id: string): T | undefined
  has(id: string): boolean
}

export interface ThreadLayout {
  /** The memory just before and just after, per memory of a thread. */
  neighbours: Lookup<string[]>
  /** Episode key per memory of a thread (memories of one episode share it). */
  episodes: Lookup<string>
  /** Per memory of a thread with a neighbour in its episode: it and those neighbours ({@link passageOf}). */
  passages: Lookup<string[]>
}

/** A thread's memories oldest first, and where each one stands. */
export interface ThreadView {
  readonly records: readonly MemoryRecord[]
  readonly indexOf: ReadonlyMap<string, number>
  /** Where each memory's episode starts, per episode gap (worked out once per view). */
  readonly episodeStarts: Map<number, Int32Array>
}

/** The view of a thread whose memories are already in order. */
export function threadView(ordered: readonly MemoryRecord[]): ThreadView {
  const indexOf = new Map<string, number>()
  for (const [i, r] of ordered.entries()) indexOf.set(r.id, i)
  return { records: ordered, indexOf, episodeStarts: new Map() }
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
): Lookup<string[]> {
  return threadLayout(ids, get, all).neighbours
}

/**
 * Where a thread's memories come from: a scan of every memory, or an index that answers per thread
 * (RecordCatalog.inThread), so a recall reads only the threads of its candidates.
 */
export type ThreadSource = (() => Iterable<MemoryRecord>) | { inThread(thread: string): ThreadView }

/**
 * Neighbours and episodes of the memories of the threads that `ids` belong to: a thread's memories
 * ordered by createdAt, cut into episodes wherever more than `gapMs` separates two consecutive ones.
 * Answers are worked out per asked id (a recall asks about its candidates, not whole threads).
 */
export function threadLayout(
  ids: Iterable<string>,
  get: (id: string) => MemoryRecord | undefined,
  all: ThreadSource,
  gapMs = EPISODE_GAP_MS,
): ThreadLayout {
  const wanted = new Set<string>()
  for (const id of ids) {
    const r = get(id)
    const thread = r && threadOf(r)
    if (thread !== undefined) wanted.add(thread)
  }
  const views = new Map<string, ThreadView>()
  if (wanted.size > 0 && typeof all === 'function') {
    const scanned = new Map<string, MemoryRecord[]>()
    for (const r of all()) {
      const thread = threadOf(r)
      if (thread === undefined || !wanted.has(thread)) continue
      let list = scanned.get(thread)
      if (!list) scanned.set(thread, (list = []))
      list.push(r)
    }
    for (const [thread, list] of scanned) views.set(thread, threadView(list.sort(byCreatedAt)))
  } else if (wanted.size > 0 && typeof all !== 'function') {
    for (const thread of wanted) views.set(thread, all.inThread(thread))
  }
  // A recall asks about each candidate several times (neighbours, episode, passage): answer each once.
  const located = new Map<string, { thread: string; view: ThreadView; i: number } | undefined>()
  const locate = (id: string) => {
    if (located.has(id)) return located.get(id)
    const r = get(id)
    const thread = r && threadOf(r)
    const view = thread === undefined ? undefined : views.get(thread)
    const i = view?.indexOf.get(id)
    const at = i === undefined ? undefined : { thread: thread!, view: view!, i }
    located.set(id, at)
    return at
  }
  const startsOf = ({ records, episodeStarts }: ThreadView) => {
    let out = episodeStarts.get(gapMs)
    if (!out) {
      out = new Int32Array(records.length)
      for (let i = 1; i < records.length; i++) out[i] = records[i]!.createdAt - records[i - 1]!.createdAt > gapMs ? i : out[i - 1]!
      episodeStarts.set(gapMs, out)
    }
    return out
  }
  return {
    neighbours: {
      get(id) {
        const at = locate(id)
        if (!at) return undefined
        const { records } = at.view
        const around: string[] = []
        if (at.i > 0) around.push(records[at.i - 1]!.id)
        if (at.i + 1 < records.length) around.push(records[at.i + 1]!.id)
        return around
      },
      has: (id) => locate(id) !== undefined,
    },
    episodes: {
      get(id) {
        const at = locate(id)
        return at && `${at.thread}#${startsOf(at.view)[at.i]}`
      },
      has: (id) => locate(id) !== undefined,
    },
    passages: {
      get(id) {
        const at = locate(id)
        if (!at) return undefined
        const { records } = at.view
        const starts = startsOf(at.view)
        const out = [id]
        if (at.i > 0 && starts[at.i - 1] === starts[at.i]) out.push(records[at.i - 1]!.id)
        if (at.i + 1 < records.length && starts[at.i + 1] === starts[at.i]) out.push(records[at.i + 1]!.id)
        return out.length > 1 ? out : undefined
      },
      has(id) {
        return this.get(id) !== undefined
      },
    },
  }
}

/** Oldest first; a stable sort keeps the catalog's order among equal timestamps. */
export const byCreatedAt = (a: MemoryRecord, b: MemoryRecord): number => a.createdAt - b.createdAt

/**
 * Relevance weighed by episode: r · (1 − weight + weight · best(episode) / best(all)). Only reorders
 * relevant memories (0 stays 0, the best memory keeps its relevance, nothing rises above 1). A memory
 * outside any episode is an episode of its own.
 */
export function withEpisodes(relevance: Map<string, number>, episodes: Lookup<string>, weight = EPISODE_WEIGHT): Map<string, number> {
  if (weight <= 0 || relevance.size === 0) return relevance
  const best = new Map<string, number>()
  let top = 0
  for (const [id, r] of relevance) {
    const key = episodes.get(id) ?? `#${id}`
    best.set(key, Math.max(best.get(key) ?? 0, r))
    top = Math.max(top, r)
  }
  if (top <= 0) return relevance
  const out = new Map<string, number>()
  for (const [id, r] of relevance) out.set(id, r * (1 - weight + (weight * best.get(episodes.get(id) ?? `#${id}`)!) / top))
  return out
}

/**
 * Relevance with conversation context: r + (1 − r) · weight · max(relevance of the neighbours). Stays
 * in 0..1, leaves memories without a relevant neighbour unchanged, and never lifts a neighbour above
 * the memory that lifted it (unless it was relevant itself). The neighbours' relevance is read from
 * `lifting`: recall passes their relevance without the passage score, whose words include the very
 * memory being lifted (else a turn would lift itself through its neighbour).
 */
export function withContext(
  relevance: Map<string, number>,
  neighbours: Lookup<string[]>,
  weight = CONTEXT_WEIGHT,
  lifting: ReadonlyMap<string, number> = relevance,
): Map<string, number> {
  if (weight <= 0) return relevance
  const out = new Map<string, number>()
  for (const [id, r] of relevance) {
    let best = 0
    for (const n of neighbours.get(id) ?? []) best = Math.max(best, lifting.get(n) ?? 0)
    out.set(id, r + (1 - r) * weight * best)
  }
  return out
}

/** Neighbours of relevant candidates that are not candidates themselves: context can lift them in. */
export function contextCandidates(relevance: Map<string, number>, neighbours: Lookup<string[]>): string[] {
  const out = new Set<string>()
  for (const [id, r] of relevance) {
    if (r <= 0) continue
    for (const n of neighbours.get(id) ?? []) if (!relevance.has(n)) out.add(n)
  }
  return [...out]
}

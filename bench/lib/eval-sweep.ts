/**
 * Sensitivity of the recall defaults on LoCoMo, tuned on conversations 0–4 and checked on 5–9.
 * Scores every turn of a conversation with engram's own pieces (KeywordIndex, relevanceOf, threadLayout,
 * withEpisodes, withContext from src/core), so a grid of weights runs in seconds; the only difference
 * from a real recall is that no candidate is cut off (engram scores the top 50–100 of each list plus
 * their neighbours), which moves recall@10 by under 0.01 (docs/bench/locomo.md).
 *
 * Run after `npm run eval:locomo` has cached the vectors:
 *   npx tsx bench/lib/eval-sweep.ts [--data ../shared/data/locomo/locomo10.json]
 * Writes docs/eval/locomo-sweep.json, which eval-locomo.ts turns into a table of docs/bench/locomo.md.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { KeywordIndex } from '../../src/core/keyword.js'
import type { Candidate, ThreadLayout } from '../../src/core/ranking.js'
import {
  CONTEXT_WEIGHT,
  DEFAULT_RANKING,
  EPISODE_GAP_MS,
  EPISODE_WEIGHT,
  keywordOf,
  PASSAGE_WEIGHT,
  passageOf,
  relevanceOf,
  SPEAKER_WEIGHT,
  threadLayout,
  VECTOR_YIELD,
  withContext,
  withEpisodes,
  withSpeakers,
} from '../../src/core/ranking.js'
import type { MemoryRecord } from '../../src/core/types.js'
import { BUILTIN_MODELS, DEFAULT_MODEL } from '../../src/embed/models.js'
import { cachingEmbedder } from './eval-embed-cache.js'
import { type Conversation, loadLocomo } from './eval-locomo-data.js'
import { KS, scoreRanking } from './eval-metrics.js'

export interface SweepSettings {
  vectorWeight: number
  /** How much of its weight the vector yields to the best keyword match (relevanceOf's vectorYield). */
  vectorYield: number
  episodeWeight: number
  contextWeight: number
  passageWeight: number
  speakerWeight: number
}

export const SHIPPED: SweepSettings = {
  vectorWeight: DEFAULT_RANKING.vectorWeight,
  vectorYield: VECTOR_YIELD,
  episodeWeight: EPISODE_WEIGHT,
  contextWeight: CONTEXT_WEIGHT,
  passageWeight: PASSAGE_WEIGHT,
  speakerWeight: SPEAKER_WEIGHT,
}

interface Prepared {
  conv: Conversation
  records: MemoryRecord[]
  layout: ThreadLayout
  /** Per question: cosine, normalized BM25 and passage BM25 (0 without a passage) of every turn. */
  scores: { cosine: Float64Array; keyword: Float64Array; passage: Float64Array }[]
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return dot / Math.sqrt(na * nb)
}

export async function prepare(convs: Conversation[], embed: (texts: string[]) => Promise<Float32Array[]>): Promise<Prepared[]> {
  const out: Prepared[] = []
  for (const conv of convs) {
    const index = new KeywordIndex()
    for (const t of conv.turns) index.add(t.id, t.content)
    const position = new Map(conv.turns.map((t, i) => [t.id, i]))
    const vectors = await embed(conv.turns.map((t) => t.content))
    const queries = await embed(conv.questions.map((q) => q.question))
    const records = conv.turns.map(
      (t) => ({ id: t.id, content: t.content, createdAt: t.createdAt, scope: { conversationId: conv.id } }) as MemoryRecord,
    )
    const byId = new Map(records.map((r) => [r.id, r]))
    const layout = threadLayout(
      records.map((r) => r.id),
      (id) => byId.get(id),
      () => records,
      EPISODE_GAP_MS,
    )
    const passages = records.map((r) => passageOf(r.id, layout))
    const scores = conv.questions.map((q, i) => {
      const keyword = new Float64Array(conv.turns.length)
      for (const h of index.search(q.question, conv.turns.length)) keyword[position.get(h.id)!] = h.normalized
      const withPassage = passages.flatMap((p, j) => (p ? [j] : []))
      const passage = new Float64Array(conv.turns.length).fill(Number.NaN)
      index
        .passageScores(
          q.question,
          withPassage.map((j) => passages[j]!),
        )
        .forEach((score, j) => {
          passage[withPassage[j]!] = score
        })
      return { cosine: Float64Array.from(vectors, (v) => cosine(queries[i]!, v)), keyword, passage }
    })
    out.push({ conv, records, layout, scores })
  }
  return out
}

/** Mean evidence recall@k (k = 1, 5, 10, 20) of one mode under `s`. */
export function sweepRecall(data: Prepared[], mode: 'hybrid' | 'keyword' | 'vector', s: SweepSettings): number[] {
  const sums = KS.map(() => 0)
  let n = 0
  const options = { ...DEFAULT_RANKING, vectorWeight: s.vectorWeight }
  for (const { conv, records, layout, scores } of data) {
    const { neighbours, episodes } = layout
    const byId = new Map(records.map((r) => [r.id, r]))
    conv.questions.forEach((q, qi) => {
      const { cosine: cos, keyword, passage } = scores[qi]!
      const candidates = records.map((r, i) => {
        const c: Candidate = { id: r.id, cosine: cos[i]!, keyword: keyword[i]! }
        if (mode !== 'vector' && !Number.isNaN(passage[i]!)) c.passage = passage[i]!
        return c
      })
      let best = 0
      for (const c of candidates) best = Math.max(best, keywordOf(c, s.passageWeight))
      // As recall does: context lifts by the neighbours' relevance without their passage score.
      const relevances = (passages: boolean) => {
        const base = new Map<string, number>()
        for (const c of candidates) {
          const own = { ...c, keyword: passages ? keywordOf(c, s.passageWeight) : (c.keyword ?? 0), passage: undefined }
          base.set(c.id, relevanceOf(own, mode, options, best, s.vectorYield))
        }
        return withEpisodes(
          withSpeakers(base, q.question, (id) => byId.get(id), s.speakerWeight),
          episodes,
          s.episodeWeight,
        )
      }
      const fused = withContext(relevances(true), neighbours, s.contextWeight, relevances(false))
      const ranked = [...fused]
        .filter(([, r]) => r > 0)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 20)
        .map(([id]) => id)
      KS.forEach((k, j) => {
        sums[j]! += scoreRanking(ranked, q.evidence, k).recall
      })
      n++
    })
  }
  return sums.map((x) => x / (n || 1))
}

/** One grid axis at a time around the shipped defaults. */
export function grid(): { label: string; settings: SweepSettings }[] {
  const out: { label: string; settings: SweepSettings }[] = [{ label: 'shipped defaults', settings: SHIPPED }]
  const vary = (label: string, patch: Partial<SweepSettings>) => out.push({ label, settings: { ...SHIPPED, ...patch } })
  vary('no episode weight (0)', { episodeWeight: 0 })
  for (const w of [0.5, 0.85]) vary(`episode weight ${w}`, { episodeWeight: w })
  for (const w of [0, 0.35, 0.65]) vary(`passage weight ${w}`, { passageWeight: w })
  for (const w of [0, 0.2, 0.5]) vary(`speaker weight ${w}`, { speakerWeight: w })
  for (const y of [0, 1]) vary(`vector yield ${y}`, { vectorYield: y })
  for (const w of [0.2, 0.4]) vary(`vector weight ${w}`, { vectorWeight: w })
  for (const w of [0.3, 0.7]) vary(`context weight ${w}`, { contextWeight: w })
  vary('none of passage, speaker (before this round)', { passageWeight: 0, speakerWeight: 0, vectorYield: 1 })
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(new URL('../..', import.meta.url).pathname)
  const { values } = parseArgs({
    options: { data: { type: 'string', default: join(root, '..', 'shared', 'data', 'locomo', 'locomo10.json') } },
  })
  const file = resolve(values.data!)
  if (!existsSync(file)) {
    console.log(`eval-sweep: skipped, no LoCoMo file at ${file}`)
    process.exit(0)
  }
  const model = DEFAULT_MODEL
  const embedder = cachingEmbedder(
    join(root, '.cache', 'eval', `locomo-${model}-${BUILTIN_MODELS[model].sha256.slice(0, 12)}`),
    { id: model, dims: 512 },
    async () => {
      const { createEmbedder } = await import('../../src/embed/create.js')
      return createEmbedder({ model })
    },
  )
  const all = loadLocomo(file)
  const data = await prepare(all, (texts) => embedder.embed(texts))
  embedder.save()
  const splits = { tune: data.slice(0, 5), holdout: data.slice(5), all: data }
  const rows = grid().map(({ label, settings }) => {
    const row: Record<string, unknown> = { label, settings }
    for (const [split, d] of Object.entries(splits))
      row[split] = Object.fromEntries(
        (['hybrid', 'keyword', 'vector'] as const).map((m) => [m, sweepRecall(d, m, settings).map((x) => Math.round(x * 1000) / 1000)]),
      )
    const h = (row.all as Record<string, number[]>).hybrid!
    console.log(label.padEnd(36), `recall@1/5/10/20 all ${h.join(' ')}`)
    return row
  })
  const out = join(root, 'docs', 'eval', 'locomo-sweep.json')
  mkdirSync(join(root, 'docs', 'eval'), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify({ embedder: model, ks: KS, tune: 'conversations 0-4', holdout: 'conversations 5-9', every_turn_scored: true, rows }, null, 2)}\n`,
  )
  console.log(`wrote ${out}`)
}

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
import {
  CONTEXT_WEIGHT,
  DEFAULT_RANKING,
  EPISODE_GAP_MS,
  EPISODE_WEIGHT,
  relevanceOf,
  threadLayout,
  withContext,
  withEpisodes,
} from '../../src/core/ranking.js'
import type { MemoryRecord } from '../../src/core/types.js'
import { BUILTIN_MODELS, DEFAULT_MODEL } from '../../src/embed/models.js'
import { cachingEmbedder } from './eval-embed-cache.js'
import { type Conversation, loadLocomo } from './eval-locomo-data.js'
import { KS, scoreRanking } from './eval-metrics.js'

export interface SweepSettings {
  vectorWeight: number
  /** Vector weight shrinks with the best keyword match (relevanceOf's keywordBest). */
  adaptive: boolean
  episodeWeight: number
  contextWeight: number
  gapMs: number
}

export const SHIPPED: SweepSettings = {
  vectorWeight: DEFAULT_RANKING.vectorWeight,
  adaptive: true,
  episodeWeight: EPISODE_WEIGHT,
  contextWeight: CONTEXT_WEIGHT,
  gapMs: EPISODE_GAP_MS,
}

interface Prepared {
  conv: Conversation
  records: MemoryRecord[]
  /** Per question: cosine and normalized BM25 of every turn. */
  scores: { cosine: Float64Array; keyword: Float64Array }[]
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
    const scores = conv.questions.map((q, i) => {
      const keyword = new Float64Array(conv.turns.length)
      for (const h of index.search(q.question, conv.turns.length)) keyword[position.get(h.id)!] = h.normalized
      return { cosine: Float64Array.from(vectors, (v) => cosine(queries[i]!, v)), keyword }
    })
    const records = conv.turns.map((t) => ({ id: t.id, createdAt: t.createdAt, scope: { conversationId: conv.id } }) as MemoryRecord)
    out.push({ conv, records, scores })
  }
  return out
}

/** Mean evidence recall@k (k = 1, 5, 10, 20) of one mode under `s`. */
export function sweepRecall(data: Prepared[], mode: 'hybrid' | 'keyword' | 'vector', s: SweepSettings): number[] {
  const sums = KS.map(() => 0)
  let n = 0
  const options = { ...DEFAULT_RANKING, vectorWeight: s.vectorWeight }
  for (const { conv, records, scores } of data) {
    const byId = new Map(records.map((r) => [r.id, r]))
    const { neighbours, episodes } = threadLayout(
      records.map((r) => r.id),
      (id) => byId.get(id),
      () => records,
      s.gapMs,
    )
    conv.questions.forEach((q, qi) => {
      const { cosine: cos, keyword } = scores[qi]!
      let best = 0
      for (const k of keyword) best = Math.max(best, k)
      const base = new Map<string, number>()
      records.forEach((r, i) => {
        const c = { id: r.id, cosine: cos[i]!, keyword: keyword[i]! }
        base.set(r.id, relevanceOf(c, mode, options, s.adaptive ? best : 0))
      })
      const fused = withContext(withEpisodes(base, episodes, s.episodeWeight), neighbours, s.contextWeight)
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
  vary('episode gap 1 min', { gapMs: 60_000 })
  vary('episode gap 1 day', { gapMs: 24 * 3_600_000 })
  vary('fixed vector weight (no adaptive)', { adaptive: false })
  for (const w of [0.2, 0.4]) vary(`vector weight ${w}`, { vectorWeight: w })
  vary('vector weight 0.4, fixed', { vectorWeight: 0.4, adaptive: false })
  for (const w of [0.3, 0.7]) vary(`context weight ${w}`, { contextWeight: w })
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

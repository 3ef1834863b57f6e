/**
 * Summaries: an extractive summary of the selected memories, stored as a `semantic` long-term memory
 * with `sourceIds` and `summaryLevel` (1 over memories, 2 over summaries, ...).
 *
 * Extractive step (deterministic, local): split the sources into sentences, embed them, then pick by
 * maximal marginal relevance — λ·cos(sentence, centroid) − (1−λ)·max cos(sentence, already picked) —
 * dropping every sentence whose cosine to a picked one reaches `policy.summary.redundancy` (it repeats
 * a fact already kept) or whose normalized text was already picked. A sentence that would pass
 * `maxChars` is skipped (a shorter one may still fit); the picked sentences are written in source order. So, below
 * the length cap, every non-redundant sentence — every distinct fact — of the sources is kept.
 * Hierarchical: more than `policy.summary.fanIn` sources are summarized in chronological chunks first
 * (level-1 summaries, stored), and the result summarizes those. A `summarizer` callback (option or
 * policy) replaces the extractive step.
 */

import { splitSentences } from './consolidate.js'
import { cosine, dedupKey } from './dedup.js'
import { memoryError } from './errors.js'
import type { MemoryHost } from './host.js'
import { buildRecord, checkScope, checkTier, checkTimestamp, checkType } from './record.js'
import type { MemoryRecord, Scope, SummarizeOptions } from './types.js'

export interface ExtractiveOptions {
  lambda: number
  redundancy: number
  maxChars: number
}

/** Pick salient, non-redundant sentences (indices into `sentences`, in source order). */
export function selectSentences(sentences: string[], vectors: Float32Array[], options: ExtractiveOptions): number[] {
  const n = sentences.length
  if (n === 0) return []
  const centroid = new Float32Array(vectors[0]!.length)
  for (const v of vectors) for (let i = 0; i < v.length; i++) centroid[i]! += v[i]!
  const salience = vectors.map((v) => cosine(v, centroid))
  const picked: number[] = []
  const maxSim = new Float64Array(n)
  const open = new Set<number>()
  const seenText = new Set<string>()
  for (let i = 0; i < n; i++) open.add(i)
  let chars = 0
  while (open.size > 0) {
    let best = -1
    let bestScore = Number.NEGATIVE_INFINITY
    for (const i of open) {
      const score = options.lambda * salience[i]! - (1 - options.lambda) * (picked.length ? maxSim[i]! : 0)
      if (score > bestScore) {
        bestScore = score
        best = i
      }
    }
    open.delete(best)
    const key = dedupKey(sentences[best]!)
    if (seenText.has(key) || (picked.length > 0 && maxSim[best]! >= options.redundancy)) continue
    const length = sentences[best]!.length + (picked.length ? 1 : 0)
    if (chars + length > options.maxChars) continue
    chars += length
    picked.push(best)
    seenText.add(key)
    for (const i of open) maxSim[i] = Math.max(maxSim[i]!, cosine(vectors[i]!, vectors[best]!))
  }
  return picked.sort((a, b) => a - b)
}

function commonScope(records: MemoryRecord[]): Scope {
  const out: Scope = {}
  for (const key of ['userId', 'agentId', 'sessionId', 'conversationId'] as const) {
    const value = records[0]?.scope[key]
    if (value !== undefined && records.every((r) => r.scope[key] === value)) out[key] = value
  }
  return out
}

function withPeriod(s: string): string {
  return /[.!?]["'’”)]*$/.test(s) ? s : `${s}.`
}

export async function summarize(host: MemoryHost, options: SummarizeOptions = {}): Promise<MemoryRecord> {
  const tier = options.tier === undefined ? undefined : checkTier(options.tier)
  const types = options.types === undefined ? undefined : new Set(options.types.map(checkType))
  const from = options.from === undefined ? undefined : checkTimestamp(options.from, 'from')
  const to = options.to === undefined ? undefined : checkTimestamp(options.to, 'to')
  const scope = Object.entries(
    checkScope({ ...(options.scope ?? {}), ...(options.conversationId ? { conversationId: options.conversationId } : {}) }),
  )
  const maxChars = options.maxChars ?? host.policy.summary.maxChars
  if (!Number.isInteger(maxChars) || maxChars < 20 || maxChars > 100_000)
    throw memoryError('VALIDATION', 'maxChars must be an integer in 20..100000')
  const summarizer = options.summarizer ?? host.policy.summary.summarizer
  if (summarizer !== undefined && typeof summarizer !== 'function') throw memoryError('VALIDATION', 'summarizer must be a function')
  const now = host.now()
  const sources = host
    .records()
    .filter(
      (r) =>
        r.summaryLevel === undefined &&
        r.validTo === undefined &&
        (r.expiresAt === undefined || r.expiresAt > now) &&
        (tier === undefined ? r.tier !== 'archived' : r.tier === tier) &&
        (types === undefined || types.has(r.type)) &&
        (from === undefined || r.createdAt >= from) &&
        (to === undefined || r.createdAt < to) &&
        scope.every(([k, v]) => (r.scope as Record<string, string>)[k] === v),
    )
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  if (sources.length === 0) throw memoryError('NOT_FOUND', 'No memories match the summary selection')
  return summarizeLevel(host, sources, 1, { maxChars, summarizer, signal: options.signal })
}

async function summarizeLevel(
  host: MemoryHost,
  sources: MemoryRecord[],
  level: number,
  options: { maxChars: number; summarizer: SummarizeOptions['summarizer']; signal: AbortSignal | undefined },
): Promise<MemoryRecord> {
  const fanIn = Math.max(2, host.policy.summary.fanIn)
  if (sources.length > fanIn) {
    const children: MemoryRecord[] = []
    for (let i = 0; i < sources.length; i += fanIn) {
      const chunk = sources.slice(i, i + fanIn)
      children.push(chunk.length === 1 ? chunk[0]! : await summarizeLevel(host, chunk, level, options))
    }
    return summarizeLevel(host, children, Math.max(...children.map((c) => c.summaryLevel ?? 0)) + 1, options)
  }
  options.signal?.throwIfAborted()
  let text: string
  if (options.summarizer) {
    const written = await options.summarizer(
      sources.map((s) => s.content),
      { maxChars: options.maxChars },
    )
    if (typeof written !== 'string' || written.trim().length === 0) throw memoryError('VALIDATION', 'The summarizer returned no text')
    text = written.trim().slice(0, options.maxChars)
  } else {
    const sentences = sources.flatMap((s) => splitSentences(s.content)).map(withPeriod)
    const vectors: Float32Array[] = []
    for (let i = 0; i < sentences.length; i += 64) {
      vectors.push(...(await host.embed(sentences.slice(i, i + 64), 'passage', options.signal)))
    }
    const { lambda, redundancy } = host.policy.summary
    text = selectSentences(sentences, vectors, { lambda, redundancy, maxChars: options.maxChars })
      .map((i) => sentences[i]!)
      .join(' ')
  }
  const [vector] = await host.embed([text], 'passage', options.signal)
  const sourceLevel = Math.max(0, ...sources.map((s) => s.summaryLevel ?? 0))
  return host.write(async () => {
    const ctx = host.buildContext()
    const record = buildRecord(
      text,
      {
        type: 'semantic',
        tier: 'long-term',
        importance: Math.max(...sources.map((s) => s.importance)),
        scope: commonScope(sources),
        sourceIds: sources.map((s) => s.id),
        entities: [...new Set(sources.flatMap((s) => s.entities))].slice(0, 1000),
        metadata: { summary: true, from: sources[0]!.createdAt, to: sources[sources.length - 1]!.createdAt },
      },
      ctx,
    )
    record.summaryLevel = Math.max(level, sourceLevel + 1)
    await host.commit([{ op: 'summarize', id: record.id, record, vector: vector!, detail: { sources: record.sourceIds.length } }])
    host.emit('summarized', [record.id], { sources: record.sourceIds, level: record.summaryLevel })
    return structuredClone(record)
  })
}

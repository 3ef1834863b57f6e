/**
 * Context packing: the most useful summaries, relevant memories and recent turns of a conversation,
 * formatted for a prompt and never over `maxTokens`.
 *
 * Budget: summaries may take up to 25% and recalled memories up to 35% of it at first; recent turns
 * take the rest, newest first; whatever a section leaves unused is then offered to turns, memories and
 * summaries in that order. Items that do not fit whole are skipped (never cut mid-sentence). The final
 * text is counted again as a whole and the least useful item dropped until it fits, so headings and
 * separators are paid for too.
 *
 * Tokens: counted by the embedder's own tokenizer when it exposes `countTokens(text)`, or by the
 * `countTokens` option; otherwise by {@link approximateTokens}, a documented local approximation that
 * over-counts English text relative to SentencePiece/WordPiece vocabularies by ~1.4–1.6× on average (so
 * a budget it accepts is within budget for them too in practice, at the price of some unused room).
 */
import { memoryError } from './errors.js'
import type { MemoryHost } from './host.js'
import { checkScope } from './record.js'
import type { ContextItem, ContextOptions, ContextResult, MemoryRecord } from './types.js'

/**
 * Local approximation: 1 token per text, plus ceil(length / 3) per run of letters/digits, plus 1 per
 * other non-space character. Measured on the 5,885 LoCoMo turns ("Speaker: text"): it counts on average
 * 1.44× the USE-lite SentencePiece tokens and 1.59× the MiniLM WordPiece tokens, and fewer than
 * SentencePiece for 7 turns (never fewer than WordPiece); long rare words are where it can fall short.
 */
export function approximateTokens(text: string): number {
  let tokens = text.trim().length > 0 ? 1 : 0
  for (const m of text.matchAll(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)) {
    const s = m[0]
    tokens += /[\p{L}\p{N}]/u.test(s[0]!) ? Math.ceil(s.length / 3) : 1
  }
  return tokens
}

interface Candidate {
  kind: ContextItem['kind']
  record: MemoryRecord
  line: string
  tokens: number
  /** Lower is dropped first when the whole text is over budget. */
  rank: number
}

const HEADINGS: Record<ContextItem['kind'], string> = {
  summary: 'Summary of earlier conversation:',
  memory: 'Relevant memories:',
  turn: 'Recent conversation:',
}

export function renderContext(items: { kind: ContextItem['kind']; line: string; createdAt: number }[]): string {
  const parts: string[] = []
  for (const kind of ['summary', 'memory', 'turn'] as const) {
    const lines = items.filter((i) => i.kind === kind)
    if (kind === 'turn') lines.sort((a, b) => a.createdAt - b.createdAt)
    if (lines.length > 0) parts.push([HEADINGS[kind], ...lines.map((l) => l.line)].join('\n'))
  }
  return parts.join('\n\n')
}

export async function buildContext(host: MemoryHost, options: ContextOptions = {}): Promise<ContextResult> {
  const maxTokens = options.maxTokens ?? 1024
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 1_000_000)
    throw memoryError('VALIDATION', 'maxTokens must be an integer in 1..1000000')
  const recentTurns = options.recentTurns ?? 20
  const memoryCount = options.memories ?? 10
  for (const [name, v] of [
    ['recentTurns', recentTurns],
    ['memories', memoryCount],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 1000) throw memoryError('VALIDATION', `${name} must be an integer in 0..1000`)
  }
  if (options.countTokens !== undefined && typeof options.countTokens !== 'function')
    throw memoryError('VALIDATION', 'countTokens must be a function')
  const count = options.countTokens ?? host.countTokens ?? approximateTokens
  const scope = checkScope({ ...(options.scope ?? {}), ...(options.conversationId ? { conversationId: options.conversationId } : {}) })
  const scopeEntries = Object.entries(scope)
  const now = host.now()
  const inScope = (r: MemoryRecord) =>
    r.validTo === undefined &&
    r.tier !== 'archived' &&
    (r.expiresAt === undefined || r.expiresAt > now) &&
    scopeEntries.every(([k, v]) => (r.scope as Record<string, string>)[k] === v)

  const scoped = scopeEntries.length > 0 ? host.records().filter(inScope) : []
  const turns = scoped
    .filter((r) => r.summaryLevel === undefined)
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
    .slice(0, recentTurns)
  const summaries = scoped
    .filter((r) => r.summaryLevel !== undefined)
    .sort((a, b) => (b.summaryLevel ?? 0) - (a.summaryLevel ?? 0) || b.createdAt - a.createdAt)
    .slice(0, 3)
  const query = options.query ?? turns[0]?.content
  const taken = new Set([...turns, ...summaries].map((r) => r.id))
  const memories: MemoryRecord[] = []
  if (query !== undefined && memoryCount > 0) {
    // Memories of the same user (inferred from the conversation when not given), never other users'.
    const users = new Set(turns.map((t) => t.scope.userId))
    const userId = scope.userId ?? (users.size === 1 ? [...users][0] : undefined)
    const recallScope = userId ? { userId } : undefined
    const hits = await host.recall(query, {
      k: Math.min(1000, memoryCount + taken.size),
      peek: true,
      ...(recallScope ? { scope: recallScope } : {}),
    })
    for (const h of hits) if (!taken.has(h.memory.id) && memories.length < memoryCount) memories.push(h.memory)
  }

  const make = (kind: ContextItem['kind'], record: MemoryRecord, rank: number): Candidate => {
    const line = kind === 'turn' ? record.content.trim() : `- ${record.content.trim()}`
    return { kind, record, line, tokens: count(line), rank }
  }
  const sections: Record<ContextItem['kind'], Candidate[]> = {
    turn: turns.map((r, i) => make('turn', r, 3 - i / (turns.length + 1))),
    memory: memories.map((r, i) => make('memory', r, 2 - i / (memories.length + 1))),
    summary: summaries.map((r, i) => make('summary', r, 1 - i / (summaries.length + 1))),
  }
  const chosen: Candidate[] = []
  let used = 0
  const fill = (list: Candidate[], cap: number) => {
    let spent = 0
    for (const c of list) {
      if (chosen.includes(c)) continue
      if (used + c.tokens + 1 > maxTokens || spent + c.tokens > cap) continue
      chosen.push(c)
      used += c.tokens + 1
      spent += c.tokens + 1
    }
  }
  fill(sections.summary, Math.floor(maxTokens * 0.25))
  fill(sections.memory, Math.floor(maxTokens * 0.35))
  fill(sections.turn, maxTokens)
  fill(sections.memory, maxTokens)
  fill(sections.summary, maxTokens)

  for (;;) {
    const text = renderContext(chosen.map((c) => ({ kind: c.kind, line: c.line, createdAt: c.record.createdAt })))
    const tokens = text.length === 0 ? 0 : count(text)
    if (tokens <= maxTokens) {
      const order: ContextItem['kind'][] = ['summary', 'memory', 'turn']
      const items = [...chosen]
        .sort(
          (a, b) =>
            order.indexOf(a.kind) - order.indexOf(b.kind) ||
            (a.kind === 'turn' ? a.record.createdAt - b.record.createdAt : b.rank - a.rank),
        )
        .map((c) => ({ kind: c.kind, id: c.record.id, tokens: c.tokens }))
      return { text, tokens, items }
    }
    let worst = 0
    for (let i = 1; i < chosen.length; i++) if (chosen[i]!.rank < chosen[worst]!.rank) worst = i
    chosen.splice(worst, 1)
  }
}

/**
 * The retrieval methods the LoCoMo harness compares. Each takes one conversation and returns, per
 * question, the ranked ids (turn ids, or session ids for the session-level variant).
 */
import { create, insertMultiple, search } from '@orama/orama'
import { createMemory } from '../../src/core/memory.js'
import type { PolicyInput } from '../../src/core/policy.js'
import type { RecallHit } from '../../src/core/types.js'
import type { Embedder } from '../../src/embed/embedder.js'
import { cosineTopK, PlainBm25 } from './eval-bm25.js'
import type { Conversation } from './eval-locomo-data.js'

export const DEPTH = 20

/** Every turn its own memory: no dedup, no supersession (they would merge or hide turns). */
export const PLAIN_POLICY: PolicyInput = { dedup: { exact: false }, supersede: { enabled: false } }
/** The self-managing pipeline on: exact + near dedup, supersession, entities, and a summary per session. */
export const FULL_POLICY: PolicyInput = { dedup: { exact: true, near: true }, supersede: { enabled: true } }

type Rankings = Map<string, string[][]>

/** engram over turns: one fresh memory per conversation, recall in each mode (peek, so nothing is counted). */
export async function engramTurns(
  conv: Conversation,
  embedder: Embedder,
  modes: readonly ('hybrid' | 'keyword' | 'vector')[],
  policy: PolicyInput = PLAIN_POLICY,
  summaries = false,
): Promise<Rankings> {
  const mem = await createMemory({ namespace: conv.id, embedder, policy })
  try {
    await mem.storeBatch(
      conv.turns.map((t) => ({ id: t.id, content: t.content, createdAt: t.createdAt, scope: { conversationId: conv.id } })),
    )
    if (summaries) {
      const sessions = [...new Set(conv.turns.map((t) => t.session))]
      for (const s of sessions) {
        const turns = conv.turns.filter((t) => t.session === s)
        await mem.summarize({ from: turns[0]!.createdAt, to: turns[0]!.createdAt + 1, conversationId: conv.id })
      }
    }
    const out: Rankings = new Map()
    for (const mode of modes) {
      const lists: string[][] = []
      for (const q of conv.questions) {
        const hits: RecallHit[] = await mem.recall(q.question, { k: DEPTH, mode, peek: true })
        lists.push(hits.map((h) => h.memory.id))
      }
      out.set(mode, lists)
    }
    return out
  } finally {
    await mem.close()
  }
}

/** engram over whole sessions: one memory per session (all its turns), evidence mapped to sessions. */
export async function engramSessions(conv: Conversation, embedder: Embedder, modes: readonly ('hybrid' | 'keyword' | 'vector')[]) {
  const mem = await createMemory({ namespace: conv.id, embedder, policy: PLAIN_POLICY })
  try {
    const bySession = new Map<number, string[]>()
    for (const t of conv.turns) bySession.set(t.session, [...(bySession.get(t.session) ?? []), t.content])
    const first = new Map(conv.turns.map((t) => [t.session, t.createdAt]))
    await mem.storeBatch([...bySession].map(([s, texts]) => ({ id: `S${s}`, content: texts.join('\n'), createdAt: first.get(s)! })))
    const out: Rankings = new Map()
    for (const mode of modes) {
      const lists: string[][] = []
      for (const q of conv.questions) lists.push((await mem.recall(q.question, { k: DEPTH, mode, peek: true })).map((h) => h.memory.id))
      out.set(mode, lists)
    }
    return out
  } finally {
    await mem.close()
  }
}

export function bm25Turns(conv: Conversation): string[][] {
  const index = new PlainBm25()
  for (const t of conv.turns) index.add(t.id, t.content)
  return conv.questions.map((q) => index.search(q.question, DEPTH).map((h) => h.id))
}

export async function cosineTurns(conv: Conversation, embedder: Embedder): Promise<string[][]> {
  const vectors = await embedder.embed(conv.turns.map((t) => t.content))
  const ids = conv.turns.map((t) => t.id)
  const queries = await embedder.embed(conv.questions.map((q) => q.question))
  return queries.map((qv) => cosineTopK(qv, ids, vectors, DEPTH))
}

/** Orama 3 in hybrid mode with its English stemmer and the same vectors. */
export async function oramaTurns(conv: Conversation, embedder: Embedder, dims: number): Promise<string[][]> {
  const db = create({
    schema: { content: 'string', embedding: `vector[${dims}]` } as const,
    components: { tokenizer: { language: 'english', stemming: true } },
  })
  const vectors = await embedder.embed(conv.turns.map((t) => t.content))
  await insertMultiple(
    db,
    conv.turns.map((t, i) => ({ id: t.id, content: t.content, embedding: [...vectors[i]!] })),
  )
  const queries = await embedder.embed(conv.questions.map((q) => q.question))
  const out: string[][] = []
  for (const [i, q] of conv.questions.entries()) {
    const result = await search(db, {
      mode: 'hybrid',
      term: q.question,
      vector: { value: [...queries[i]!], property: 'embedding' },
      similarity: 0,
      limit: DEPTH,
    })
    out.push(result.hits.map((h) => h.id))
  }
  return out
}

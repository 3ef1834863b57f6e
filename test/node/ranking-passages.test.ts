/**
 * Two recall signals of conversation memories: a turn's passage (it and its neighbours in the same
 * episode, scored as one text) and the speaker a question names.
 */
import { describe, expect, it } from 'vitest'
import { KeywordIndex, tokenize } from '../../src/core/keyword.js'
import { createMemory } from '../../src/core/memory.js'
import { keywordOf, passageOf, speakerOf, threadLayout, withSpeakers } from '../../src/core/ranking.js'
import type { MemoryRecord } from '../../src/core/types.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'

const MIN = 60_000

describe('passage scores', () => {
  const index = new KeywordIndex()
  index.add('a', 'did you paint the sunset')
  index.add('b', 'yes with my kids last weekend')
  index.add('c', 'the weather is fine today')
  index.add('d', 'kids love the beach')

  it('score several documents read as one with BM25, normalized like search', () => {
    // Worked by hand: n = 4 documents; query terms "paint" (df 1) and "kid" (df 2).
    const k1 = 0.9
    const b = 0.4
    const texts = ['did you paint the sunset', 'yes with my kids last weekend', 'the weather is fine today', 'kids love the beach']
    const avg = texts.reduce((sum, t) => sum + tokenize(t).length, 0) / 4
    const idf = (df: number) => Math.log(1 + (4 - df + 0.5) / (df + 0.5))
    const ceiling = (idf(1) + idf(2)) * (k1 + 1)
    const lengthAB = tokenize('did you paint the sunset').length + tokenize('yes with my kids last weekend').length
    const norm = k1 * (1 - b + (b * lengthAB) / (avg * 2))
    const expected = ((idf(1) * (k1 + 1)) / (1 + norm) + (idf(2) * (k1 + 1)) / (1 + norm)) / ceiling
    const [ab, a, c] = index.passageScores('paint kids', [['a', 'b'], ['a'], ['c']])
    expect(ab).toBeCloseTo(expected, 12)
    // One document alone scores as search normalizes it; a passage holding both terms scores higher.
    expect(a).toBeCloseTo(index.search('paint kids', 4).find((h) => h.id === 'a')!.normalized, 12)
    expect(ab!).toBeGreaterThan(a!)
    expect(c).toBe(0)
  })

  it('give 0 to passages of unknown documents and to queries with no indexed term, and leave unknown ids out', () => {
    expect(index.passageScores('paint', [['nope']])).toEqual([0])
    expect(index.passageScores('zebra the', [['a', 'b']])).toEqual([0])
    expect(index.passageScores('paint kids', [['a', 'b', 'nope']])).toEqual(index.passageScores('paint kids', [['a', 'b']]))
    index.remove('d')
    expect(index.passageScores('kids', [['d']])).toEqual([0])
    index.add('d', 'kids love the beach')
  })

  it("mix into a candidate's keyword relevance only when it has a passage", () => {
    expect(keywordOf({ id: 'x', keyword: 0.4 })).toBe(0.4)
    expect(keywordOf({ id: 'x', keyword: 0.4, passage: 0.8 }, 0.5)).toBeCloseTo(0.6, 12)
    expect(keywordOf({ id: 'x', passage: 0.8 }, 0.5)).toBeCloseTo(0.4, 12)
  })
})

describe('passageOf', () => {
  const rec = (id: string, createdAt: number, conversationId?: string) =>
    ({ id, createdAt, scope: conversationId ? { conversationId } : {} }) as MemoryRecord
  const all = [rec('a', 0, 'c'), rec('b', MIN, 'c'), rec('c', 2 * MIN, 'c'), rec('d', 5 * 60 * MIN, 'c'), rec('lone', 0)]
  const get = (id: string) => all.find((r) => r.id === id)

  it('is the memory and its neighbours in the same episode, and nothing outside a conversation', () => {
    const layout = threadLayout(['a', 'b', 'c', 'd', 'lone'], get, () => all)
    expect(passageOf('b', layout)?.sort()).toEqual(['a', 'b', 'c'])
    expect(passageOf('a', layout)?.sort()).toEqual(['a', 'b'])
    // 'd' starts a new episode hours later: its only neighbour is in another one.
    expect(passageOf('c', layout)?.sort()).toEqual(['b', 'c'])
    expect(passageOf('d', layout)).toBeUndefined()
    expect(passageOf('lone', layout)).toBeUndefined()
  })
})

describe('speakers', () => {
  it('reads the speaker label a memory opens with, not a transcript of several speakers', () => {
    expect(speakerOf('Melanie: I painted a sunset')).toBe('Melanie')
    expect(speakerOf('  Mary Ann Lee: hello')).toBe('Mary Ann Lee')
    expect(speakerOf('Caroline: hi\nCaroline: again')).toBe('Caroline')
    expect(speakerOf('Caroline: hi\nMelanie: hello')).toBeUndefined()
    expect(speakerOf('a note\nMelanie: hi')).toBeUndefined()
    expect(speakerOf('I said: yes')).toBeUndefined()
    expect(speakerOf('note: lowercase is no label')).toBeUndefined()
    expect(speakerOf('no label at all')).toBeUndefined()
  })

  const content = new Map([
    ['mel', 'Melanie: I painted a lake sunset'],
    ['car', 'Caroline: I painted a mural'],
    ['about', 'Melanie sent a photo of her painting'],
    ['other', 'a painting of a horse'],
    ['time', 'Time: 10:30 painting class'],
  ])
  const memoryOf = (id: string) => {
    const text = content.get(id)
    return text === undefined ? undefined : { content: text }
  }
  const rel = new Map([
    ['mel', 0.5],
    ['car', 0.6],
    ['about', 0.4],
    ['other', 0.4],
    ['time', 0.4],
  ])

  it('favour what the named speaker said, and unlabelled memories that mention them', () => {
    const out = withSpeakers(rel, 'What did Melanie paint?', memoryOf, 0.3)
    expect(out.get('mel')).toBe(0.5)
    expect(out.get('about')).toBe(0.4)
    expect(out.get('car')).toBeCloseTo(0.6 / 1.3, 12)
    expect(out.get('other')).toBeCloseTo(0.4 / 1.3, 12)
    expect(out.get('time')).toBeCloseTo(0.4 / 1.3, 12)
    expect(out.get('mel')!).toBeGreaterThan(out.get('car')!)
    // An all-lowercase query names speakers too.
    expect(withSpeakers(rel, 'what did melanie paint', memoryOf, 0.3).get('car')).toBeCloseTo(0.6 / 1.3, 12)
  })

  it('change nothing when the query names no speaker (a capitalized query saying "time" does not name "Time:")', () => {
    expect(withSpeakers(rel, 'Who painted what?', memoryOf)).toBe(rel)
    expect(withSpeakers(rel, 'What time is the painting class?', memoryOf)).toBe(rel)
    expect(withSpeakers(rel, 'What did Melanie paint?', memoryOf, 0)).toBe(rel)
  })
})

describe('recall with passages and speakers', () => {
  const policy = { dedup: { exact: false }, supersede: { enabled: false } }
  const t0 = Date.UTC(2023, 4, 1)

  it("scores a turn with its neighbour's words: the answer to a question split over two turns", async () => {
    const mem = await createMemory({ embedder: createTestEmbedder(), policy })
    const turn = (content: string, i: number, conversationId: string) =>
      mem.store(content, { createdAt: t0 + i * MIN, scope: { conversationId } })
    await turn('Caroline: Did you see the dinosaur bones?', 0, 'museum')
    const answer = await turn('Melanie: Yes, the kids loved them', 1, 'museum')
    await turn('Caroline: How was the weekend?', 0, 'weekend')
    const same = await turn('Melanie: Yes, the kids loved them', 1, 'weekend')
    // Same words, so the same BM25 alone; only the answer's passage holds "dinosaur bones".
    const hits = await mem.recall('Did the kids love the dinosaur bones?', { k: 4, mode: 'keyword', peek: true })
    const at = (id: string) => hits.findIndex((h) => h.memory.id === id)
    expect(at(answer)).toBeGreaterThanOrEqual(0)
    expect(at(answer)).toBeLessThan(at(same))
    expect(hits[at(answer)]!.explain.keyword).toBeGreaterThan(hits[at(same)]!.explain.keyword)
    await mem.close()
  })

  it('ranks what the named speaker said above a closer keyword match said by someone else', async () => {
    const mem = await createMemory({ embedder: createTestEmbedder(), policy })
    const other = await mem.store('Caroline: Melanie, I painted a sunset', { createdAt: t0, scope: { conversationId: 'a' } })
    const hers = await mem.store('Melanie: I painted a lake at sunset after a long drive home with the kids', {
      createdAt: t0,
      scope: { conversationId: 'b' },
    })
    // Both hold "melanie" and "paint"; the shorter one wins on BM25 alone.
    const [plain] = await mem.recall('Who painted, and what did they paint?', { k: 1, mode: 'keyword', peek: true })
    expect(plain!.memory.id).toBe(other)
    const [first] = await mem.recall('What did Melanie paint?', { k: 1, mode: 'keyword', peek: true })
    expect(first!.memory.id).toBe(hers)
    const [hybrid] = await mem.recall('What did Melanie paint?', { k: 1, peek: true })
    expect(hybrid!.memory.id).toBe(hers)
    await mem.close()
  })
})

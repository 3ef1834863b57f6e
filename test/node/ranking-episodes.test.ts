import { describe, expect, it } from 'vitest'
import { createMemory } from '../../src/core/memory.js'
import { DEFAULT_RANKING, EPISODE_GAP_MS, relevanceOf, threadLayout, withEpisodes } from '../../src/core/ranking.js'
import type { MemoryRecord } from '../../src/core/types.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'

const rec = (id: string, createdAt: number, scope: MemoryRecord['scope']) => ({ id, createdAt, scope }) as MemoryRecord
const MIN = 60_000

describe('episodes in ranking', () => {
  it('cuts a thread into episodes where more than the gap separates two consecutive memories', () => {
    const all = [
      rec('a', 0, { conversationId: 'c' }),
      rec('b', 10 * MIN, { conversationId: 'c' }),
      rec('c', 10 * MIN + EPISODE_GAP_MS, { conversationId: 'c' }),
      rec('d', 11 * MIN + 2 * EPISODE_GAP_MS, { conversationId: 'c' }),
      rec('x', 10 * MIN, { conversationId: 'other' }),
      rec('lone', 0, {}),
    ]
    const get = (id: string) => all.find((r) => r.id === id)
    const { neighbours, episodes } = threadLayout(['b', 'lone'], get, () => all)
    // Exactly the gap stays in the episode; one minute more starts a new one.
    expect(episodes.get('a')).toBe(episodes.get('b'))
    expect(episodes.get('c')).toBe(episodes.get('b'))
    expect(episodes.get('d')).not.toBe(episodes.get('c'))
    expect(episodes.has('x')).toBe(false)
    expect(episodes.has('lone')).toBe(false)
    // Neighbours do not stop at an episode boundary.
    expect(neighbours.get('c')).toEqual(['b', 'd'])
  })

  it('weighs a memory by the best relevance of its episode, keeping 0 at 0 and the best memory unchanged', () => {
    const rel = new Map([
      ['top', 0.8],
      ['sameEpisode', 0.2],
      ['otherEpisode', 0.2],
      ['irrelevant', 0],
      ['lone', 0.4],
    ])
    const episodes = new Map([
      ['top', 'c#0'],
      ['sameEpisode', 'c#0'],
      ['otherEpisode', 'c#1'],
      ['irrelevant', 'c#0'],
    ])
    const out = withEpisodes(rel, episodes, 0.5)
    expect(out.get('top')).toBe(0.8)
    expect(out.get('sameEpisode')).toBeCloseTo(0.2, 12)
    expect(out.get('otherEpisode')).toBeCloseTo(0.2 * (0.5 + (0.5 * 0.2) / 0.8), 12)
    expect(out.get('irrelevant')).toBe(0)
    // A memory outside any thread is an episode of its own.
    expect(out.get('lone')).toBeCloseTo(0.4 * (0.5 + (0.5 * 0.4) / 0.8), 12)
    expect(withEpisodes(rel, episodes, 0)).toBe(rel)
    expect(withEpisodes(new Map([['z', 0]]), new Map(), 0.5).get('z')).toBe(0)
  })

  it('shrinks the vector weight as the best keyword match nears a full match', () => {
    const c = { id: 'm', cosine: 0.6, keyword: 0.3 }
    const w = DEFAULT_RANKING.vectorWeight
    expect(relevanceOf(c, 'hybrid', DEFAULT_RANKING)).toBeCloseTo(w * 0.6 + (1 - w) * 0.3, 12)
    // VECTOR_YIELD (0.5) of the weight goes at a full keyword match; a yield of 1 would leave keyword alone.
    expect(relevanceOf(c, 'hybrid', DEFAULT_RANKING, 0.5)).toBeCloseTo(w * 0.75 * 0.6 + (1 - w * 0.75) * 0.3, 12)
    expect(relevanceOf(c, 'hybrid', DEFAULT_RANKING, 1)).toBeCloseTo((w / 2) * 0.6 + (1 - w / 2) * 0.3, 12)
    expect(relevanceOf(c, 'hybrid', DEFAULT_RANKING, 1, 1)).toBeCloseTo(0.3, 12)
    expect(relevanceOf(c, 'hybrid', DEFAULT_RANKING, 1, 0)).toBeCloseTo(w * 0.6 + (1 - w) * 0.3, 12)
    expect(relevanceOf(c, 'vector', DEFAULT_RANKING, 1)).toBe(0.6)
    expect(relevanceOf(c, 'keyword', DEFAULT_RANKING, 1)).toBe(0.3)
  })

  it('recall ranks a turn from the episode where the topic came up above an equal turn from another episode', async () => {
    const mem = await createMemory({ embedder: createTestEmbedder(), policy: { dedup: { exact: false }, supersede: { enabled: false } } })
    const day = Date.UTC(2024, 0, 1)
    const later = day + 7 * 24 * 60 * MIN
    const turn = (id: string, content: string, createdAt: number) => ({ id, content, createdAt, scope: { conversationId: 'c' } })
    await mem.storeBatch([
      turn('e1-start', 'Ann: we finally booked the sailing trip to the islands', day),
      turn('e1-gap', 'Bo: nice, what else is new', day + MIN),
      turn('e1-gap2', 'Ann: work is busy as always', day + 2 * MIN),
      turn('e1-turn', 'Bo: the trip sounds great', day + 3 * MIN),
      turn('e2-gap', 'Ann: my cat is sick again', later),
      turn('e2-gap2', 'Bo: sorry to hear, hope she gets better', later + MIN),
      turn('a-other', 'Ann: the trip sounds great', later + 2 * MIN),
    ])
    const hits = await mem.recall('sailing trip', { k: 7, peek: true, mode: 'keyword' })
    const rank = (id: string) => hits.findIndex((h) => h.memory.id === id)
    expect(rank('e1-start')).toBe(0)
    expect(rank('e1-turn')).toBeGreaterThan(0)
    expect(rank('e1-turn')).toBeLessThan(rank('a-other'))
    await mem.close()
  })
})

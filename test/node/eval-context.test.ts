import { describe, expect, it } from 'vitest'
import { createMemory } from '../../src/core/memory.js'
import { conversationNeighbours, withContext } from '../../src/core/ranking.js'
import type { MemoryRecord } from '../../src/core/types.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'

const rec = (id: string, createdAt: number, scope: MemoryRecord['scope']) => ({ id, createdAt, scope }) as MemoryRecord

describe('conversation context in ranking', () => {
  it('finds the memories just before and after, per conversation, by creation time', () => {
    const all = [
      rec('b', 2, { conversationId: 'c1' }),
      rec('a', 1, { conversationId: 'c1' }),
      rec('c', 3, { conversationId: 'c1' }),
      rec('x', 2, { conversationId: 'c2' }),
      rec('s1', 5, { sessionId: 's' }),
      rec('s2', 6, { sessionId: 's' }),
      rec('lone', 2, {}),
    ]
    const get = (id: string) => all.find((r) => r.id === id)
    const n = conversationNeighbours(['b', 's2', 'lone'], get, () => all)
    expect(n.get('b')).toEqual(['a', 'c'])
    expect(n.get('a')).toEqual(['b'])
    expect(n.get('s2')).toEqual(['s1'])
    expect(n.has('x')).toBe(false)
    expect(n.has('lone')).toBe(false)
    let scanned = false
    const scan = () => {
      scanned = true
      return all
    }
    expect(conversationNeighbours(['lone'], get, scan).has('lone')).toBe(false)
    expect(scanned).toBe(false)
  })

  it('lifts a memory by its best neighbour and stays within 0..1', () => {
    const rel = new Map([
      ['a', 0],
      ['b', 0.8],
      ['c', 0.2],
      ['d', 1],
    ])
    const out = withContext(
      rel,
      new Map([
        ['a', ['b']],
        ['c', ['b', 'a']],
        ['d', ['b']],
      ]),
      0.5,
    )
    expect(out.get('a')).toBeCloseTo(0.4, 12)
    expect(out.get('c')).toBeCloseTo(0.2 + 0.8 * 0.5 * 0.8, 12)
    expect(out.get('b')).toBe(0.8)
    expect(out.get('d')).toBe(1)
    expect(withContext(rel, new Map(), 0.5)).toEqual(rel)
  })

  it('recall ranks the answer turn after a matching question turn above the same text outside a conversation', async () => {
    const mem = await createMemory({ embedder: createTestEmbedder(), policy: { dedup: { exact: false }, supersede: { enabled: false } } })
    const t = Date.UTC(2024, 0, 1)
    await mem.storeBatch([
      { id: 'q1', content: 'Ann: where did you spend the winter holidays?', createdAt: t, scope: { conversationId: 'c1' } },
      { id: 'a1', content: 'Bo: we drove to Lisbon and ate pastries', createdAt: t + 1000, scope: { conversationId: 'c1' } },
      { id: 'q2', content: 'Ann: where did you spend the winter holidays?', createdAt: t },
      { id: 'a2', content: 'Bo: we drove to Lisbon and ate pastries', createdAt: t + 1000 },
    ])
    const hits = await mem.recall('winter holidays', { k: 4, peek: true, mode: 'keyword' })
    const score = (id: string) => hits.find((h) => h.memory.id === id)?.score ?? 0
    expect(score('a2')).toBe(0)
    expect(score('a1')).toBeGreaterThan(0)
    // The question turn is not lifted by its answer, whose passage holds the question's own words: the
    // two copies differ only by the passage's length normalization (q1 is read with a1 as a passage).
    expect(score('q1')).toBeLessThanOrEqual(score('q2'))
    expect(score('q1')).toBeGreaterThan(score('q2') * 0.97)
    await mem.close()
  })
})

import { describe, expect, it } from 'vitest'
import { clusterBySimilarity, mergeCluster, splitSentences } from '../../src/core/consolidate.js'
import { tokenize } from '../../src/core/keyword.js'
import { clock, DAY, fakeRecord, HOUR, open, recordEvents } from './self-helpers.js'

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs)
  return Float32Array.from(xs.map((x) => x / n))
}

describe('consolidation', () => {
  it('clusters by single linkage over cosine, only among compatible items', () => {
    const vectors = [unit(1, 0, 0), unit(0.95, 0.05, 0), unit(0, 1, 0), unit(0, 0.97, 0.03), unit(0, 0, 1)]
    expect(clusterBySimilarity(vectors, 0.9, () => true)).toEqual([
      [0, 1],
      [2, 3],
    ])
    expect(clusterBySimilarity(vectors, 0.9, (a, b) => a + b !== 1)).toEqual([[2, 3]])
  })

  it('merges related memories of the window into one canonical memory, keeping every distinct fact', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    const events = recordEvents(mem)
    const outside = await mem.store('The user is training for the Berlin marathon in September', { createdAt: c.now() - 3 * DAY })
    const a = await mem.store('The user is training for the Berlin marathon in September', {
      importance: 0.6,
      metadata: { topic: 'running' },
      scope: { userId: 'u' },
    })
    c.advance(HOUR)
    const b = await mem.store('The user is training for the Berlin marathon in September with a coach', {
      importance: 0.4,
      scope: { userId: 'u' },
    })
    c.advance(HOUR)
    const d = await mem.store('The user is training for the Berlin marathon. Target time is 3:30', {
      importance: 0.8,
      scope: { userId: 'u' },
    })
    const other = await mem.store('The user dislikes coriander', { scope: { userId: 'u' } })
    const otherScope = await mem.store('The user is training for the Berlin marathon in September', { scope: { userId: 'v' } })

    const result = await mem.consolidate({ windowHours: 24, similarity: 0.6 })
    expect(result.merged).toBe(1)
    expect(result.removed).toBe(2)
    expect(result.kept).toBe(3)
    expect(result.groups).toHaveLength(1)
    const group = result.groups[0]!
    expect(group.canonical).toBe(d)
    expect(group.merged.sort()).toEqual([a, b].sort())

    const canonical = await mem.get(d)
    expect(canonical.sourceIds.sort()).toEqual([a, b].sort())
    expect(canonical.importance).toBe(0.8)
    expect(canonical.metadata).toEqual({ topic: 'running' })
    const words = new Set(tokenize(canonical.content))
    for (const source of ['The user is training for the Berlin marathon in September with a coach', 'Target time is 3:30']) {
      for (const t of tokenize(source)) expect(words.has(t)).toBe(true)
    }
    expect(await mem.find(a)).toBeNull()
    expect(await mem.find(b)).toBeNull()
    expect(await mem.find(outside)).not.toBeNull()
    expect(await mem.find(other)).not.toBeNull()
    expect(await mem.find(otherScope)).not.toBeNull()

    // Sources stay reachable through history, with their full content.
    const history = await mem.history(b)
    expect(history.map((h) => h.op)).toEqual(['store', 'consolidate'])
    expect(history[0]!.record?.content).toContain('with a coach')
    expect((await mem.history(d)).at(-1)?.op).toBe('consolidate')
    const event = events.find((e) => e.type === 'consolidated')!
    expect(event.ids).toEqual([d])
    expect(event.detail).toMatchObject({ merged: 1, removed: 2, kept: 3 })

    // The merged memory is found for the facts it absorbed.
    const [hit] = await mem.recall('marathon coach', { peek: true, scope: { userId: 'u' } })
    expect(hit!.memory.id).toBe(d)

    const again = await mem.consolidate({ windowHours: 24, similarity: 0.6 })
    expect(again).toEqual({ merged: 0, removed: 0, kept: 3, groups: [] })
  })

  it('mergeCluster appends only sentences that add a word the canonical text lacks', () => {
    const canonical = fakeRecord({
      id: 'c',
      type: 'semantic',
      content: 'Anna lives in Rome',
      importance: 0.5,
      accessCount: 1,
      createdAt: 1,
    })
    const others = [
      fakeRecord({
        id: 'o1',
        type: 'semantic',
        content: 'Anna lives in Rome.',
        importance: 0.3,
        accessCount: 2,
        createdAt: 2,
        pinned: true,
      }),
      fakeRecord({ id: 'o2', type: 'semantic', content: 'Anna lives in Rome. She has a dog named Rex!', importance: 0.9, createdAt: 3 }),
    ]
    const merged = mergeCluster(canonical, others, 10)
    expect(merged.content).toBe('Anna lives in Rome. She has a dog named Rex!')
    expect(merged).toMatchObject({ importance: 0.9, accessCount: 3, pinned: true, version: 2, updatedAt: 10, sourceIds: ['o1', 'o2'] })
    expect(splitSentences('One. Two? Three!  Four')).toEqual(['One.', 'Two?', 'Three!', 'Four'])
  })

  it('validates its options and changes nothing on bad input', async () => {
    const mem = await open()
    await mem.store('a')
    await expect(mem.consolidate({ windowHours: -1 })).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(mem.consolidate({ similarity: 1.5 })).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(mem.consolidate({ types: ['nope' as never] })).rejects.toMatchObject({ code: 'VALIDATION' })
    expect(await mem.count()).toBe(1)
  })
})

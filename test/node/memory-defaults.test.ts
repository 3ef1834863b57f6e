import { describe, expect, it } from 'vitest'
import { createMemory } from '../../src/index.js'

describe('createMemory() with no parts given', () => {
  it('uses the offline USE-lite embedder and the usearch index, and recalls by meaning', async () => {
    const mem = await createMemory()
    try {
      await mem.storeBatch([
        { content: 'User prefers morning meetings', type: 'preference' },
        { content: 'The cat is called Whiskers' },
        { content: 'Paris is the capital of France', type: 'semantic' },
        { content: 'Bought new running shoes yesterday' },
        { content: 'Allergic to peanuts', type: 'semantic' },
      ])
      const stats = await mem.stats()
      expect(stats.embedder.id).toMatch(/use-lite/)
      expect(stats.embedder.dims).toBe(512)
      // Only meaning links these: no query word appears in the memory it should find.
      const [meeting] = await mem.recall('when should we schedule the call?', { k: 1, mode: 'vector' })
      expect(meeting!.memory.content).toBe('User prefers morning meetings')
      const [food] = await mem.recall('what food must be avoided', { k: 1, mode: 'vector' })
      expect(food!.memory.content).toBe('Allergic to peanuts')
      const [pet] = await mem.recall('name of my kitten', { k: 1 })
      expect(pet!.memory.content).toBe('The cat is called Whiskers')
    } finally {
      await mem.close()
    }
  })

  it('stays exact while small: an outlier among near-duplicates is found', async () => {
    const mem = await createMemory()
    const items = Array.from({ length: 400 }, (_, i) => ({ content: `Note ${i}: the meeting with client ${i} went well` }))
    items.push({ content: 'The red bicycle was stolen from the garage' })
    await mem.storeBatch(items)
    const [hit] = await mem.recall('someone took my bike', { k: 1, mode: 'vector' })
    expect(hit!.memory.content).toBe('The red bicycle was stolen from the garage')
    await mem.close()
  })

  it('uses HNSW past the flat limit, persists it in the index snapshot and answers the same after reopening', async () => {
    const { memoryDriver } = await import('../../src/store/drivers/memory.js')
    const { createVectorIndex } = await import('../../src/vector/create.js')
    const store = memoryDriver()
    const index = ({ dims, from }: { dims: number; from?: Uint8Array }) =>
      createVectorIndex(from ? { dims, from, flatLimit: 50 } : { dims, flatLimit: 50 })
    const topics = ['cooking pasta', 'learning piano', 'a trip to Lisbon', 'fixing the car', 'planting tomatoes', 'a football match']
    const people = ['Ana', 'Bob', 'Chen', 'Dara', 'Eli', 'Farah', 'Gus', 'Hana', 'Ivo', 'Jun']
    const items = topics.flatMap((topic) => people.map((person) => ({ content: `${person} talked about ${topic}` })))
    items.push({ content: 'The red bicycle was stolen from the garage' })
    const mem = await createMemory({ store, index })
    await mem.storeBatch(items)
    expect((await mem.stats()).index.kind).toBe('usearch')
    const query = 'someone took my bike'
    const before = (await mem.recall(query, { k: 5, mode: 'vector', peek: true })).map((h) => h.memory.id)
    expect((await mem.get(before[0]!)).content).toBe('The red bicycle was stolen from the garage')
    await mem.close()
    const again = await createMemory({ store, index })
    expect((await again.stats()).index).toEqual({ kind: 'usearch', size: items.length })
    expect((await again.recall(query, { k: 5, mode: 'vector', peek: true })).map((h) => h.memory.id)).toEqual(before)
    await again.close()
  })
})

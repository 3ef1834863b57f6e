import { describe, expect, it } from 'vitest'
import { extractEntities } from '../../src/core/entities.js'
import { open } from './self-helpers.js'

describe('entity extraction (local heuristic)', () => {
  it('finds people, places, organizations, dates, emails, URLs and quoted terms', () => {
    expect(extractEntities('Melanie went to the museum in Paris with Caroline on May 3, 2023.')).toEqual([
      'date:may 3, 2023',
      'place:paris',
      'person:melanie',
      'person:caroline',
    ])
    expect(extractEntities('Email me at bob@example.com or see https://example.org/x.')).toEqual([
      'email:bob@example.com',
      'url:https://example.org/x',
    ])
    expect(extractEntities('Yesterday I met John Smith from Stanford University.')).toEqual([
      'org:stanford university',
      'person:john smith',
    ])
    expect(extractEntities('The meeting is on 2024-05-03 in New York City.')).toEqual(['date:2024-05-03', 'place:new york city'])
    expect(extractEntities('Caroline said "support group" helped her.')).toEqual(['term:support group', 'person:caroline'])
    expect(extractEntities('i like pizza and long walks.')).toEqual([])
  })
})

describe('the memory graph', () => {
  it('extracts entities at write time unless given, or uses the policy callback', async () => {
    const mem = await open()
    const a = await mem.store('Caroline moved to Denver in March 2022')
    expect((await mem.get(a)).entities).toEqual(['date:march 2022', 'place:denver', 'person:caroline'])
    const b = await mem.store('Caroline moved again', { entities: ['custom:thing'] })
    expect((await mem.get(b)).entities).toEqual(['custom:thing'])
    const custom = await open({ policy: { entities: { extract: async (text) => [`len:${text.length}`] } } })
    expect((await custom.get(await custom.store('abc'))).entities).toEqual(['len:3'])
    const off = await open({ policy: { entities: { enabled: false } } })
    expect((await off.get(await off.store('Caroline in Denver'))).entities).toEqual([])
  })

  it('related() walks shared entities, links and sources up to maxDepth', async () => {
    const mem = await open()
    const a = await mem.store('Caroline adopted a dog named Rex')
    const b = await mem.store('Caroline and Melanie went hiking')
    const c = await mem.store('Melanie started pottery classes')
    const d = await mem.store('Pottery is relaxing', { links: [a] })
    const unrelated = await mem.store('the weather is mild today')

    const one = await mem.related(a)
    expect(one.map((r) => [r.memory.id, r.depth])).toEqual(
      [
        [b, 1],
        [d, 1],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    )
    expect(one.find((r) => r.memory.id === b)!.via).toEqual(['person:caroline'])
    expect(one.find((r) => r.memory.id === d)!.via).toEqual(['link'])
    const two = await mem.related(a, { maxDepth: 2 })
    expect(two.find((r) => r.memory.id === c)).toMatchObject({ depth: 2, via: ['person:melanie'] })
    expect(two.map((r) => r.memory.id)).not.toContain(unrelated)
    await expect(mem.related('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(mem.related(a, { maxDepth: 0 })).rejects.toMatchObject({ code: 'VALIDATION' })

    const summary = await mem.summarize({ to: Number.MAX_SAFE_INTEGER })
    expect((await mem.related(summary.id)).map((r) => r.via)).toContainEqual(expect.arrayContaining(['source']))
  })

  it('recall with includeRelated adds connected memories after the hits, scored below them', async () => {
    const mem = await open()
    const dog = await mem.store('Caroline adopted a dog named Rex')
    const hike = await mem.store('Caroline went hiking in the Alps')
    await mem.store('The stock market fell today')
    const plain = await mem.recall('adopted dog Rex', { k: 1, peek: true })
    expect(plain.map((h) => h.memory.id)).toEqual([dog])
    const withRelated = await mem.recall('adopted dog Rex', { k: 1, peek: true, includeRelated: true })
    expect(withRelated.map((h) => h.memory.id)).toEqual([dog, hike])
    expect(withRelated[1]!.score).toBeCloseTo(withRelated[0]!.score / 2, 10)
  })

  it('related() hides superseded memories and follows supersededBy', async () => {
    const mem = await open()
    const old = await mem.store('My favourite colour is blue')
    const now = await mem.store('My favourite colour is green')
    expect((await mem.get(old)).supersededBy).toBe(now)
    expect((await mem.related(old)).map((r) => r.memory.id)).toContain(now)
  })
})

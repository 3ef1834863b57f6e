import { describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import { compileFilter } from '../../src/core/filter.js'
import type { MemoryRecord } from '../../src/core/types.js'

const base: MemoryRecord = {
  id: 'a',
  content: 'hello',
  type: 'preference',
  tier: 'long-term',
  importance: 0.7,
  createdAt: Date.parse('2024-01-10T00:00:00Z'),
  updatedAt: Date.parse('2024-01-10T00:00:00Z'),
  lastAccessedAt: 0,
  accessCount: 3,
  metadata: { category: 'scheduling', tags: ['work', 'calendar'], nested: { level: 2 }, flag: false, none: null },
  scope: { userId: 'u1', conversationId: 'c1' },
  entities: [],
  links: [],
  sourceIds: [],
  version: 1,
  contentHash: 'x',
  embeddingModel: 'm',
  dims: 4,
}

const matches = (filter: unknown, record: MemoryRecord = base) => compileFilter(filter)(record)

describe('filter grammar', () => {
  it('plain values are equality on metadata, record fields and scope', () => {
    expect(matches({ category: 'scheduling' })).toBe(true)
    expect(matches({ category: 'travel' })).toBe(false)
    expect(matches({ 'metadata.category': 'scheduling' })).toBe(true)
    expect(matches({ type: 'preference', tier: 'long-term' })).toBe(true)
    expect(matches({ 'scope.userId': 'u1' })).toBe(true)
    expect(matches({ 'scope.userId': 'u2' })).toBe(false)
    expect(matches({ 'nested.level': 2 })).toBe(true)
    expect(matches({ flag: false, none: null })).toBe(true)
  })

  it('equality against an array field matches any element', () => {
    expect(matches({ tags: 'work' })).toBe(true)
    expect(matches({ tags: 'home' })).toBe(false)
    expect(matches({ tags: ['work', 'calendar'] })).toBe(true)
  })

  it('$eq and $ne', () => {
    expect(matches({ category: { $eq: 'scheduling' } })).toBe(true)
    expect(matches({ category: { $ne: 'scheduling' } })).toBe(false)
    expect(matches({ missing: { $ne: 'x' } })).toBe(true)
  })

  it('$gt $gte $lt $lte on numbers, never across types', () => {
    expect(matches({ importance: { $gt: 0.5 } })).toBe(true)
    expect(matches({ importance: { $gt: 0.7 } })).toBe(false)
    expect(matches({ importance: { $gte: 0.7 } })).toBe(true)
    expect(matches({ importance: { $lt: 0.7 } })).toBe(false)
    expect(matches({ importance: { $lte: 0.7 } })).toBe(true)
    expect(matches({ accessCount: { $gte: 1, $lt: 4 } })).toBe(true)
    expect(matches({ category: { $gt: 5 } })).toBe(false)
  })

  it('timestamps compare with ISO strings and Dates', () => {
    expect(matches({ createdAt: { $gte: '2024-01-01' } })).toBe(true)
    expect(matches({ createdAt: { $lt: new Date('2024-01-01') } })).toBe(false)
    expect(matches({ createdAt: { $lt: Date.parse('2024-02-01') } })).toBe(true)
  })

  it('$in and $nin, including array fields', () => {
    expect(matches({ category: { $in: ['scheduling', 'travel'] } })).toBe(true)
    expect(matches({ category: { $nin: ['scheduling'] } })).toBe(false)
    expect(matches({ tags: { $in: ['calendar'] } })).toBe(true)
    expect(matches({ tags: { $nin: ['calendar'] } })).toBe(false)
  })

  it('$exists', () => {
    expect(matches({ category: { $exists: true } })).toBe(true)
    expect(matches({ missing: { $exists: true } })).toBe(false)
    expect(matches({ missing: { $exists: false } })).toBe(true)
  })

  it('$and $or $not compose', () => {
    expect(matches({ $and: [{ category: 'scheduling' }, { importance: { $gt: 0.5 } }] })).toBe(true)
    expect(matches({ $and: [{ category: 'scheduling' }, { importance: { $gt: 0.9 } }] })).toBe(false)
    expect(matches({ $or: [{ category: 'travel' }, { type: 'preference' }] })).toBe(true)
    expect(matches({ $or: [{ category: 'travel' }, { type: 'episodic' }] })).toBe(false)
    expect(matches({ $not: { category: 'travel' } })).toBe(true)
    expect(matches({ $not: { $or: [{ category: 'scheduling' }] } })).toBe(false)
  })

  it('metadata keys cannot reach the prototype', () => {
    expect(matches({ 'nested.constructor': { $exists: true } })).toBe(false)
    expect(matches({ toString: { $exists: true } })).toBe(false)
  })

  it.each([
    [{ category: { $regex: 'x' } }, /Unknown filter operator '\$regex'/],
    [{ $nor: [{ a: 1 }] }, /Unknown filter operator '\$nor'/],
    [{ $and: {} }, /must be a non-empty array/],
    [{ $or: [] }, /must be a non-empty array/],
    [{ a: { $in: 'x' } }, /needs an array/],
    [{ a: { $exists: 'yes' } }, /needs true or false/],
    [{ a: { $gt: {} } }, /needs a string, a finite number/],
    [{ a: { $gt: Number.NaN } }, /needs a string, a finite number/],
    [{ createdAt: { $gt: 'not a date' } }, /needs a timestamp/],
    [{ a: { $eq: 1, b: 2 } }, /Mixed operators and fields/],
    [[], /must be an object/],
    ['category', /must be an object/],
    [{ '': 1 }, /Invalid field name/],
  ])('rejects %j with a VALIDATION error', (filter, message) => {
    let error: unknown
    try {
      compileFilter(filter)
    } catch (e) {
      error = e
    }
    expect(isMemoryError(error, 'VALIDATION')).toBe(true)
    expect((error as Error).message).toMatch(message)
  })

  it('rejects filters nested deeper than the limit', () => {
    let deep: unknown = { category: 'scheduling' }
    for (let i = 0; i < 20; i++) deep = { $not: deep }
    expect(() => compileFilter(deep, 16)).toThrow(/nested too deeply/)
    expect(compileFilter(deep, 32)(base)).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { applyFeedback } from '../../src/core/feedback.js'
import { DEFAULT_POLICY } from '../../src/core/policy.js'
import { aggregateHits } from '../../src/core/recall-many.js'
import type { MemoryRecord, RecallHit } from '../../src/core/types.js'
import { clock, DAY, HOUR, open, recordEvents } from './self-helpers.js'

describe('feedback', () => {
  it('moves importance within bounds, logs and announces it', async () => {
    const mem = await open()
    const events = recordEvents(mem)
    const id = await mem.store('The user prefers aisle seats', { importance: 0.5 })
    const up = await mem.feedback(id, { helpful: true })
    expect(up.importance).toBeCloseTo(0.6, 10)
    expect(up.accessCount).toBe(1)
    let last = up
    for (let i = 0; i < 40; i++) last = await mem.feedback(id, { helpful: false })
    expect(last.importance).toBeGreaterThanOrEqual(DEFAULT_POLICY.feedback.minImportance)
    expect(last.importance).toBeLessThan(0.06)
    for (let i = 0; i < 60; i++) last = await mem.feedback(id, { helpful: true })
    expect(last.importance).toBeLessThanOrEqual(1)
    expect(last.importance).toBeGreaterThan(0.99)
    expect((await mem.get(id)).importance).toBe(last.importance)
    const history = await mem.history(id)
    expect(history.filter((h) => h.op === 'feedback')).toHaveLength(101)
    expect(events.filter((e) => e.type === 'feedback')).toHaveLength(101)
    await expect(mem.feedback(id, { helpful: 'yes' } as never)).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(mem.feedback('missing', { helpful: true })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('pinned memories never fall below the pinned floor', () => {
    const record = { importance: 0.55, pinned: true, accessCount: 0, lastAccessedAt: 0, version: 1 } as MemoryRecord
    let r = record
    for (let i = 0; i < 50; i++) r = applyFeedback(r, false, DEFAULT_POLICY.feedback, 1)
    expect(r.importance).toBeGreaterThanOrEqual(0.5)
    const low = applyFeedback({ ...record, pinned: false, importance: 0.01 }, false, DEFAULT_POLICY.feedback, 1)
    expect(low.importance).toBe(0.01)
  })
})

describe('recall-time reinforcement', () => {
  it('accesses since the last lifecycle run raise importance once, within bounds', async () => {
    const mem = await open()
    const id = await mem.store('The user is vegetarian', { importance: 0.5 })
    const other = await mem.store('The garage door code is 4711', { importance: 0.5 })
    for (let i = 0; i < 3; i++) await mem.recall('vegetarian', { k: 1 })
    await mem.flush()
    expect((await mem.optimize()).reinforced).toBe(1)
    const expected = 1 - 0.5 * 0.98 ** 3
    expect((await mem.get(id)).importance).toBeCloseTo(expected, 10)
    expect((await mem.get(id)).creditedAccessCount).toBe(3)
    expect((await mem.get(other)).importance).toBe(0.5)
    expect((await mem.optimize()).reinforced).toBe(0)
    expect((await mem.get(id)).importance).toBeCloseTo(expected, 10)
    expect((await mem.history(id)).map((h) => h.op)).toEqual(['store', 'reinforce'])
    const off = await open({ policy: { feedback: { accessStep: 0 } } })
    const x = await off.store('The user is vegetarian')
    await off.recall('vegetarian', { k: 1 })
    await off.flush()
    expect((await off.optimize()).reinforced).toBe(0)
    expect((await off.get(x)).importance).toBe(0.5)
  })
})

describe('recallMany', () => {
  const hit = (id: string, score: number) => ({ memory: { id } as MemoryRecord, score, explain: {} as RecallHit['explain'] })

  it('aggregates by rrf, max and mean', () => {
    const lists = [
      [hit('a', 0.9), hit('b', 0.5)],
      [hit('b', 0.8), hit('c', 0.7)],
    ]
    expect(aggregateHits(lists, 'max').map((h) => [h.memory.id, h.score])).toEqual([
      ['a', 0.9],
      ['b', 0.8],
      ['c', 0.7],
    ])
    const mean = aggregateHits(lists, 'mean').map((h) => [h.memory.id, h.score])
    expect(mean[0]![0]).toBe('b')
    expect(mean[0]![1]).toBeCloseTo(0.65, 10)
    const rrf = aggregateHits(lists, 'rrf')
    expect(rrf[0]!.memory.id).toBe('b')
    expect(rrf[0]!.score).toBeCloseTo((61 / 62 + 1) / 2, 10)
  })

  it('answers several questions at once through the memory', async () => {
    const mem = await open()
    const tea = await mem.store('The user drinks green tea every morning')
    const run = await mem.store('The user runs five kilometres on Sundays')
    await mem.store('The car needs new tyres')
    const hits = await mem.recallMany(['green tea', 'running on Sundays'], { k: 2, aggregate: 'max' })
    expect(hits.map((h) => h.memory.id).sort()).toEqual([tea, run].sort())
    await mem.flush()
    expect((await mem.get(tea)).accessCount).toBe(1)
    const peeked = await mem.recallMany(['green tea'], { k: 1, peek: true })
    expect(peeked[0]!.memory.id).toBe(tea)
    await mem.flush()
    expect((await mem.get(tea)).accessCount).toBe(1)
    await expect(mem.recallMany([], {})).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(mem.recallMany(['x'], { aggregate: 'sum' as never })).rejects.toMatchObject({ code: 'VALIDATION' })
  })
})

describe('recent and report', () => {
  it('recent() lists the last hours newest first, by type', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    await mem.store('two days ago', { createdAt: c.now() - 2 * DAY })
    const a = await mem.store('an hour ago', { createdAt: c.now() - HOUR, type: 'semantic' })
    const b = await mem.store('just now')
    expect((await mem.recent()).map((r) => r.id)).toEqual([b, a])
    expect((await mem.recent({ hours: 72 })).length).toBe(3)
    expect((await mem.recent({ types: ['semantic'] })).map((r) => r.id)).toEqual([a])
    await expect(mem.recent({ hours: 0 })).rejects.toMatchObject({ code: 'VALIDATION' })
  })

  it('report() groups by type over a time range with retrieval stats and health', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    await mem.store('Old preference', { type: 'preference', importance: 0.2, createdAt: c.now() - 10 * DAY })
    await mem.store('New preference', { type: 'preference', importance: 0.8 })
    await mem.store('A fact', { type: 'semantic' })
    await mem.recall('preference', { k: 2 })
    await mem.flush()
    const report = await mem.report({ from: c.now() - DAY })
    expect(report.total).toBe(3)
    expect(report.byType.preference).toMatchObject({ count: 2, created: 1, byTier: { 'long-term': 2 } })
    expect(report.byType.preference.meanImportance).toBeCloseTo(0.5, 10)
    expect(report.byType.preference.accesses).toBe(2)
    expect(report.byType.semantic.count).toBe(1)
    expect(report.byType.episodic.count).toBe(0)
    expect(report.retrieval.count).toBe(1)
    expect(report.health.ok).toBe(true)
    await expect(mem.report({ from: 10, to: 5 })).rejects.toMatchObject({ code: 'VALIDATION' })
  })
})

describe('every self-managing action is an event and a log entry', () => {
  it('store, reinforce, supersede, consolidate, summarize, promote, archive, evict, feedback', async () => {
    const c = clock()
    const mem = await open({ now: c.now, policy: { lifecycle: { maxEntries: 6 } } })
    const events = recordEvents(mem)
    const a = await mem.store('My favourite drink is coffee', { tier: 'short-term', importance: 0.9 })
    await mem.store('my favourite drink is coffee')
    await mem.store('My favourite drink is now tea')
    await mem.store('The user plays the violin in an orchestra')
    await mem.store('The user plays the violin in an orchestra on Mondays')
    await mem.consolidate({ similarity: 0.7 })
    const summary = await mem.summarize({})
    await mem.feedback(summary.id, { helpful: true })
    const trivia = await mem.store('Trivia nobody needs', { importance: 0.05 })
    for (let i = 0; i < 4; i++) await mem.store(`Filler note ${i} about topic ${i}`, { importance: 0.05, pinned: i < 2 })
    c.advance(100 * DAY)
    const result = await mem.optimize()
    expect(result).toMatchObject({ promoted: 0 })
    const types = new Set(events.map((e) => e.type))
    for (const t of ['stored', 'superseded', 'consolidated', 'summarized', 'feedback', 'archived', 'evicted'] as const)
      expect(types).toContain(t)
    const ops = new Set<string>()
    for (const r of (await mem.list({ tiers: ['short-term', 'long-term', 'archived'] })).items)
      for (const h of await mem.history(r.id)) ops.add(h.op)
    for (const id of [a, trivia]) for (const h of await mem.history(id)) ops.add(h.op)
    for (const op of ['store', 'reinforce', 'supersede', 'summarize', 'feedback', 'archive', 'evict']) expect(ops).toContain(op)
  })
})

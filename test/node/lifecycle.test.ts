import { describe, expect, it } from 'vitest'
import { DEFAULT_POLICY } from '../../src/core/policy.js'
import { packArchivedVector, planEviction, retentionScore, unpackArchivedVector } from '../../src/core/tiers.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { clock, DAY, fakeRecord, MINUTE, open, recordEvents } from './self-helpers.js'

describe('tier lifecycle under a fake clock', () => {
  it('promotes accessed or important short-term memories before they expire; the rest expire', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    const events = recordEvents(mem)
    const accessed = await mem.store('Parking spot is level 3 row F', { tier: 'short-term' })
    const important = await mem.store('Flight BA117 boards at gate 22', { tier: 'short-term', importance: 0.9 })
    const idle = await mem.store('The coffee machine is broken', { tier: 'short-term' })
    c.advance(5 * MINUTE)
    await mem.recall('parking spot level', { k: 1 })
    c.advance(5 * MINUTE)
    await mem.recall('where is the parking spot', { k: 1 })
    await mem.flush()
    const result = await mem.optimize()
    expect(result).toMatchObject({ promoted: 2, archived: 0, evicted: 0 })
    expect(await mem.get(accessed)).toMatchObject({ tier: 'long-term' })
    expect((await mem.get(accessed)).expiresAt).toBeUndefined()
    expect((await mem.get(important)).tier).toBe('long-term')
    c.advance(40 * MINUTE)
    expect(await mem.find(idle)).toBeNull()
    expect(await mem.find(accessed)).not.toBeNull()
    expect(
      events
        .filter((e) => e.type === 'promoted')
        .flatMap((e) => e.ids)
        .sort(),
    ).toEqual([accessed, important].sort())
    expect((await mem.history(accessed)).map((h) => h.op)).toEqual(['store', 'promote'])
  })

  it('archives old, unimportant, unaccessed memories out of the hot index; they stay searchable with tiers: archived', async () => {
    const store = memoryDriver()
    const c = clock()
    const mem = await open({ store, now: c.now })
    const events = recordEvents(mem)
    const trivia = await mem.store('The office plant is called Gerald', { importance: 0.1 })
    const key = await mem.store('The office wifi password is swordfish', { importance: 0.8 })
    const pinned = await mem.store('The office plant needs water weekly', { importance: 0.1, pinned: true })
    c.advance(100 * DAY)
    expect(await mem.optimize()).toMatchObject({ archived: 1, promoted: 0 })
    expect((await mem.get(trivia)).tier).toBe('archived')
    expect((await mem.get(key)).tier).toBe('long-term')
    expect((await mem.get(pinned)).tier).toBe('long-term')
    expect(events.find((e) => e.type === 'archived')?.ids).toEqual([trivia])
    expect((await mem.history(trivia)).at(-1)?.op).toBe('archive')

    const hot = await mem.recall('office plant called Gerald', { peek: true })
    expect(hot.map((h) => h.memory.id)).not.toContain(trivia)
    const stats = await mem.stats()
    expect(stats.index.size).toBe(2)
    const cold = await mem.recall('office plant called Gerald', { peek: true, tiers: ['archived'] })
    expect(cold.map((h) => h.memory.id)).toEqual([trivia])
    expect(cold[0]!.explain.vector).toBeGreaterThan(0.5)
    const vectorOnly = await mem.recall('office plant called Gerald', { peek: true, tiers: ['archived', 'long-term'], mode: 'vector' })
    expect(vectorOnly[0]!.memory.id).toBe(trivia)
    const keywordOnly = await mem.recall('Gerald', { peek: true, tiers: ['archived'], mode: 'keyword' })
    expect(keywordOnly.map((h) => h.memory.id)).toEqual([trivia])

    // The compressed vector replaced the hot one in the store.
    const keys = (await store.list('default/')).keys
    expect(keys).toContain(`default/arc/${trivia}`)
    expect(keys).not.toContain(`default/vec/${trivia}`)
    const packed = (await store.get(`default/arc/${trivia}`))!
    expect(packed.byteLength).toBeLessThan((256 * 4) / 2)

    expect((await mem.health()).issues.map((i) => i.code)).not.toContain('INDEX_MISMATCH')
    await mem.close()
    const again = await open({ store, now: c.now })
    expect((await again.health()).issues.map((i) => i.code)).not.toContain('INDEX_MISMATCH')
    expect((await again.recall('office plant called Gerald', { peek: true, tiers: ['archived'] }))[0]?.memory.id).toBe(trivia)
    expect((await again.recall('office plant called Gerald', { peek: true })).map((h) => h.memory.id)).not.toContain(trivia)

    // Bringing it back carries the stored vector into the hot index again.
    await again.update(trivia, { tier: 'long-term' })
    expect((await again.recall('office plant called Gerald', { peek: true }))[0]?.memory.id).toBe(trivia)
    expect((await store.list('default/arc/')).keys).toEqual([])
    await again.forget(key)
    await again.update(trivia, { tier: 'archived' })
    await again.forget(trivia)
    expect((await store.list('default/arc/')).keys).toEqual([])
  })

  it('archived memories stay out of the hot index after a rebuild without snapshot and after another writer archives them', async () => {
    const store = memoryDriver()
    const c = clock()
    // Two writers on one store share a lock (as tabs do), so each catches up with the other's log first.
    let chain: Promise<unknown> = Promise.resolve()
    const lock = <T>(fn: () => Promise<T>): Promise<T> => {
      const run = chain.then(fn, fn)
      chain = run.catch(() => undefined)
      return run
    }
    const writer = await open({ store, now: c.now, lock })
    const reader = await open({ store, now: c.now, lock })
    const old = await writer.store('The old intranet lived at wiki.example.org', { importance: 0.1 })
    await writer.store('The new intranet lives at portal.example.org', { importance: 0.9 })
    await reader.refresh()
    expect((await reader.recall('old intranet wiki', { peek: true }))[0]?.memory.id).toBe(old)
    c.advance(100 * DAY)
    expect((await writer.optimize()).archived).toBe(1)
    await reader.refresh()
    expect((await reader.get(old)).tier).toBe('archived')
    expect((await reader.recall('old intranet wiki', { peek: true })).map((h) => h.memory.id)).not.toContain(old)
    expect((await reader.recall('old intranet wiki', { peek: true, tiers: ['archived'] }))[0]?.memory.id).toBe(old)
    expect((await reader.health()).issues.map((i) => i.code)).not.toContain('INDEX_MISMATCH')
    await writer.close()
    await reader.close()
    await store.delete('default/snap/index')
    const rebuilt = await open({ store, now: c.now })
    expect((await rebuilt.stats()).index.size).toBe(1)
    expect((await rebuilt.recall('old intranet wiki', { peek: true, tiers: ['archived'] }))[0]?.memory.id).toBe(old)
    expect((await rebuilt.health()).issues.map((i) => i.code)).not.toContain('INDEX_MISMATCH')
  })

  it('archives superseded facts after the policy delay', async () => {
    const c = clock()
    const mem = await open({ now: c.now, policy: { lifecycle: { archiveSupersededAfterMs: 10 * DAY } } })
    const old = await mem.store('My favourite colour is blue', { importance: 0.9 })
    c.advance(DAY)
    await mem.store('My favourite colour is green', { importance: 0.9 })
    c.advance(5 * DAY)
    expect((await mem.optimize()).archived).toBe(0)
    c.advance(6 * DAY)
    expect((await mem.optimize()).archived).toBe(1)
    expect((await mem.get(old)).tier).toBe('archived')
    const past = await mem.recall('favourite colour', { asOf: c.now() - 11.5 * DAY, tiers: ['archived', 'long-term'], peek: true })
    expect(past[0]?.memory.id).toBe(old)
  })

  it('evicts by retention score beyond maxEntries, never pinned memories, and says when only pinned ones are left', async () => {
    const c = clock()
    const mem = await open({ now: c.now, policy: { lifecycle: { maxEntries: 3 } } })
    const events = recordEvents(mem)
    const pinned = await mem.store('Pinned but unimportant note', { importance: 0, pinned: true })
    const high = await mem.store('Important: passport number is on file', { importance: 0.95 })
    const low = await mem.store('Low value chatter about weather', { importance: 0.05 })
    c.advance(10 * DAY)
    const recent = await mem.store('Fresh note from today', { importance: 0.5 })
    const mid = await mem.store('Medium note about lunch', { importance: 0.3 })
    const result = await mem.optimize()
    expect(result).toMatchObject({ evicted: 2, overLimit: false })
    const left = (await mem.list()).items.map((r) => r.id).sort()
    expect(left).toEqual([pinned, high, recent].sort())
    expect(await mem.find(low)).toBeNull()
    expect(await mem.find(mid)).toBeNull()
    expect(events.find((e) => e.type === 'evicted')?.ids).toEqual([low, mid])
    expect((await mem.history(low)).at(-1)?.op).toBe('evict')

    const tight = await open({ now: c.now, policy: { lifecycle: { maxEntries: 1 } } })
    await tight.store('first pinned', { pinned: true })
    await tight.store('second pinned', { pinned: true })
    expect(await tight.optimize()).toMatchObject({ evicted: 0, overLimit: true })
    expect(await tight.count()).toBe(2)
    expect((await tight.report()).health.issues.map((i) => i.code)).toContain('RETENTION_OVER_LIMIT')
  })

  it('maxBytes evicts the lowest retention scores until the store fits', () => {
    const records = [0.9, 0.1, 0.5].map((importance, i) => fakeRecord({ id: `r${i}`, content: 'x'.repeat(50), importance }))
    const policy = { ...DEFAULT_POLICY.lifecycle, maxBytes: 2 * (100 + 2) }
    expect(planEviction(records, 0, policy)).toEqual({ evict: ['r1'], overLimit: false })
    expect(retentionScore(records[0]!, 0, policy)).toBeGreaterThan(retentionScore(records[2]!, 0, policy))
  })

  it('archived vectors round-trip through int8 + deflate with cosine above 0.99', async () => {
    const v = new Float32Array(384).map((_, i) => Math.sin(i * 1.7) * (i % 7 === 0 ? 3 : 1))
    const packed = await packArchivedVector(v)
    expect(packed.byteLength).toBeLessThan(v.byteLength / 3)
    const back = await unpackArchivedVector(packed, 384)
    let dot = 0
    let na = 0
    let nb = 0
    for (let i = 0; i < 384; i++) {
      dot += v[i]! * back[i]!
      na += v[i]! ** 2
      nb += back[i]! ** 2
    }
    expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.99)
    await expect(unpackArchivedVector(packed, 512)).rejects.toThrow()
  })

  it('schedule runs the lifecycle on an interval while open and stops on close', async () => {
    const c = clock()
    const mem = await open({ now: c.now, schedule: { intervalMs: 1000 } })
    const promoted = new Promise<string[]>((resolve) => mem.on('promoted', (e) => resolve(e.ids)))
    const id = await mem.store('Remember to call the plumber', { tier: 'short-term', importance: 0.95 })
    expect(await promoted).toEqual([id])
    await mem.close()
    await expect(open({ schedule: 10 })).rejects.toMatchObject({ code: 'VALIDATION' })
  })
})

import { describe, expect, it } from 'vitest'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { clock, open, recordEvents } from './self-helpers.js'

describe('write-time dedup', () => {
  it('the same fact in three wordings is one memory, reinforced twice', async () => {
    const mem = await open()
    const events = recordEvents(mem)
    const first = await mem.store("My sister's name is Anna.", { importance: 0.4, metadata: { source: 'chat' } })
    const second = await mem.store('my sisters name is anna', { metadata: { confirmed: true } })
    const third = await mem.store('  My SISTER’S name is   Anna!! ', { importance: 0.7 })
    expect(second).toBe(first)
    expect(third).toBe(first)
    expect(await mem.count()).toBe(1)
    const record = await mem.get(first)
    expect(record.content).toBe("My sister's name is Anna.")
    expect(record.accessCount).toBe(2)
    expect(record.importance).toBeCloseTo(0.75, 5)
    expect(record.metadata).toEqual({ source: 'chat', confirmed: true })
    const stored = events.filter((e) => e.type === 'stored')
    expect(stored.map((e) => e.deduplicated)).toEqual([false, true, true])
    expect(stored.every((e) => e.ids[0] === first)).toBe(true)
    const history = await mem.history(first)
    expect(history.map((h) => h.op)).toEqual(['store', 'reinforce', 'reinforce'])
    expect(history.map((h) => h.version)).toEqual([1, 2, 3])
  })

  it('storeBatch reports deduplicated items, within the batch and against the store', async () => {
    const mem = await open()
    const existing = await mem.store('The wifi password is hunter2')
    const results = await mem.storeBatch([
      { content: 'Lunch is at noon' },
      { content: 'lunch is at noon.' },
      { content: 'The WiFi password is hunter2!' },
      { content: 'Dinner is at eight' },
    ])
    expect(results.map((r) => r.deduplicated)).toEqual([false, true, true, false])
    expect(results[1]!.id).toBe(results[0]!.id)
    expect(results[2]!.id).toBe(existing)
    expect(await mem.count()).toBe(3)
    expect((await mem.get(results[0]!.id)).accessCount).toBe(1)
    expect((await mem.get(existing)).accessCount).toBe(1)
  })

  it('does not dedup across scopes, explicit ids, or the working tier', async () => {
    const mem = await open()
    const a = await mem.store('Prefers tea', { scope: { userId: 'u1' } })
    const b = await mem.store('Prefers tea', { scope: { userId: 'u2' } })
    const c = await mem.store('Prefers tea', { scope: { userId: 'u1' }, id: 'explicit-1' })
    const d = await mem.store('Prefers tea', { scope: { userId: 'u1' }, tier: 'working' })
    expect(new Set([a, b, c, d]).size).toBe(4)
    expect(await mem.store('prefers tea', { scope: { userId: 'u1' } })).toBe(a)
  })

  it('a superseded or forgotten memory no longer absorbs duplicates', async () => {
    const mem = await open()
    const a = await mem.store('Remember the milk')
    await mem.forget(a)
    const b = await mem.store('Remember the milk')
    expect(b).not.toBe(a)
  })

  it('near duplicates merge only when the policy enables it, at its threshold', async () => {
    const embedder = createTestEmbedder({ dims: 256 })
    const [x, y] = await embedder.embed(['The user lives in Paris with two cats', 'The user lives in Paris with her two cats'])
    let dot = 0
    for (let i = 0; i < x!.length; i++) dot += x![i]! * y![i]!
    expect(dot).toBeGreaterThan(0.8)
    const off = await open({ embedder })
    await off.store('The user lives in Paris with two cats')
    await off.store('The user lives in Paris with her two cats')
    expect(await off.count()).toBe(2)

    const on = await open({ embedder, policy: { dedup: { near: true, threshold: dot - 0.01 } } })
    const first = await on.store('The user lives in Paris with two cats')
    const result = await on.storeBatch([
      { content: 'The user lives in Paris with her two cats' },
      { content: 'Completely unrelated fact about trains' },
    ])
    expect(result[0]).toEqual({ id: first, deduplicated: true })
    expect(result[1]!.deduplicated).toBe(false)
    expect(await on.count()).toBe(2)
    const strict = await open({ embedder, policy: { dedup: { near: true, threshold: Math.min(1, dot + 0.01) } } })
    await strict.store('The user lives in Paris with two cats')
    await strict.store('The user lives in Paris with her two cats')
    expect(await strict.count()).toBe(2)
  })

  it('follows content changes: after an update the old wording no longer dedups to it, the new one does', async () => {
    const mem = await open()
    const id = await mem.store('Meeting room is B12')
    await mem.update(id, { content: 'Meeting room is C7' })
    expect(await mem.store('meeting room is c7')).toBe(id)
    const other = await mem.store('Meeting room is B12')
    expect(other).not.toBe(id)
    await mem.forget(other)
    expect(await mem.store('Meeting room is B12')).not.toBe(other)
  })

  it('reinforcement is durable: a reopened memory sees the merged record', async () => {
    const store = memoryDriver()
    const c = clock()
    const mem = await open({ store, now: c.now })
    const id = await mem.store('Allergic to peanuts', { importance: 0.9 })
    c.advance(1000)
    await mem.store('allergic to peanuts', { metadata: { severity: 'high' } })
    await mem.close()
    const again = await open({ store, now: c.now })
    const record = await again.get(id)
    expect(record).toMatchObject({ accessCount: 1, metadata: { severity: 'high' }, version: 2, lastAccessedAt: c.now() })
    expect(record.importance).toBeCloseTo(0.95, 5)
  })

  it('rejects a bad policy with VALIDATION', async () => {
    await expect(open({ policy: { dedup: { threshold: 2 } } })).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(open({ policy: { nope: {} } as never })).rejects.toMatchObject({ code: 'VALIDATION' })
    await expect(open({ policy: { dedup: { exactly: true } } as never })).rejects.toMatchObject({ code: 'VALIDATION' })
  })
})

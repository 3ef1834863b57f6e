/**
 * Index snapshots during sustained writing: once a snapshot is costly, the next waits until several times
 * its cost has passed, so a long ingest does not rewrite the whole index every `snapshotEvery` entries;
 * what the skipped snapshots leave in the log is replayed on open.
 */
import { describe, expect, it } from 'vitest'
import { keysFor } from '../../src/core/layout.js'
import { createMemory } from '../../src/core/memory.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { writerLock } from '../shared/writer-lock.js'

const keys = keysFor('default')

/** Counts snapshot writes and makes each one slow, as a large index's would be. */
function slowSnapshots(inner: StoreDriver, delayMs: number) {
  const counter = { writes: 0 }
  const driver: StoreDriver = {
    ...inner,
    async set(key, value, options) {
      if (key === keys.snapshot) {
        counter.writes++
        await new Promise((resolve) => setTimeout(resolve, delayMs))
      }
      return inner.set(key, value, options)
    },
  }
  return { driver, counter }
}

describe('index snapshots under sustained writing', () => {
  it('a costly snapshot is not repeated on every write, and reopening replays the rest', async () => {
    const store = memoryDriver()
    const { driver, counter } = slowSnapshots(store, 300)
    const mem = await createMemory({ store: driver, embedder: createTestEmbedder(), snapshotEvery: 1 })
    const ids: string[] = []
    for (let i = 0; i < 20; i++) ids.push(await mem.store(`sustained write number ${i} about topic${i}`))
    // Every write is due by count; the first snapshot costs 300 ms, so the next waits 1.2 s.
    expect(counter.writes).toBeGreaterThanOrEqual(1)
    expect(counter.writes).toBeLessThan(10)

    // A crash: no close(), so the newest snapshot is behind the log.
    const again = await createMemory({ store, embedder: createTestEmbedder() })
    expect(await again.count()).toBe(20)
    expect((await again.stats()).index.size).toBe(20)
    expect((await again.recall('topic17', { k: 1 }))[0]!.memory.id).toBe(ids[17])
    expect((await again.verifyAudit()).ok).toBe(true)
    await again.close()
    await mem.close()
  })

  it('cheap snapshots keep the snapshotEvery cadence', async () => {
    const { driver, counter } = slowSnapshots(memoryDriver(), 0)
    const mem = await createMemory({ store: driver, embedder: createTestEmbedder(), snapshotEvery: 5 })
    for (let i = 0; i < 20; i++) await mem.store(`cheap write ${i}`)
    await mem.flush()
    expect(counter.writes).toBe(4)
    await mem.close()
  })

  it('closing after recalls alone keeps the snapshot, and reopening still has their access counts', async () => {
    const store = memoryDriver()
    const { driver, counter } = slowSnapshots(store, 0)
    const first = await createMemory({ store: driver, embedder: createTestEmbedder() })
    const id = await first.store('the lighthouse keeper paints seagulls')
    await first.close()
    expect(counter.writes).toBe(1)

    const second = await createMemory({ store: driver, embedder: createTestEmbedder() })
    expect((await second.recall('lighthouse seagulls', { k: 1 }))[0]!.memory.id).toBe(id)
    await second.recall('lighthouse', { k: 1 })
    await second.close()
    expect(counter.writes).toBe(1) // two access entries in the log, no index change: no rewrite

    const third = await createMemory({ store: driver, embedder: createTestEmbedder() })
    expect((await third.get(id))!.accessCount).toBe(2)
    expect((await third.verifyAudit()).ok).toBe(true)
    await third.store('a second memory about harbour gulls')
    await third.close()
    expect(counter.writes).toBe(2) // a stored memory changes the indexes: closing snapshots them

    const fourth = await createMemory({ store: driver, embedder: createTestEmbedder() })
    expect((await fourth.stats()).index.size).toBe(2)
    await fourth.close()
  })

  it('a writer that caught up with another writer snapshots at close only if the indexes changed', async () => {
    const store = memoryDriver()
    const lock = writerLock()
    const a = slowSnapshots(store, 0)
    const b = slowSnapshots(store, 0)
    const writer = await createMemory({ store: a.driver, embedder: createTestEmbedder(), lock })
    const reader = await createMemory({ store: b.driver, embedder: createTestEmbedder(), lock })
    const id = await writer.store('the ferry leaves the harbour at dawn')
    await writer.recall('ferry', { k: 1 })
    await writer.flush()
    // The other writer's store changes this one's indexes: catching up, then closing, snapshots them.
    expect(await reader.refresh()).toBe(2)
    expect((await reader.recall('ferry harbour', { k: 1, peek: true }))[0]!.memory.id).toBe(id)
    await reader.close()
    expect(b.counter.writes).toBe(1)

    const again = await createMemory({ store: b.driver, embedder: createTestEmbedder(), lock })
    await writer.recall('dawn', { k: 1 })
    await writer.flush()
    // Only an access entry to catch up on: the indexes are as the snapshot has them.
    expect(await again.refresh()).toBe(1)
    expect((await again.get(id))!.accessCount).toBe(2)
    expect((await again.recall('ferry dawn', { k: 1, peek: true }))[0]!.memory.id).toBe(id)
    await again.close()
    expect(b.counter.writes).toBe(1)
    await writer.close()
    const last = await createMemory({ store, embedder: createTestEmbedder() })
    expect((await last.get(id))!.accessCount).toBe(2)
    expect((await last.stats()).index.size).toBe(1)
    await last.close()
  })
})

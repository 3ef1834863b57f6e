import { describe, expect, it } from 'vitest'
import { memoryError } from '../../src/core/errors.js'
import { keysFor } from '../../src/core/layout.js'
import { createMemory } from '../../src/core/memory.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { expectCode } from '../shared/expect-error.js'
import { writerLock } from '../shared/writer-lock.js'

const embedder = () => createTestEmbedder()
const keys = keysFor('default')

/** A driver whose transactions fail on demand, to prove a failed write changes nothing. */
function faultyDriver(inner: StoreDriver, code: 'QUOTA_EXCEEDED' | 'STORAGE' = 'STORAGE') {
  let failNext = false
  const driver: StoreDriver = {
    ...inner,
    async transaction(ops) {
      if (failNext) {
        failNext = false
        if (code === 'QUOTA_EXCEEDED') throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' })
        throw new Error('disk on fire')
      }
      return inner.transaction!(ops)
    },
  }
  return { driver, failOnce: () => (failNext = true) }
}

async function rawKeys(store: StoreDriver): Promise<string[]> {
  return (await store.list('')).keys
}

describe('durability', () => {
  it('a reopened memory holds every acknowledged write and recalls it', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ store, embedder: embedder() })
    const ids = (await mem.storeBatch(Array.from({ length: 30 }, (_, i) => ({ content: `durable fact ${i} about topic${i}` })))).map(
      (r) => r.id,
    )
    await mem.update(ids[0]!, { content: 'rewritten first fact about zebras' })
    await mem.forget(ids[1]!)
    await mem.close()

    const again = await createMemory({ store, embedder: embedder() })
    expect(await again.count()).toBe(29)
    expect((await again.recall('zebras', { k: 1 }))[0]!.memory.id).toBe(ids[0])
    expect((await again.recall('topic7', { k: 1 }))[0]!.memory.id).toBe(ids[7])
    expect(await again.find(ids[1]!)).toBeNull()
    expect((await again.health()).ok).toBe(true)
    await again.close()
  })

  it('opens from the index snapshot and replays the log written after it', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ store, embedder: embedder(), snapshotEvery: 10 })
    await mem.storeBatch(Array.from({ length: 12 }, (_, i) => ({ content: `before snapshot ${i}` })))
    await mem.optimize()
    const snapshotted = (await mem.stats()).logSeq
    const late = await mem.store('written after the snapshot about giraffes')
    // Simulate a crash: no close(), so no final snapshot; the store holds the snapshot + 1 newer log entry.
    const head = JSON.parse(new TextDecoder().decode((await store.get(keys.head))!.subarray(16)))
    expect(head.seq).toBe(snapshotted + 1)

    const again = await createMemory({ store, embedder: embedder() })
    expect((await again.recall('giraffes', { k: 1 }))[0]!.memory.id).toBe(late)
    expect((await again.stats()).index.size).toBe(13)
    await again.close()
  })

  it('a corrupt index snapshot is detected and the index rebuilt from records', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ store, embedder: embedder() })
    const id = await mem.store('the lighthouse keeper logs the weather')
    await mem.store('another memory')
    await mem.close()
    const snapshot = (await store.get(keys.snapshot))!
    snapshot[snapshot.length - 5]! ^= 0xff
    await store.set(keys.snapshot, snapshot)
    const warnings: string[] = []
    const again = await createMemory({
      store,
      embedder: embedder(),
      logger: { debug() {}, warn: (m) => warnings.push(m), error() {} },
    })
    expect(warnings.some((w) => /snapshot unusable/.test(w))).toBe(true)
    expect((await again.recall('lighthouse weather', { k: 1 }))[0]!.memory.id).toBe(id)
    expect((await again.stats()).index.size).toBe(2)
    await again.close()
  })

  it('a snapshot that disagrees with the records is not trusted', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ store, embedder: embedder() })
    await mem.store('first')
    await mem.close()
    const stale = (await store.get(keys.snapshot))!
    const again = await createMemory({ store, embedder: embedder() })
    const id = await again.store('second memory about otters')
    await again.close()
    await store.set(keys.snapshot, stale) // an old snapshot claiming to be current would lose 'second'
    const third = await createMemory({ store, embedder: embedder() })
    expect((await third.recall('otters', { k: 1 }))[0]!.memory.id).toBe(id)
    await third.close()
  })

  it.each(['STORAGE', 'QUOTA_EXCEEDED'] as const)('a failed transaction (%s) leaves store and memory exactly as before', async (code) => {
    const { driver, failOnce } = faultyDriver(memoryDriver(), code)
    const mem = await createMemory({ store: driver, embedder: embedder() })
    const id = await mem.store('stable memory')
    const before = await rawKeys(driver)
    const statsBefore = await mem.stats()

    failOnce()
    await expectCode(() => mem.store('lost on purpose'), code)
    failOnce()
    await expectCode(() => mem.update(id, { content: 'changed' }), code)
    failOnce()
    await expectCode(() => mem.forget(id), code)

    expect(await rawKeys(driver)).toEqual(before)
    const statsAfter = await mem.stats()
    expect(statsAfter.total).toBe(statsBefore.total)
    expect(statsAfter.logSeq).toBe(statsBefore.logSeq)
    expect((await mem.get(id)).content).toBe('stable memory')
    expect(await mem.recall('lost on purpose', { mode: 'keyword' })).toEqual([])
    // and the memory keeps working afterwards
    const next = await mem.store('after the failure')
    expect((await mem.get(next)).content).toBe('after the failure')
    await mem.close()
  })

  it('a driver without transactions is refused as a primary store', async () => {
    const inner = memoryDriver()
    const { transaction: _drop, ...rest } = inner
    const mem = await createMemory({ store: rest as StoreDriver, embedder: embedder() })
    await expectCode(() => mem.store('x'), 'UNSUPPORTED')
  })

  it('a changed embedder re-embeds every memory on open', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ store, embedder: createTestEmbedder({ dims: 32 }) })
    const id = await mem.store('penguins live in the south')
    await mem.close()
    const again = await createMemory({ store, embedder: createTestEmbedder({ dims: 48 }) })
    expect((await again.get(id)).dims).toBe(48)
    expect((await again.recall('penguins', { k: 1, mode: 'vector' }))[0]!.memory.id).toBe(id)
    expect((await again.recall('penguins', { k: 1, mode: 'keyword' }))[0]!.memory.id).toBe(id)
    await again.close()
  })

  it('a second writer sharing the store is caught up through the log', async () => {
    const store = memoryDriver()
    const lock = writerLock()
    const a = await createMemory({ store, embedder: embedder(), lock })
    const b = await createMemory({ store, embedder: embedder(), lock })
    const fromA = await a.store('written by tab A about kayaks')
    const fromB = await b.store('written by tab B about canoes')
    expect(await a.refresh()).toBe(1)
    expect((await a.recall('canoes', { k: 1 }))[0]!.memory.id).toBe(fromB)
    expect((await b.recall('kayaks', { k: 1 }))[0]!.memory.id).toBe(fromA)
    expect(await a.count()).toBe(2)
    expect(await b.count()).toBe(2)
    await a.close()
    await b.close()
  })

  it('corrupted records are reported as CORRUPTED when opening', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ store, embedder: embedder() })
    const id = await mem.store('fragile')
    await mem.close()
    const bytes = (await store.get(keys.rec(id)))!
    bytes[bytes.length - 2]! ^= 0x01
    await store.set(keys.rec(id), bytes)
    await expectCode(() => createMemory({ store, embedder: embedder() }), 'CORRUPTED')
  })

  it('memoryError keeps its code through asMemoryError wrapping', async () => {
    const { driver } = faultyDriver(memoryDriver())
    const failing: StoreDriver = {
      ...driver,
      async transaction() {
        throw memoryError('QUOTA_EXCEEDED', 'full')
      },
    }
    const mem = await createMemory({ store: failing, embedder: embedder() })
    await expectCode(() => mem.store('x'), 'QUOTA_EXCEEDED')
  })
})

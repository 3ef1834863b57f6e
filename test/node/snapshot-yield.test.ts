/**
 * A snapshot of a large index is seconds of work; it gives the event loop turns between its steps so a
 * recall (a worker message, a Durable Object request) is not held up behind all of it. What it writes is
 * the same as before, and writes that land while it is under way are not lost.
 */
import { describe, expect, it } from 'vitest'
import { KeywordIndex } from '../../src/core/keyword.js'
import { keysFor } from '../../src/core/layout.js'
import { createMemory } from '../../src/core/memory.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { decodeFrame, encodeFrame, encodeFrameYielding, FRAME_SLICE_BYTES } from '../../src/store/codec.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'

const keys = keysFor('default')

/** True once a timer set now has fired: it can only fire when the event loop gets a turn. */
function timerTurn() {
  const turn = { fired: false }
  setTimeout(() => {
    turn.fired = true
  }, 0)
  return turn
}

describe('framing a large payload', () => {
  it('gives the event loop a turn and frames the same bytes as encodeFrame', async () => {
    const payload = new Uint8Array(2 * FRAME_SLICE_BYTES + 5)
    for (let i = 0; i < payload.length; i += 4093) payload[i] = i & 0xff
    const turn = timerTurn()
    const framed = await encodeFrameYielding(payload, 1)
    expect(turn.fired).toBe(true)
    // Compared as buffers: a diff of 16 MB arrays would exhaust the test's memory.
    expect(Buffer.compare(framed, encodeFrame(payload, 1))).toBe(0)
    expect(Buffer.compare(decodeFrame(framed).payload, payload)).toBe(0)
  })

  it('frames small and empty payloads the same way', async () => {
    for (const payload of [new Uint8Array(0), new TextEncoder().encode('hello')]) {
      expect(await encodeFrameYielding(payload)).toEqual(encodeFrame(payload))
    }
    await expect(encodeFrameYielding('text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'VALIDATION' })
  })
})

describe('keyword index serialized a slice at a time', () => {
  it('is the same text as serialize(), and reads back the same index', async () => {
    const index = new KeywordIndex()
    expect(await index.serializeYielding(3)).toBe(index.serialize())
    for (let i = 0; i < 10; i++) index.add(`m${i}`, `note ${i} about "quoted" topic${i % 3} and café`)
    const sliced = await index.serializeYielding(3)
    expect(sliced).toBe(index.serialize())
    expect(sliced).toBe(JSON.stringify(JSON.parse(sliced)))
    const back = KeywordIndex.deserialize(sliced)
    expect(back.size).toBe(10)
    expect(back.search('topic1', 10).map((h) => h.id)).toEqual(index.search('topic1', 10).map((h) => h.id))
  })
})

describe('index snapshot of a memory', () => {
  it('lets a timer run before the snapshot reaches the store', async () => {
    const inner = memoryDriver()
    const seen: boolean[] = []
    let turn = { fired: false }
    const driver: StoreDriver = {
      ...inner,
      async set(key, value, options) {
        if (key === keys.snapshot) seen.push(turn.fired)
        return inner.set(key, value, options)
      },
    }
    const mem = await createMemory({ store: driver, embedder: createTestEmbedder() })
    await mem.storeBatch(Array.from({ length: 20 }, (_, i) => ({ content: `memory ${i} about subject${i}` })))
    await mem.flush()
    turn = timerTurn()
    await mem.close()
    expect(seen).toEqual([true])
    const again = await createMemory({ store: inner, embedder: createTestEmbedder() })
    expect((await again.stats()).index.size).toBe(20)
    await again.close()
  })

  it('keeps writes that land while a snapshot is on its way to the store, across a crash', async () => {
    const store = memoryDriver()
    let release: () => void = () => {}
    let reached: (() => void) | undefined
    const atStore = new Promise<void>((resolve) => {
      reached = resolve
    })
    const driver: StoreDriver = {
      ...store,
      async set(key, value, options) {
        if (key === keys.snapshot && reached) {
          // Only the first snapshot (optimize's) is held back.
          reached()
          reached = undefined
          await new Promise<void>((resolve) => {
            release = resolve
          })
        }
        return store.set(key, value, options)
      },
    }
    const mem = await createMemory({ store: driver, embedder: createTestEmbedder() })
    const first = await mem.storeBatch(Array.from({ length: 10 }, (_, i) => ({ content: `early note ${i} on theme${i}` })))
    const optimizing = mem.optimize()
    await atStore
    const late = await mem.store('late note on the harbour lighthouse')
    await mem.forget(first[3]!.id)
    release()
    await optimizing
    // A crash before close(): the snapshot on disk predates the two writes; reopening replays them.
    const again = await createMemory({ store, embedder: createTestEmbedder() })
    expect(await again.count()).toBe(10)
    expect((await again.stats()).index.size).toBe(10)
    expect((await again.recall('harbour lighthouse', { k: 1 }))[0]!.memory.id).toBe(late)
    expect((await again.recall('theme3', { k: 10 })).map((h) => h.memory.id)).not.toContain(first[3]!.id)
    await again.close()
    await mem.close()
  })
})

/** Two pages (tabs) of one browser context, each with its own worker, over one IndexedDB namespace. */

import { afterAll, describe, expect, it } from 'vitest'
import { commands } from 'vitest/browser'
import { type BrowserMemory, createMemory } from '../../src/browser/client.js'

const COUNT = 15

describe('two tabs of one browser context', () => {
  const database = `engram-tabs-${Date.now()}`
  let mine: BrowserMemory | undefined
  let other: string | undefined
  afterAll(async () => {
    await mine?.close()
    if (other) {
      await commands.pageEval(other, 'harness.close()')
      await commands.closePage(other)
    }
  })

  it('write concurrently, lose nothing, and see each other within a second', async () => {
    other = await commands.openPage(`${location.origin}/test/browser/fixtures/tab.html`, 'window.harnessReady === true')
    mine = await createMemory({ worker: true, database, embedder: { kind: 'test', dims: 256 }, lazy: false })
    await commands.pageEval(other, `harness.open(${JSON.stringify(database)})`)

    // Both tabs write at the same time, one store per call, so their transactions interleave.
    const mem = mine
    const [ours, theirs] = await Promise.all([
      Promise.all(Array.from({ length: COUNT }, (_, i) => mem.store(`alpha item ${i} token alphax${i}`))),
      commands.pageEval<string[]>(other, `harness.storeMany('beta', ${COUNT})`),
    ])
    const written = [...ours, ...theirs].sort()
    expect(new Set(written).size).toBe(2 * COUNT)
    const writtenAt = performance.now()

    // Neither tab calls refresh(): the change feed brings the other tab's writes.
    const otherTab = other
    await expect
      .poll(async () => (await mem.list({ limit: 10_000 })).items.map((r) => r.id).sort(), { timeout: 1000, interval: 20 })
      .toEqual(written)
    await expect.poll(() => commands.pageEval<string[]>(otherTab, 'harness.ids()'), { timeout: 1000, interval: 20 }).toEqual(written)
    const seenAfter = performance.now() - writtenAt
    console.log(`both tabs saw all ${2 * COUNT} writes ${Math.round(seenAfter)} ms after the last one was acknowledged`)

    // Recall (vector + keyword indexes), not only the record list, sees the other tab's writes.
    expect((await mem.recall('beta item 11 token betax11', { k: 1, peek: true }))[0]?.memory.content).toBe('beta item 11 token betax11')
    expect(await commands.pageEval(otherTab, `harness.recallTop('alpha item 13 token alphax13')`)).toBe('alpha item 13 token alphax13')

    // Each tab's indexes agree with the records; the log has one entry per write, none lost or doubled.
    const stats = await mem.stats()
    expect(stats.total).toBe(2 * COUNT)
    expect(stats.index.size).toBe(2 * COUNT)

    // A third worker opening the store from disk finds exactly the same.
    const fresh = await createMemory({ worker: true, database, embedder: { kind: 'test', dims: 256 }, lazy: false })
    expect((await fresh.list({ limit: 10_000 })).items.map((r) => r.id).sort()).toEqual(written)
    expect((await fresh.stats()).index.size).toBe(2 * COUNT)
    await fresh.close()
  })
})

/**
 * No acknowledged write is lost: the worker is killed (Worker.terminate(), what a closed tab or a crash
 * does) at a random point while batches are being written, 20 times over one store. After each kill the
 * store is reopened by a new worker: every write that was acknowledged is there, and the indexes agree
 * with the records.
 */
import { describe, expect, it } from 'vitest'
import { type BrowserMemory, createMemory } from '../../src/browser/client.js'

const ROUNDS = 20

/** Deterministic, so a failing round can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

describe('durability in Chromium', () => {
  it(`keeps every acknowledged write when the worker is terminated mid-storeBatch, ${ROUNDS} times`, async () => {
    const database = `engram-durability-${Date.now()}`
    const rand = random(0x5eed)
    const acknowledged = new Map<string, string>()
    const open = () =>
      // A small snapshot interval, so reopening exercises snapshot + log replay, not only a rebuild.
      createMemory({
        worker: true,
        database,
        embedder: { kind: 'test', dims: 256 },
        index: { kind: 'usearch' },
        snapshotEvery: 25,
        lazy: false,
      })
    let killedDuringWrite = 0

    for (let round = 0; round < ROUNDS; round++) {
      const mem = await open()
      await verify(mem, acknowledged, round)

      // Keep batches flowing until the kill; remember only what resolved before it.
      let killed = false
      let inFlight = false
      const writer = (async () => {
        for (let batch = 0; !killed; batch++) {
          const items = Array.from({ length: 5 + Math.floor(rand() * 15) }, (_, i) => ({
            content: `round ${round} batch ${batch} item ${i} token r${round}b${batch}i${i}`,
            metadata: { round, batch, i },
          }))
          inFlight = true
          const results = await mem.storeBatch(items)
          inFlight = false
          if (killed) return
          for (const [i, r] of results.entries()) acknowledged.set(r.id, items[i]!.content)
        }
      })().catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, 50 + rand() * 550))
      killed = true
      if (inFlight) killedDuringWrite++
      mem.terminate()
      await writer
    }

    const last = await open()
    await verify(last, acknowledged, ROUNDS)
    await last.close()
    expect(killedDuringWrite).toBe(ROUNDS)
    expect(acknowledged.size).toBeGreaterThan(ROUNDS)
  })
})

async function verify(mem: BrowserMemory, acknowledged: Map<string, string>, round: number): Promise<void> {
  // Every acknowledged write is there, with its content.
  const ids = [...acknowledged.keys()]
  const stored = new Map<string, string>()
  for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
    const page = await mem.list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
    for (const r of page.items) stored.set(r.id, r.content)
    cursor = page.cursor
  }
  const missing = ids.filter((id) => stored.get(id) !== acknowledged.get(id))
  expect(missing, `round ${round}: acknowledged writes missing`).toEqual([])
  // The indexes agree with the records: same size, and every record is found by its own words.
  const stats = await mem.stats()
  expect(stats.total, `round ${round}`).toBe(stored.size)
  expect(stats.index.size, `round ${round}: vector index vs records`).toBe(stats.total)
  const health = await mem.health()
  expect(
    health.issues.filter((i) => /INDEX|MISSING|ORPHAN/.test(i.code)),
    `round ${round}`,
  ).toEqual([])
  const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 6)) === 0)
  for (const id of sample) {
    const content = acknowledged.get(id)!
    const token = /token (\S+)/.exec(content)![1]!
    const [vector] = await mem.recall(content, { k: 1, mode: 'vector', peek: true })
    const [keyword] = await mem.recall(token, { k: 1, mode: 'keyword', peek: true })
    expect(vector?.memory.id, `round ${round}: vector index lost ${id}`).toBe(id)
    expect(keyword?.memory.id, `round ${round}: keyword index lost ${id}`).toBe(id)
  }
}

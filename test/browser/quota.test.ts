/** Quota exhaustion through the whole stack: page → worker → memory → IndexedDB in a small Storage Bucket. */
import { describe, expect, it } from 'vitest'
import { createMemory } from '../../src/browser/client.js'
import { isMemoryError } from '../../src/core/errors.js'
import type { ExportedRecord } from '../../src/core/types.js'

async function exportAll(mem: { export(o?: { includeEmbeddings?: boolean }): AsyncIterable<ExportedRecord> }) {
  const out: ExportedRecord[] = []
  for await (const r of mem.export({ includeEmbeddings: true })) out.push(r)
  return out.sort((a, b) => a.id.localeCompare(b.id))
}

describe('quota exhaustion', () => {
  it('a write over quota fails with QUOTA_EXCEEDED and leaves the memory exactly as it was', async () => {
    const bucket = { name: `engram-quota-${Date.now()}`, quota: 2_000_000 }
    const options = { worker: true, database: 'quota', bucket, embedder: { kind: 'test' as const }, lazy: false }
    const mem = await createMemory(options)
    const before = await Promise.all(Array.from({ length: 5 }, (_, i) => mem.store(`Small memory ${i} that fits easily`)))
    await mem.flush()
    const snapshot = await exportAll(mem)
    const statsBefore = await mem.stats()
    expect(statsBefore.storage?.quota).toBe(2_000_000)

    // ~4 MB of text that does not compress away: well over the bucket's quota.
    const noise = (seed: number) =>
      Array.from({ length: 12_000 }, (_, i) => ((i * 7919 + seed * 104_729) % 1_000_003).toString(36)).join(' ')
    const error = await mem
      .storeBatch(Array.from({ length: 60 }, (_, i) => ({ content: `Huge memory ${i}: ${noise(i)}` })))
      .catch((e: unknown) => e)
    expect(isMemoryError(error, 'QUOTA_EXCEEDED'), String(error)).toBe(true)

    // Nothing changed: not in RAM (this worker) ...
    expect(await mem.count()).toBe(5)
    expect((await mem.stats()).logSeq).toBe(statsBefore.logSeq)
    expect(await exportAll(mem)).toEqual(snapshot)
    expect((await mem.recall('huge', { mode: 'keyword' })).map((h) => h.memory.content)).toEqual([])
    // ... and the memory still works for writes that fit.
    const small = await mem.store('One more small memory after the failure')
    await mem.close()

    // ... and not on disk: a new worker reads exactly the earlier state plus the small write.
    const reopened = await createMemory(options)
    const after = await exportAll(reopened)
    expect(after.map((r) => r.id).sort()).toEqual([...before, small].sort())
    expect(after.filter((r) => r.id !== small)).toEqual(snapshot)
    await reopened.close()
    await (navigator as unknown as { storageBuckets: { delete(n: string): Promise<void> } }).storageBuckets.delete(bucket.name)
  })
})

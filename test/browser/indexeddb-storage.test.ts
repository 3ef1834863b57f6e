/** IndexedDB behaviours beyond the driver contract: reopening, eviction and quota, in real Chromium. */
import { deleteDB } from 'idb'
import { afterEach, describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import { indexedDBDriver } from '../../src/store/drivers/indexeddb.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))
let dbCounter = 0
const randomBytes = (n: number) => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)))
  return out
}
const freshName = () => `engram-storage-${Date.now()}-${++dbCounter}`

describe('IndexedDB driver in Chromium', () => {
  const names: string[] = []
  afterEach(async () => {
    for (const name of names.splice(0)) await deleteDB(name)
  })

  it('keeps committed writes across a new connection, and says whether it created the database', async () => {
    const name = freshName()
    names.push(name)
    const first = indexedDBDriver({ name })
    expect(await first.status()).toEqual({ created: true })
    await first.transaction([
      { type: 'set', key: 'ns/r/1', value: bytes('record') },
      { type: 'set', key: 'ns/log/1', value: bytes('log entry') },
    ])
    await first.close()

    const second = indexedDBDriver({ name })
    expect(await second.status()).toEqual({ created: false })
    expect((await second.getMany(['ns/r/1', 'ns/log/1'])).map(text)).toEqual(['record', 'log entry'])
    await second.close()
  })

  it('drops expired keys when the database opens', async () => {
    const name = freshName()
    names.push(name)
    let clock = 0
    const first = indexedDBDriver({ name, now: () => clock })
    await first.set('a', bytes('short'), { ttlSeconds: 1 })
    await first.set('b', bytes('kept'))
    await first.close()
    clock = 5000
    const second = indexedDBDriver({ name, now: () => clock })
    expect((await second.list('')).keys).toEqual(['b'])
    await second.close()
    // Purged, not only hidden: a driver whose clock is back before the expiry does not see it either.
    clock = 0
    const third = indexedDBDriver({ name, now: () => clock })
    expect(await third.get('a')).toBeNull()
    await third.close()
  })

  it('a database deleted under it (storage cleared) gives a clear STORAGE error, not a hang', async () => {
    const name = freshName()
    const driver = indexedDBDriver({ name })
    await driver.set('k', bytes('v'))
    await deleteDB(name)
    const error = await driver.get('k').catch((e: unknown) => e)
    expect(isMemoryError(error, 'STORAGE')).toBe(true)
    expect((error as Error).message).toMatch(/no longer usable/)
    await driver.close()
  })

  it('reports usage, quota and persistence from navigator.storage', async () => {
    const name = freshName()
    names.push(name)
    const driver = indexedDBDriver({ name })
    await driver.set('k', new Uint8Array(10_000))
    const estimate = await driver.estimate()
    expect(estimate.usage).toBeGreaterThan(0)
    expect(estimate.quota).toBeGreaterThan(estimate.usage!)
    expect(typeof estimate.persisted).toBe('boolean')
    await driver.close()
  })

  it('keeps its data in a Storage Bucket of its own when asked', async () => {
    const bucket = { name: `engram-b${Date.now()}`, persisted: false }
    const driver = indexedDBDriver({ name: 'in-bucket', bucket })
    await driver.set('k', bytes('in the bucket'))
    await driver.close()
    // Not in the origin's default bucket...
    const plain = indexedDBDriver({ name: 'in-bucket' })
    names.push('in-bucket')
    expect(await plain.get('k')).toBeNull()
    await plain.close()
    // ...but there for the next driver on the same bucket.
    const again = indexedDBDriver({ name: 'in-bucket', bucket })
    expect(text(await again.get('k'))).toBe('in the bucket')
    expect(typeof (await again.estimate()).persisted).toBe('boolean')
    await again.close()
    await (navigator as unknown as { storageBuckets: { delete(n: string): Promise<void> } }).storageBuckets.delete(bucket.name)
  })

  it('a transaction over quota fails with QUOTA_EXCEEDED and leaves the store exactly as it was', async () => {
    // A real quota, enforced by Chromium: a Storage Bucket of 1 MB.
    const bucket = { name: `engram-q${Date.now()}`, quota: 1_000_000 }
    const driver = indexedDBDriver({ name: 'quota', bucket })
    await driver.transaction([
      { type: 'set', key: 'ns/r/a', value: bytes('A') },
      { type: 'set', key: 'ns/log/1', value: bytes('L1') },
    ])
    expect((await driver.estimate()).quota).toBe(1_000_000)

    const error = await driver
      .transaction([
        { type: 'set', key: 'ns/r/a', value: bytes('A changed') },
        { type: 'delete', key: 'ns/log/1' },
        { type: 'set', key: 'ns/r/b', value: randomBytes(1_500_000) },
        { type: 'set', key: 'ns/log/2', value: bytes('L2') },
      ])
      .catch((e: unknown) => e)
    expect(isMemoryError(error, 'QUOTA_EXCEEDED'), String(error)).toBe(true)
    expect((error as { cause?: { name?: string } }).cause?.name).toBe('QuotaExceededError')

    expect((await driver.list('ns/')).keys).toEqual(['ns/log/1', 'ns/r/a'])
    expect((await driver.getMany(['ns/r/a', 'ns/log/1'])).map(text)).toEqual(['A', 'L1'])
    // Small writes still fit afterwards: the failure poisoned nothing.
    await driver.set('ns/r/c', bytes('C'))
    expect(text(await driver.get('ns/r/c'))).toBe('C')
    await driver.close()
    await (navigator as unknown as { storageBuckets: { delete(n: string): Promise<void> } }).storageBuckets.delete(bucket.name)
  })
})

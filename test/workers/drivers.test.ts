// The shared StoreDriver suite against the three Cloudflare drivers, on workerd's local KV, R2 and
// Durable Object storage (the same simulators `wrangler dev` runs).
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { cloudflareKVDriver } from '../../src/store/drivers/cloudflare-kv.js'
import { cloudflareR2Driver, gunzip, gzip } from '../../src/store/drivers/cloudflare-r2.js'
import { type DurableObjectStorageLike, durableObjectDriver } from '../../src/store/drivers/durable-object.js'
import { edgeTieredDriver } from '../../src/store/drivers/edge-tiered.js'
import { driverSuite } from '../shared/driver-suite.js'
import { inDurableObject as inDurableObjectWith } from './helpers.js'

let t = Date.now()
const now = () => t
const advance = (ms: number) => {
  t += ms
}

driverSuite('cloudflare-kv', () => cloudflareKVDriver({ binding: env.KV, now }), { ttl: { advance } })
driverSuite('cloudflare-r2', () => cloudflareR2Driver({ binding: env.BLOBS, now }), { ttl: { advance } })

/** Each test gets its own object; `chunkBytes` is small so the 1 MiB round trip goes through chunking. */
const inDurableObject = (
  name: string,
  make = (storage: DurableObjectStorageLike) => durableObjectDriver({ storage, now, chunkBytes: 64 * 1024 }),
) => inDurableObjectWith(name, make)

let objects = 0
driverSuite('durable-object', () => inDurableObject(`driver-suite-${++objects}`), { ttl: { advance } })

/** The edge's store: DO storage with values above 1 KiB in R2 (so the suite's large values go there). */
const tiered = (storage: DurableObjectStorageLike) =>
  edgeTieredDriver({
    primary: durableObjectDriver({ storage, now }),
    blobs: cloudflareR2Driver({ binding: env.BLOBS, now }),
    blobAbove: 1024,
  })
driverSuite('edge-tiered', () => inDurableObject(`tiered-suite-${++objects}`, tiered), { ttl: { advance } })

describe('cloudflare drivers, beyond the contract', () => {
  it('R2 stores compressible values gzipped and reads them back whole', async () => {
    const driver = cloudflareR2Driver({ binding: env.BLOBS })
    const value = new TextEncoder().encode('the same sentence again. '.repeat(2000))
    await driver.set('gz/a', value)
    const raw = await env.BLOBS.get('gz/a')
    expect(raw?.customMetadata?.enc).toBe('gzip')
    const stored = new Uint8Array(await raw!.arrayBuffer())
    expect(stored.byteLength).toBeLessThan(value.byteLength / 10)
    expect(await gunzip(stored)).toEqual(value)
    expect(await driver.get('gz/a')).toEqual(value)
    expect(await gunzip(await gzip(new Uint8Array(0)))).toEqual(new Uint8Array(0))
  })

  it('KV gives a short TTL the 60 s native minimum and still hides the key when its own TTL passes', async () => {
    let clock = 1_000_000
    const driver = cloudflareKVDriver({ binding: env.KV, now: () => clock })
    await driver.set('ttl/a', new Uint8Array([1]), { ttlSeconds: 2 })
    expect(await driver.get('ttl/a')).toEqual(new Uint8Array([1]))
    clock += 2500
    expect(await driver.get('ttl/a')).toBeNull()
  })

  it('a Durable Object value that shrinks below the chunk size leaves no chunk behind', async () => {
    const stub = env.MEMORY.get(env.MEMORY.idFromName('chunks'))
    const leftovers = await runInDurableObject(stub, async (_i, state) => {
      const driver = durableObjectDriver({ storage: state.storage, chunkBytes: 1024 })
      await driver.set('big', new Uint8Array(5000).fill(7))
      const chunked = [...(await state.storage.list({ prefix: 'c:big#' })).keys()]
      await driver.set('big', new Uint8Array(10).fill(8))
      const after = [...(await state.storage.list({ prefix: 'c:' })).keys()]
      return { chunked, after, value: await driver.get('big') }
    })
    expect(leftovers.chunked).toHaveLength(5)
    expect(leftovers.after).toEqual([])
    expect(leftovers.value).toEqual(new Uint8Array(10).fill(8))
  })

  it('the tiered store keeps a large value in R2 behind a pointer and drops the old blob when it is replaced', async () => {
    const stub = env.MEMORY.get(env.MEMORY.idFromName('tiered-blobs'))
    const result = await runInDurableObject(stub, async (_i, state) => {
      const blobs = cloudflareR2Driver({ binding: env.BLOBS })
      const driver = edgeTieredDriver({
        primary: durableObjectDriver({ storage: state.storage }),
        blobs,
        blobAbove: 100,
        blobPrefix: 'tiered-test/',
      })
      const big = new Uint8Array(5000).map((_, i) => i % 251)
      await driver.transaction!([
        { type: 'set', key: 'ns/snap/index', value: big },
        { type: 'set', key: 'ns/rec/a', value: new Uint8Array([1, 2, 3]) },
      ])
      const first = (await blobs.list('tiered-test/')).keys
      const pointer = await durableObjectDriver({ storage: state.storage }).get('ns/snap/index')
      const read = await driver.get('ns/snap/index')
      await driver.set('ns/snap/index', new Uint8Array(300).fill(9))
      const second = (await blobs.list('tiered-test/')).keys
      await driver.delete('ns/snap/index')
      return {
        first,
        pointerBytes: pointer?.byteLength ?? 0,
        read,
        second,
        third: (await blobs.list('tiered-test/')).keys,
        small: await driver.get('ns/rec/a'),
      }
    })
    expect(result.first).toHaveLength(1)
    expect(result.pointerBytes).toBeLessThan(100)
    expect(result.read).toEqual(new Uint8Array(5000).map((_, i) => i % 251))
    expect(result.second).toHaveLength(1)
    expect(result.second[0]).not.toBe(result.first[0])
    expect(result.third).toEqual([])
    expect(result.small).toEqual(new Uint8Array([1, 2, 3]))
  })
})

/**
 * The IndexedDB driver's bulk paths, in real Chromium: getMany answers a dense page of keys with one range
 * read and a sparse set key by key (both must give the same answers, expiry included), and a write clears
 * an old TTL only for the keys that had one, in op order.
 */
import { deleteDB } from 'idb'
import { afterEach, describe, expect, it } from 'vitest'
import { type IndexedDBDriver, indexedDBDriver } from '../../src/store/drivers/indexeddb.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))
const pad = (i: number) => String(i).padStart(5, '0')
let counter = 0

describe('IndexedDB driver bulk reads and writes', () => {
  const drivers: [string, IndexedDBDriver][] = []
  let clock = 1_000_000
  const open = () => {
    const name = `engram-bulk-${Date.now()}-${++counter}`
    const driver = indexedDBDriver({ name, now: () => clock })
    drivers.push([name, driver])
    return driver
  }
  afterEach(async () => {
    for (const [name, driver] of drivers.splice(0)) {
      await driver.close()
      await deleteDB(name)
    }
  })

  it('getMany of a dense page: order asked, duplicates, missing and expired keys', async () => {
    const driver = open()
    await driver.setMany(Array.from({ length: 300 }, (_, i) => ({ key: `ns/r/${pad(i)}`, value: bytes(`r${i}`) })))
    await driver.set('ns/r/00007', bytes('short'), { ttlSeconds: 1 })
    await driver.delete('ns/r/00009')
    clock += 2000
    const asked = [
      'ns/r/00012',
      'ns/r/00003',
      'ns/r/00009',
      'ns/r/00007',
      'ns/r/00012',
      ...Array.from({ length: 40 }, (_, i) => `ns/r/${pad(i + 20)}`),
    ]
    const got = (await driver.getMany(asked)).map(text)
    expect(got.slice(0, 5)).toEqual(['r12', 'r3', null, null, 'r12'])
    expect(got.slice(5)).toEqual(Array.from({ length: 40 }, (_, i) => `r${i + 20}`))
  })

  it('getMany of keys spread over a large range gives the same answers', async () => {
    const driver = open()
    await driver.setMany(Array.from({ length: 2000 }, (_, i) => ({ key: `ns/v/${pad(i)}`, value: bytes(`v${i}`) })))
    await driver.set('ns/v/01500', bytes('short'), { ttlSeconds: 1 })
    clock += 2000
    const asked = Array.from({ length: 20 }, (_, i) => `ns/v/${pad(i * 100)}`).concat('ns/v/99999')
    const expected = asked.map((k) => (k === 'ns/v/01500' || k === 'ns/v/99999' ? null : `v${Number(k.slice(5))}`))
    expect((await driver.getMany(asked)).map(text)).toEqual(expected)
  })

  it('a transaction leaves each key with the TTL of its last op', async () => {
    const driver = open()
    await driver.setMany([
      { key: 'ns/a', value: bytes('a'), ttlSeconds: 1 },
      { key: 'ns/b', value: bytes('b'), ttlSeconds: 1 },
      { key: 'ns/c', value: bytes('c') },
    ])
    await driver.transaction([
      { type: 'set', key: 'ns/a', value: bytes('a2') },
      { type: 'set', key: 'ns/c', value: bytes('c2'), ttlSeconds: 1 },
      { type: 'set', key: 'ns/d', value: bytes('d'), ttlSeconds: 1 },
      { type: 'set', key: 'ns/d', value: bytes('d2') },
      { type: 'delete', key: 'ns/b' },
      { type: 'set', key: 'ns/b', value: bytes('b2') },
    ])
    clock += 2000
    expect((await driver.getMany(['ns/a', 'ns/b', 'ns/c', 'ns/d'])).map(text)).toEqual(['a2', 'b2', null, 'd2'])
    expect((await driver.list('ns/')).keys).toEqual(['ns/a', 'ns/b', 'ns/d'])
  })

  it('list pages past many expired keys', async () => {
    const driver = open()
    await driver.setMany(
      Array.from({ length: 50 }, (_, i) => ({ key: `ns/k/${pad(i)}`, value: bytes('x'), ...(i < 45 ? { ttlSeconds: 1 } : {}) })),
    )
    clock += 2000
    const first = await driver.list('ns/k/', { limit: 3 })
    expect(first.keys).toEqual(['ns/k/00045', 'ns/k/00046', 'ns/k/00047'])
    const second = await driver.list('ns/k/', { limit: 3, cursor: first.cursor! })
    expect(second).toEqual({ keys: ['ns/k/00048', 'ns/k/00049'] })
  })
})

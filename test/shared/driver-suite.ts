/**
 * The StoreDriver contract as one set of behaviours, run against every driver (memory, fs, IndexedDB,
 * Cloudflare KV/R2/Durable Object). Imports only vitest and src/ so it runs in any vitest pool.
 *
 * Every test writes under its own random key prefix, so drivers whose storage is shared between
 * tests (a KV namespace, one IndexedDB database) still see only their own keys.
 *
 * @example
 * driverSuite('memory', () => memoryDriver({ now: () => t }), { ttl: { advance: (ms) => { t += ms } } })
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import type { DriverOp, StoreDriver } from '../../src/store/driver.js'

export interface DriverSuiteOptions {
  /**
   * Test `transaction()` all-or-nothing. Defaults to whether the driver has a `transaction` method;
   * set `false` to skip on a driver that has one but is tested elsewhere.
   */
  transactions?: boolean
  /**
   * How to test expiry: `false` skips it; `{ advance }` moves the clock the driver was built with;
   * `'sleep'` sets a real 1 s TTL and waits 1.2 s (one test only).
   * @default false
   */
  ttl?: false | 'sleep' | { advance(ms: number): void | Promise<void> }
  /** Size of the large-value round trip. @default 1 MiB */
  largeValueBytes?: number
  /** Test that `estimate()`, when present, reports a finite usage. @default true */
  estimate?: boolean
}

const enc = new TextEncoder()
const bytes = (s: string): Uint8Array => enc.encode(s)
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Keys that must be rejected by every verb that takes a key. */
const INVALID_KEYS: unknown[] = ['', 'has space', 'tab\there', 'new\nline', 'é', 'nul\u0000', 'x'.repeat(513), 42, null, undefined]

async function expectValidation(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'expected a VALIDATION MemoryError').toBeDefined()
  expect(isMemoryError(error, 'VALIDATION'), `expected VALIDATION, got ${String(error)}`).toBe(true)
}

/** Byte equality without printing a megabyte on failure. */
function expectBytes(actual: Uint8Array | null | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array)
  const a = actual as Uint8Array
  expect(a.byteLength).toBe(expected.byteLength)
  let firstDiff = -1
  for (let i = 0; i < a.byteLength; i++) {
    if (a[i] !== expected[i]) {
      firstDiff = i
      break
    }
  }
  expect(firstDiff, 'index of the first differing byte').toBe(-1)
}

/** Every key under `prefix`, following cursors; fails if paging loops. */
async function listAll(driver: StoreDriver, prefix: string, limit?: number): Promise<string[]> {
  const out: string[] = []
  let cursor: string | undefined
  for (let page = 0; page < 10_000; page++) {
    const options: { cursor?: string; limit?: number } = {}
    if (cursor !== undefined) options.cursor = cursor
    if (limit !== undefined) options.limit = limit
    const result = await driver.list(prefix, options)
    if (limit !== undefined) expect(result.keys.length).toBeLessThanOrEqual(limit)
    out.push(...result.keys)
    if (result.cursor === undefined) return out
    cursor = result.cursor
  }
  throw new Error('list() never ended: the cursor keeps coming back')
}

let suiteCounter = 0

export function driverSuite(name: string, makeDriver: () => Promise<StoreDriver> | StoreDriver, options: DriverSuiteOptions = {}): void {
  const largeValueBytes = options.largeValueBytes ?? 1024 * 1024

  describe(`StoreDriver contract: ${name}`, () => {
    let driver: StoreDriver
    /** A fresh prefix per test: every key a test writes starts with it. */
    let ns: string

    beforeEach(async () => {
      driver = await makeDriver()
      ns = `t${++suiteCounter}-${Math.random().toString(36).slice(2, 8)}/`
    })
    afterEach(async () => {
      await driver.close?.()
    })

    it('has a name', () => {
      expect(typeof driver.name).toBe('string')
      expect(driver.name.length).toBeGreaterThan(0)
    })

    describe('get and set', () => {
      it('round-trips all 256 byte values', async () => {
        const value = new Uint8Array(512)
        for (let i = 0; i < value.length; i++) value[i] = (i * 7 + 3) % 256
        for (let i = 0; i < 256; i++) value[i] = i
        await driver.set(`${ns}all-bytes`, value)
        expectBytes(await driver.get(`${ns}all-bytes`), value)
      })

      it('round-trips an empty value as an empty array, not null', async () => {
        await driver.set(`${ns}empty`, new Uint8Array(0))
        const got = await driver.get(`${ns}empty`)
        expect(got).not.toBeNull()
        expectBytes(got, new Uint8Array(0))
      })

      it(`round-trips a large value (${largeValueBytes} bytes)`, async () => {
        const value = new Uint8Array(largeValueBytes)
        let x = 0x12345678
        for (let i = 0; i < value.length; i++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0
          value[i] = x >>> 24
        }
        await driver.set(`${ns}large`, value)
        expectBytes(await driver.get(`${ns}large`), value)
      })

      it('round-trips a value that is a view into a larger buffer', async () => {
        const backing = bytes('0123456789')
        await driver.set(`${ns}view`, backing.subarray(3, 6))
        expect(text(await driver.get(`${ns}view`))).toBe('345')
      })

      it('returns null for a missing key', async () => {
        expect(await driver.get(`${ns}missing`)).toBeNull()
      })

      it('overwrites an existing key', async () => {
        await driver.set(`${ns}k`, bytes('first'))
        await driver.set(`${ns}k`, bytes('second, longer than the first'))
        expect(text(await driver.get(`${ns}k`))).toBe('second, longer than the first')
        await driver.set(`${ns}k`, bytes('3'))
        expect(text(await driver.get(`${ns}k`))).toBe('3')
      })

      it('stores keys with special characters and keeps them apart', async () => {
        const keys = ['a/b', 'a:b', 'a%b', 'a~b', 'a%2Fb', 'a_b', 'a.b', '..', '.', 'A', 'a', '!#$&()*+,;=?@[]^`{|}"\'\\<>-']
        for (const k of keys) await driver.set(`${ns}${k}`, bytes(`value of ${k}`))
        for (const k of keys) expect(text(await driver.get(`${ns}${k}`))).toBe(`value of ${k}`)
        expect(await listAll(driver, ns)).toEqual(keys.map((k) => `${ns}${k}`).sort())
      })

      it('accepts a key of 512 characters', async () => {
        const key = ns + 'k'.repeat(512 - ns.length)
        await driver.set(key, bytes('long key'))
        expect(text(await driver.get(key))).toBe('long key')
        expect(await listAll(driver, ns)).toEqual([key])
      })

      it('handles many concurrent writes to different keys', async () => {
        const keys = Array.from({ length: 24 }, (_, i) => `${ns}c${String(i).padStart(2, '0')}`)
        await Promise.all(keys.map((k) => driver.set(k, bytes(k))))
        expect((await driver.getMany(keys)).map(text)).toEqual(keys)
      })
    })

    describe('values are copied', () => {
      it('mutating the input after set does not change the stored value', async () => {
        const input = bytes('original')
        await driver.set(`${ns}k`, input)
        input.fill(0x21)
        expect(text(await driver.get(`${ns}k`))).toBe('original')

        const many = bytes('many')
        await driver.setMany([{ key: `${ns}m`, value: many }])
        many.fill(0x21)
        expect(text(await driver.get(`${ns}m`))).toBe('many')
      })

      it('mutating a returned value does not change the stored value', async () => {
        await driver.set(`${ns}k`, bytes('original'))
        const got = await driver.get(`${ns}k`)
        got!.fill(0x21)
        expect(text(await driver.get(`${ns}k`))).toBe('original')
        const [fromMany] = await driver.getMany([`${ns}k`])
        fromMany!.fill(0x21)
        expect(text(await driver.get(`${ns}k`))).toBe('original')
      })
    })

    describe('getMany and setMany', () => {
      it('getMany returns values in the order asked, null for missing keys', async () => {
        await driver.set(`${ns}a`, bytes('A'))
        await driver.set(`${ns}c`, bytes('C'))
        const got = await driver.getMany([`${ns}c`, `${ns}missing`, `${ns}a`, `${ns}c`, `${ns}b`])
        expect(got.map(text)).toEqual(['C', null, 'A', 'C', null])
      })

      it('getMany of no keys is an empty array', async () => {
        expect(await driver.getMany([])).toEqual([])
      })

      it('setMany writes every entry', async () => {
        await driver.set(`${ns}b`, bytes('old'))
        const entries = ['a', 'b', 'c', 'd/e'].map((k) => ({ key: `${ns}${k}`, value: bytes(k.toUpperCase()) }))
        await driver.setMany(entries)
        expect((await driver.getMany(entries.map((e) => e.key))).map(text)).toEqual(['A', 'B', 'C', 'D/E'])
      })

      it('setMany of no entries is fine', async () => {
        await driver.setMany([])
        expect(await listAll(driver, ns)).toEqual([])
      })
    })

    describe('delete', () => {
      it('removes the key from get and list', async () => {
        await driver.set(`${ns}a`, bytes('A'))
        await driver.set(`${ns}b`, bytes('B'))
        await driver.delete(`${ns}a`)
        expect(await driver.get(`${ns}a`)).toBeNull()
        expect(text(await driver.get(`${ns}b`))).toBe('B')
        expect(await listAll(driver, ns)).toEqual([`${ns}b`])
      })

      it('deleting a missing key is fine', async () => {
        await driver.delete(`${ns}never-written`)
        await driver.set(`${ns}a`, bytes('A'))
        await driver.delete(`${ns}a`)
        await driver.delete(`${ns}a`)
        expect(await driver.get(`${ns}a`)).toBeNull()
      })

      it('a deleted key can be written again', async () => {
        await driver.set(`${ns}a`, bytes('one'))
        await driver.delete(`${ns}a`)
        await driver.set(`${ns}a`, bytes('two'))
        expect(text(await driver.get(`${ns}a`))).toBe('two')
      })
    })

    describe('list', () => {
      // Neighbours of '/' in ASCII ('.' = 0x2e, '0' = 0x30) and prefix look-alikes must not leak in.
      const tree = ['a', 'a.', 'a/', 'a/b', 'a/b/c', 'a/c', 'a0', 'ab', 'b/a', '%', '~', 'A/a', 'a/%', 'a/~', 'a/:']

      it('returns the keys under a prefix in lexicographic order', async () => {
        for (const k of [...tree].reverse()) await driver.set(`${ns}${k}`, bytes(k))
        expect(await listAll(driver, `${ns}a/`)).toEqual([
          `${ns}a/`,
          `${ns}a/%`,
          `${ns}a/:`,
          `${ns}a/b`,
          `${ns}a/b/c`,
          `${ns}a/c`,
          `${ns}a/~`,
        ])
        expect(await listAll(driver, `${ns}a`)).toEqual(
          tree
            .filter((k) => k.startsWith('a'))
            .map((k) => `${ns}${k}`)
            .sort(),
        )
        expect(await listAll(driver, ns)).toEqual(tree.map((k) => `${ns}${k}`).sort())
        expect(await listAll(driver, `${ns}a/b`)).toEqual([`${ns}a/b`, `${ns}a/b/c`])
      })

      it('a prefix that matches nothing lists nothing', async () => {
        await driver.set(`${ns}a`, bytes('A'))
        expect(await driver.list(`${ns}z`)).toEqual({ keys: [] })
        expect(await listAll(driver, `${ns}a/`)).toEqual([])
      })

      it('a prefix with a partial segment matches across segments', async () => {
        await driver.set(`${ns}user:1/x`, bytes('1'))
        await driver.set(`${ns}user:10/x`, bytes('10'))
        await driver.set(`${ns}user:2/x`, bytes('2'))
        expect(await listAll(driver, `${ns}user:1`)).toEqual([`${ns}user:1/x`, `${ns}user:10/x`])
      })

      it('pages with limit and cursor: every key exactly once, in order', async () => {
        const keys = Array.from({ length: 23 }, (_, i) => `${ns}p/${String(i).padStart(3, '0')}`)
        await driver.setMany(keys.map((key) => ({ key, value: bytes(key) })))
        await driver.set(`${ns}q`, bytes('outside the prefix'))
        for (const limit of [1, 5, 23, 100]) {
          expect(await listAll(driver, `${ns}p/`, limit)).toEqual(keys)
        }
        const first = await driver.list(`${ns}p/`, { limit: 5 })
        expect(first.keys.length).toBeGreaterThan(0)
        expect(first.cursor).toBeDefined()
        const last = await driver.list(`${ns}p/`, { limit: 100 })
        expect(last.keys).toEqual(keys)
        expect(last.cursor).toBeUndefined()
      })

      it('a cursor continues exactly where the previous page ended', async () => {
        const keys = Array.from({ length: 10 }, (_, i) => `${ns}${i}`)
        await driver.setMany(keys.map((key) => ({ key, value: bytes(key) })))
        const first = await driver.list(ns, { limit: 4 })
        const seen = [...first.keys]
        let cursor = first.cursor
        while (cursor !== undefined) {
          const page = await driver.list(ns, { limit: 4, cursor })
          seen.push(...page.keys)
          cursor = page.cursor
        }
        expect(seen).toEqual(keys)
        expect(new Set(seen).size).toBe(seen.length)
      })

      it('does not list deleted keys', async () => {
        await driver.setMany(['a', 'b', 'c'].map((k) => ({ key: `${ns}${k}`, value: bytes(k) })))
        await driver.delete(`${ns}b`)
        expect(await listAll(driver, ns, 1)).toEqual([`${ns}a`, `${ns}c`])
      })
    })

    describe('invalid input is rejected and changes nothing', () => {
      it('set, get and delete reject invalid keys with VALIDATION', async () => {
        for (const key of INVALID_KEYS) {
          await expectValidation(driver.set(key as string, bytes('x')))
          await expectValidation(driver.get(key as string))
          await expectValidation(driver.delete(key as string))
          await expectValidation(driver.getMany([`${ns}ok`, key as string]))
        }
        const everything = await listAll(driver, '')
        for (const key of INVALID_KEYS) expect(everything).not.toContain(key)
      })

      it('set rejects a value that is not a Uint8Array', async () => {
        for (const value of ['text', [1, 2, 3], null, undefined, new ArrayBuffer(4), { length: 1 }]) {
          await expectValidation(driver.set(`${ns}k`, value as unknown as Uint8Array))
        }
        expect(await driver.get(`${ns}k`)).toBeNull()
      })

      it('set rejects a bad ttlSeconds', async () => {
        for (const ttlSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '10']) {
          await expectValidation(driver.set(`${ns}k`, bytes('x'), { ttlSeconds: ttlSeconds as number }))
        }
        expect(await driver.get(`${ns}k`)).toBeNull()
      })

      it('list rejects a bad prefix or limit', async () => {
        for (const prefix of [undefined, null, 7]) await expectValidation(driver.list(prefix as unknown as string))
        for (const limit of [0, -1, 1.5, Number.NaN, '3']) await expectValidation(driver.list(ns, { limit: limit as number }))
      })

      it('setMany with one invalid entry writes nothing', async () => {
        await driver.set(`${ns}a`, bytes('before'))
        for (const bad of INVALID_KEYS) {
          await expectValidation(
            driver.setMany([
              { key: `${ns}a`, value: bytes('after') },
              { key: `${ns}b`, value: bytes('B') },
              { key: bad as string, value: bytes('bad') },
            ]),
          )
        }
        await expectValidation(
          driver.setMany([
            { key: `${ns}a`, value: bytes('after') },
            { key: `${ns}c`, value: 'not bytes' as unknown as Uint8Array },
          ]),
        )
        expect(text(await driver.get(`${ns}a`))).toBe('before')
        expect(await listAll(driver, ns)).toEqual([`${ns}a`])
      })
    })

    describe.runIf(options.estimate !== false)('estimate', () => {
      it('reports a finite, non-negative usage when present', async () => {
        if (!driver.estimate) return
        await driver.set(`${ns}k`, new Uint8Array(4096))
        const estimate = await driver.estimate()
        if (estimate.usage !== undefined) {
          expect(Number.isFinite(estimate.usage)).toBe(true)
          expect(estimate.usage).toBeGreaterThanOrEqual(0)
        }
      })
    })

    describe('transaction', () => {
      const supported = async () => options.transactions ?? typeof driver.transaction === 'function'

      it('applies sets and deletes in order', async () => {
        if (!(await supported())) return
        await driver.set(`${ns}gone`, bytes('to delete'))
        await driver.set(`${ns}reborn`, bytes('old'))
        const ops: DriverOp[] = [
          { type: 'set', key: `${ns}a`, value: bytes('A') },
          { type: 'delete', key: `${ns}gone` },
          { type: 'set', key: `${ns}b`, value: bytes('B1') },
          { type: 'set', key: `${ns}b`, value: bytes('B2') },
          { type: 'set', key: `${ns}temp`, value: bytes('T') },
          { type: 'delete', key: `${ns}temp` },
          { type: 'delete', key: `${ns}reborn` },
          { type: 'set', key: `${ns}reborn`, value: bytes('new') },
          { type: 'delete', key: `${ns}never-existed` },
        ]
        await driver.transaction!(ops)
        expect(await listAll(driver, ns)).toEqual([`${ns}a`, `${ns}b`, `${ns}reborn`])
        expect((await driver.getMany([`${ns}a`, `${ns}b`, `${ns}reborn`])).map(text)).toEqual(['A', 'B2', 'new'])
      })

      it('an empty transaction is fine', async () => {
        if (!(await supported())) return
        await driver.transaction!([])
        expect(await listAll(driver, ns)).toEqual([])
      })

      it('copies values: mutating them after the transaction changes nothing', async () => {
        if (!(await supported())) return
        const value = bytes('kept')
        await driver.transaction!([{ type: 'set', key: `${ns}a`, value }])
        value.fill(0x21)
        expect(text(await driver.get(`${ns}a`))).toBe('kept')
      })

      it('round-trips binary and empty values', async () => {
        if (!(await supported())) return
        const all = new Uint8Array(256).map((_, i) => i)
        await driver.transaction!([
          { type: 'set', key: `${ns}bin`, value: all },
          { type: 'set', key: `${ns}empty`, value: new Uint8Array(0) },
        ])
        expectBytes(await driver.get(`${ns}bin`), all)
        expectBytes(await driver.get(`${ns}empty`), new Uint8Array(0))
      })

      it('is all-or-nothing: one invalid op and nothing applies', async () => {
        if (!(await supported())) return
        await driver.set(`${ns}a`, bytes('before'))
        await driver.set(`${ns}d`, bytes('keep me'))
        const badOps: DriverOp[] = [
          { type: 'delete', key: 'bad key' },
          { type: 'set', key: '', value: bytes('x') },
          { type: 'set', key: `${ns}x`, value: 'not bytes' as unknown as Uint8Array },
          { type: 'set', key: `${ns}x`, value: bytes('x'), ttlSeconds: -5 },
          { type: 'rename', key: `${ns}x` } as unknown as DriverOp,
          null as unknown as DriverOp,
        ]
        for (const bad of badOps) {
          await expectValidation(
            driver.transaction!([
              { type: 'set', key: `${ns}a`, value: bytes('after') },
              { type: 'delete', key: `${ns}d` },
              { type: 'set', key: `${ns}new`, value: bytes('new') },
              bad,
              { type: 'set', key: `${ns}z`, value: bytes('z') },
            ]),
          )
        }
        expect(await listAll(driver, ns)).toEqual([`${ns}a`, `${ns}d`])
        expect((await driver.getMany([`${ns}a`, `${ns}d`])).map(text)).toEqual(['before', 'keep me'])
      })

      it('concurrent transactions each apply whole', async () => {
        if (!(await supported())) return
        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            driver.transaction!([
              { type: 'set', key: `${ns}t${i}/a`, value: bytes(`${i}a`) },
              { type: 'set', key: `${ns}t${i}/b`, value: bytes(`${i}b`) },
            ]),
          ),
        )
        const keys = await listAll(driver, ns)
        expect(keys).toHaveLength(16)
        for (const k of keys) expect(text(await driver.get(k))).toBe(k.slice(ns.length + 1).replace('/', ''))
      })
    })

    const ttl = options.ttl ?? false
    describe.runIf(ttl !== false)('ttl', () => {
      const pass = async (ms: number) => {
        if (ttl === 'sleep') await sleep(ms)
        else if (ttl !== false) await ttl.advance(ms)
      }

      it('an expired key is gone from get, getMany and list', async () => {
        await driver.set(`${ns}short`, bytes('short'), { ttlSeconds: 1 })
        await driver.set(`${ns}kept`, bytes('kept'))
        expect(text(await driver.get(`${ns}short`))).toBe('short')
        expect(await listAll(driver, ns)).toEqual([`${ns}kept`, `${ns}short`])
        await pass(1200)
        expect(await driver.get(`${ns}short`)).toBeNull()
        expect((await driver.getMany([`${ns}short`, `${ns}kept`])).map(text)).toEqual([null, 'kept'])
        expect(await listAll(driver, ns)).toEqual([`${ns}kept`])
      })

      it.runIf(ttl !== 'sleep')('a key lives until its TTL, and setMany and transaction honour ttlSeconds', async () => {
        await driver.set(`${ns}a`, bytes('a'), { ttlSeconds: 10 })
        await driver.setMany([
          { key: `${ns}b`, value: bytes('b'), ttlSeconds: 10 },
          { key: `${ns}c`, value: bytes('c') },
        ])
        if (driver.transaction) await driver.transaction([{ type: 'set', key: `${ns}d`, value: bytes('d'), ttlSeconds: 10 }])
        await pass(9000)
        expect(await driver.get(`${ns}a`)).not.toBeNull()
        expect(await driver.get(`${ns}b`)).not.toBeNull()
        await pass(2000)
        expect(await listAll(driver, ns)).toEqual([`${ns}c`])
      })

      it.runIf(ttl !== 'sleep')('overwriting without a TTL makes the key permanent; an expired key can be written again', async () => {
        await driver.set(`${ns}a`, bytes('temp'), { ttlSeconds: 1 })
        await driver.set(`${ns}a`, bytes('permanent'))
        await driver.set(`${ns}b`, bytes('temp'), { ttlSeconds: 1 })
        await pass(5000)
        expect(text(await driver.get(`${ns}a`))).toBe('permanent')
        expect(await driver.get(`${ns}b`)).toBeNull()
        await driver.set(`${ns}b`, bytes('again'))
        expect(text(await driver.get(`${ns}b`))).toBe('again')
      })
    })
  })
}

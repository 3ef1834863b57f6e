/** In-memory driver: the default store, and the fastest for tests. Nothing survives the process. */
import type { DriverOp, ListResult, StoreDriver } from '../driver.js'
import { checkEntries, checkKey, checkList, checkOps, checkTtl, checkValue, lowerBound, upperBound } from '../keys.js'

export interface MemoryDriverOptions {
  /** Clock for TTLs, for tests. @default Date.now */
  now?: () => number
}

export function memoryDriver({ now = Date.now }: MemoryDriverOptions = {}): StoreDriver {
  const data = new Map<string, { value: Uint8Array; expiresAt?: number }>()
  // Every key in order, kept between writes that add or drop keys: listing a prefix page by page is then a
  // binary search and a slice, not a sort of the whole store per page (opening 10k memories lists hundreds).
  let sorted: string[] | undefined
  const keysInOrder = () => (sorted ??= [...data.keys()].sort())

  /** The live entry of a key; an expired one is dropped on sight. */
  const entryOf = (key: string) => {
    const entry = data.get(key)
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      drop(key)
      return undefined
    }
    return entry
  }
  const read = (key: string): Uint8Array | null => entryOf(key)?.value.slice() ?? null
  const drop = (key: string): void => {
    if (data.delete(key)) sorted = undefined
  }
  const write = (key: string, value: Uint8Array, ttlSeconds?: number): void => {
    if (!data.has(key)) sorted = undefined
    data.set(key, ttlSeconds === undefined ? { value: value.slice() } : { value: value.slice(), expiresAt: now() + ttlSeconds * 1000 })
  }

  return {
    name: 'memory',
    async get(key) {
      checkKey(key)
      return read(key)
    },
    async getMany(keys) {
      for (const key of keys) checkKey(key)
      return keys.map(read)
    },
    async set(key, value, options = {}) {
      checkKey(key)
      checkValue(value, key)
      checkTtl(options.ttlSeconds)
      write(key, value, options.ttlSeconds)
    },
    async setMany(entries) {
      checkEntries(entries)
      for (const e of entries) write(e.key, e.value, e.ttlSeconds)
    },
    async delete(key) {
      checkKey(key)
      drop(key)
    },
    async list(prefix, options = {}): Promise<ListResult> {
      checkList(prefix, options)
      const all = keysInOrder()
      const max = options.limit ?? Number.POSITIVE_INFINITY
      const start = lowerBound(all, prefix)
      const from = options.cursor === undefined ? start : Math.max(start, upperBound(all, options.cursor))
      const keys: string[] = []
      const expired: string[] = []
      let i = from
      for (; i < all.length && keys.length < max && all[i]!.startsWith(prefix); i++) {
        const entry = data.get(all[i]!)!
        if (entry.expiresAt !== undefined && entry.expiresAt <= now()) expired.push(all[i]!)
        else keys.push(all[i]!)
      }
      const more = i < all.length && all[i]!.startsWith(prefix)
      for (const key of expired) drop(key)
      return more && keys.length > 0 ? { keys, cursor: keys[keys.length - 1]! } : { keys }
    },
    async transaction(ops: DriverOp[]) {
      checkOps(ops)
      for (const op of ops) {
        if (op.type === 'set') write(op.key, op.value, op.ttlSeconds)
        else drop(op.key)
      }
    },
    async estimate() {
      let usage = 0
      for (const [key, entry] of data) usage += key.length + entry.value.byteLength
      return { usage }
    },
  }
}

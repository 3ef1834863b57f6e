/** In-memory driver: the default store, and the fastest for tests. Nothing survives the process. */
import type { DriverOp, ListResult, StoreDriver } from '../driver.js'
import { checkEntries, checkKey, checkList, checkOps, checkTtl, checkValue, pageOfKeys } from '../keys.js'

export interface MemoryDriverOptions {
  /** Clock for TTLs, for tests. @default Date.now */
  now?: () => number
}

export function memoryDriver({ now = Date.now }: MemoryDriverOptions = {}): StoreDriver {
  const data = new Map<string, { value: Uint8Array; expiresAt?: number }>()

  /** The live entry of a key; an expired one is dropped on sight. */
  const entryOf = (key: string) => {
    const entry = data.get(key)
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      data.delete(key)
      return undefined
    }
    return entry
  }
  const read = (key: string): Uint8Array | null => entryOf(key)?.value.slice() ?? null
  const write = (key: string, value: Uint8Array, ttlSeconds?: number): void => {
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
      data.delete(key)
    },
    async list(prefix, options = {}): Promise<ListResult> {
      checkList(prefix, options)
      const keys = [...data.keys()].filter((k) => k.startsWith(prefix) && entryOf(k) !== undefined).sort()
      return pageOfKeys(keys, options)
    },
    async transaction(ops: DriverOp[]) {
      checkOps(ops)
      for (const op of ops) {
        if (op.type === 'set') write(op.key, op.value, op.ttlSeconds)
        else data.delete(op.key)
      }
    },
    async estimate() {
      let usage = 0
      for (const [key, entry] of data) usage += key.length + entry.value.byteLength
      return { usage }
    },
  }
}

/** In-memory driver: the default store, and the fastest for tests. Nothing survives the process. */
import type { DriverOp, ListResult, StoreDriver } from '../driver.js'
import { checkKey, pageOfKeys } from '../keys.js'

export interface MemoryDriverOptions {
  /** Clock for TTLs, for tests. @default Date.now */
  now?: () => number
}

export function memoryDriver({ now = Date.now }: MemoryDriverOptions = {}): StoreDriver {
  const data = new Map<string, { value: Uint8Array; expiresAt?: number }>()

  const read = (key: string): Uint8Array | null => {
    const entry = data.get(key)
    if (!entry) return null
    if (entry.expiresAt !== undefined && entry.expiresAt <= now()) {
      data.delete(key)
      return null
    }
    return entry.value.slice()
  }
  const write = (key: string, value: Uint8Array, ttlSeconds?: number): void => {
    checkKey(key)
    data.set(key, ttlSeconds ? { value: value.slice(), expiresAt: now() + ttlSeconds * 1000 } : { value: value.slice() })
  }

  return {
    name: 'memory',
    async get(key) {
      return read(key)
    },
    async getMany(keys) {
      return keys.map(read)
    },
    async set(key, value, options = {}) {
      write(key, value, options.ttlSeconds)
    },
    async setMany(entries) {
      for (const e of entries) checkKey(e.key)
      for (const e of entries) write(e.key, e.value, e.ttlSeconds)
    },
    async delete(key) {
      data.delete(key)
    },
    async list(prefix, options = {}): Promise<ListResult> {
      const keys = [...data.keys()].filter((k) => k.startsWith(prefix) && read(k) !== null).sort()
      return pageOfKeys(keys, options)
    },
    async transaction(ops: DriverOp[]) {
      for (const op of ops) checkKey(op.key)
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

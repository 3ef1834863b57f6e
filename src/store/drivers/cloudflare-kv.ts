/**
 * Cloudflare Workers KV driver. KV is eventually consistent and takes about one write per second per
 * key, so it has no `transaction` and is never the memory's primary store: engram uses it for
 * short-term memories (native expiration) and as a read-through copy of records.
 *
 * KV's native `expirationTtl` cannot be below 60 s, so every TTL is also written as metadata and
 * checked on read: a key is gone exactly when its TTL says, and KV deletes it for good later.
 */
import { asMemoryError, memoryError } from '../../core/errors.js'
import type { ListResult, StoreDriver } from '../driver.js'
import { checkEntries, checkKey, checkList, checkTtl, checkValue } from '../keys.js'

/** The part of a `KVNamespace` binding this driver uses (structural, so no Workers types are needed). */
export interface KVNamespaceLike {
  getWithMetadata<M = unknown>(key: string, type: 'arrayBuffer'): Promise<{ value: ArrayBuffer | null; metadata: M | null }>
  put(key: string, value: ArrayBuffer | ArrayBufferView, options?: { expirationTtl?: number; metadata?: unknown }): Promise<void>
  delete(key: string): Promise<void>
  list<M = unknown>(options?: {
    prefix?: string
    cursor?: string | null
    limit?: number
  }): Promise<{ keys: { name: string; metadata?: M }[]; list_complete: boolean; cursor?: string }>
}

export interface CloudflareKVDriverOptions {
  /** The KV namespace binding (`env.KV`). */
  binding: KVNamespaceLike
  /** Clock for TTLs, for tests. @default Date.now */
  now?: () => number
}

/** Metadata stored beside a value that has a TTL: `e` is the expiry instant (epoch ms). */
interface KVMeta {
  e?: number
}

/** KV refuses `expirationTtl` below this many seconds. */
const KV_MIN_TTL_SECONDS = 60
/** KV returns at most this many keys per list call. */
const KV_MAX_LIST = 1000

/**
 * @example
 * const driver = cloudflareKVDriver({ binding: env.KV })
 * await driver.set('ns/short/abc', bytes, { ttlSeconds: 1800 })
 */
export function cloudflareKVDriver({ binding, now = Date.now }: CloudflareKVDriverOptions): StoreDriver {
  if (!binding || typeof binding.getWithMetadata !== 'function' || typeof binding.put !== 'function') {
    throw memoryError('VALIDATION', 'cloudflareKVDriver: `binding` is not a KV namespace binding')
  }
  const expired = (meta: KVMeta | null | undefined): boolean => typeof meta?.e === 'number' && meta.e <= now()

  const read = async (key: string): Promise<Uint8Array | null> => {
    const { value, metadata } = await binding.getWithMetadata<KVMeta>(key, 'arrayBuffer')
    if (value === null || expired(metadata)) return null
    return new Uint8Array(value)
  }
  const write = async (key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> => {
    // Copy now: the caller may reuse its buffer before KV has read it.
    const copy = value.slice()
    if (ttlSeconds === undefined) return binding.put(key, copy)
    const metadata: KVMeta = { e: now() + ttlSeconds * 1000 }
    return binding.put(key, copy, { expirationTtl: Math.max(KV_MIN_TTL_SECONDS, Math.ceil(ttlSeconds)), metadata })
  }
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (e) {
      throw asMemoryError(e, 'STORAGE', `KV ${what} failed`)
    }
  }

  return {
    name: 'cloudflare-kv',
    async get(key) {
      checkKey(key)
      return guard('get', () => read(key))
    },
    async getMany(keys) {
      for (const key of keys) checkKey(key)
      return guard('getMany', () => Promise.all(keys.map(read)))
    },
    async set(key, value, options = {}) {
      checkKey(key)
      checkValue(value, key)
      checkTtl(options.ttlSeconds)
      await guard('set', () => write(key, value, options.ttlSeconds))
    },
    async setMany(entries) {
      checkEntries(entries)
      await guard('setMany', () => Promise.all(entries.map((e) => write(e.key, e.value, e.ttlSeconds))))
    },
    async delete(key) {
      checkKey(key)
      await guard('delete', () => binding.delete(key))
    },
    async list(prefix, options = {}): Promise<ListResult> {
      checkList(prefix, options)
      const page = await guard('list', () =>
        binding.list<KVMeta>({ prefix, cursor: options.cursor ?? null, limit: Math.min(options.limit ?? KV_MAX_LIST, KV_MAX_LIST) }),
      )
      const keys = page.keys.filter((k) => !expired(k.metadata)).map((k) => k.name)
      return page.list_complete || !page.cursor ? { keys } : { keys, cursor: page.cursor }
    },
  }
}

/**
 * IndexedDB driver (browser pages and workers): one database, one object store of key → bytes, and a
 * side store of expiry times for the few keys written with a TTL. `transaction()` is one IndexedDB
 * transaction, so a record and its log entry land together or not at all, also across a crash.
 *
 * Values are opaque (they may be encrypted), so there are no IndexedDB indexes on record fields: the
 * memory keeps its catalog (tier, type, scope, time) in RAM, rebuilt from the records on open.
 */
import { type IDBPDatabase, type IDBPObjectStore, wrap } from 'idb'
import { asMemoryError, memoryError } from '../../core/errors.js'
import type { DriverOp, ListResult, StoreDriver } from '../driver.js'
import { checkEntries, checkKey, checkList, checkOps, checkTtl, checkValue } from '../keys.js'

export interface IndexedDBDriverOptions {
  /** Database name: one database may hold many namespaces. @default 'engram' */
  name?: string
  /**
   * Keep the data in its own Storage Bucket (Chromium 122+): its own quota and persistence, evicted apart
   * from the rest of the site's storage. Without it, the data lives in the origin's default bucket.
   * @example { name: 'engram', persisted: true, quota: 200 * 1024 * 1024 }
   */
  bucket?: StorageBucketOptions
  /** Clock for TTLs, for tests. @default Date.now */
  now?: () => number
}

export interface StorageBucketOptions {
  /** Lowercase letters, digits, '-' and '_' (the Storage Buckets rule). */
  name: string
  /** Ask the browser not to evict this bucket under storage pressure. @default false */
  persisted?: boolean
  /** Upper bound in bytes; writes beyond it fail with QUOTA_EXCEEDED. */
  quota?: number
}

/** The parts of a Storage Bucket (or of navigator.storage) the driver uses. */
interface StorageArea {
  indexedDB: IDBFactory
  estimate(): Promise<StorageEstimate>
  persisted?(): Promise<boolean>
}

/** What the driver found when it opened its database. */
export interface IndexedDBStatus {
  /** True when this open created the database: a first visit, or a store the browser evicted. */
  created: boolean
}

export interface IndexedDBDriver extends StoreDriver {
  /** Opens the database (once) and tells whether it had to be created. */
  status(): Promise<IndexedDBStatus>
  transaction(ops: DriverOp[]): Promise<void>
  estimate(): Promise<{ usage?: number; quota?: number; persisted?: boolean }>
  close(): Promise<void>
}

// Read-only transactions get the same type; they never call the writing verbs.
type Store = IDBPObjectStore<unknown, ArrayLike<string>, string, 'readwrite'>

const KV = 'kv'
const TTL = 'ttl'
const VERSION = 1
/** Keys are printable ASCII (0x21..0x7e), so every key under `prefix` sorts below `prefix + '\x7f'`. */
const ABOVE_ASCII = '\x7f'

/**
 * @example
 * const store = indexedDBDriver({ name: 'my-app' })
 * const mem = await createMemory({ namespace: 'user-42', store })
 */
export function indexedDBDriver(options: IndexedDBDriverOptions = {}): IndexedDBDriver {
  const name = options.name ?? 'engram'
  const now = options.now ?? Date.now
  let created = false
  let lost: string | undefined
  let opening: Promise<IDBPDatabase> | undefined
  let areaOpening: Promise<StorageArea> | undefined
  const storageArea = () => (areaOpening ??= openArea(options.bucket))

  const open = (): Promise<IDBPDatabase> => {
    if (lost) return Promise.reject(memoryError('STORAGE', `IndexedDB database "${name}" is no longer usable: ${lost}`))
    opening ??= storageArea()
      .then((area) =>
        openDatabase(area.indexedDB, name, {
          upgrade(db, oldVersion) {
            if (oldVersion === 0) created = true
            if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV)
            if (!db.objectStoreNames.contains(TTL)) db.createObjectStore(TTL)
          },
          versionchange(db) {
            // Deleted, or a newer version wants it: step aside rather than hang the other tab.
            lost = 'it was deleted or upgraded by another tab (storage cleared?); reload the page'
            db.close()
          },
          close() {
            lost = 'the browser closed it (storage cleared, evicted or failing); reopen the memory'
          },
        }),
      )
      .then(purgeExpired, (e: unknown) => {
        opening = undefined
        throw asMemoryError(e, 'STORAGE', `Cannot open IndexedDB database "${name}"`)
      })
    return opening
  }

  const purgeExpired = async (db: IDBPDatabase): Promise<IDBPDatabase> => {
    const tx = db.transaction([KV, TTL], 'readwrite')
    const ttl = tx.objectStore(TTL)
    const [keys, times] = await Promise.all([ttl.getAllKeys(), ttl.getAll()])
    const t = now()
    keys.forEach((key, i) => {
      if ((times[i] as number) <= t) {
        void tx.objectStore(KV).delete(key)
        void ttl.delete(key)
      }
    })
    await tx.done
    return db
  }

  /** Run `fn` in one transaction; its result counts only once the transaction has committed. */
  const run = async <T>(mode: IDBTransactionMode, what: string, fn: (kv: Store, ttl: Store) => Promise<T>): Promise<T> => {
    const db = await open()
    try {
      const tx = db.transaction([KV, TTL], mode, { durability: 'strict' })
      // A failed request aborts the transaction, and tx.done carries the real reason (QuotaExceededError...).
      const result = fn(tx.objectStore(KV) as Store, tx.objectStore(TTL) as Store)
      result.catch(() => undefined)
      await tx.done
      return await result
    } catch (e) {
      throw asMemoryError(e, 'STORAGE', `IndexedDB ${what} failed in "${name}"`)
    }
  }

  const write = (ops: DriverOp[]) =>
    run('readwrite', 'write', async (kv, ttl) => {
      const pending: Promise<unknown>[] = []
      for (const op of ops) {
        if (op.type === 'delete') {
          pending.push(kv.delete(op.key), ttl.delete(op.key))
          continue
        }
        // Structured clone copies a view's whole backing buffer: store exactly the bytes asked for.
        const { value } = op
        pending.push(kv.put(value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice(), op.key))
        pending.push(op.ttlSeconds === undefined ? ttl.delete(op.key) : ttl.put(now() + op.ttlSeconds * 1000, op.key))
      }
      await Promise.all(pending)
    })

  const read = (keys: string[]) =>
    run('readonly', 'read', async (kv, ttl) => {
      const t = now()
      return Promise.all(
        keys.map(async (key) => {
          const [value, expiresAt] = await Promise.all([kv.get(key), ttl.get(key)])
          if (!(value instanceof Uint8Array)) return null
          return typeof expiresAt === 'number' && expiresAt <= t ? null : value
        }),
      )
    })

  return {
    name: 'indexeddb',
    async status() {
      await open()
      return { created }
    },
    async get(key) {
      checkKey(key)
      return (await read([key]))[0] ?? null
    },
    async getMany(keys) {
      for (const key of keys) checkKey(key)
      return keys.length === 0 ? [] : read(keys)
    },
    async set(key, value, setOptions = {}) {
      checkKey(key)
      checkValue(value, key)
      checkTtl(setOptions.ttlSeconds)
      const op: DriverOp = { type: 'set', key, value }
      if (setOptions.ttlSeconds !== undefined) op.ttlSeconds = setOptions.ttlSeconds
      await write([op])
    },
    async setMany(entries) {
      checkEntries(entries)
      if (entries.length > 0) await write(entries.map((e) => ({ type: 'set' as const, ...e })))
    },
    async delete(key) {
      checkKey(key)
      await write([{ type: 'delete', key }])
    },
    async transaction(ops) {
      checkOps(ops)
      if (ops.length > 0) await write(ops)
    },
    async list(prefix, listOptions = {}): Promise<ListResult> {
      checkList(prefix, listOptions)
      const { cursor, limit } = listOptions
      return run('readonly', 'list', async (kv, ttl) => {
        const upper = prefix + ABOVE_ASCII
        const from = cursor !== undefined && cursor >= prefix ? cursor : prefix
        const range = IDBKeyRange.bound(from, upper, from === cursor, true)
        const page = limit === undefined ? undefined : limit + 1
        // Expiry times are few: take those of the range and filter the keys against them.
        const [keys, ttlKeys, ttlTimes] = (await Promise.all([kv.getAllKeys(range, page), ttl.getAllKeys(range), ttl.getAll(range)])) as [
          string[],
          string[],
          number[],
        ]
        const t = now()
        const expired = new Set(ttlKeys.filter((_, i) => ttlTimes[i]! <= t))
        let live = keys.filter((k) => !expired.has(k))
        if (limit === undefined) return { keys: live }
        // Expired keys took places in the page: read on until the page is full or the range ends.
        let last = keys[keys.length - 1]
        let exhausted = keys.length <= limit
        while (live.length <= limit && !exhausted && last !== undefined) {
          const more = (await kv.getAllKeys(IDBKeyRange.bound(last, upper, true, true), page)) as string[]
          live = live.concat(more.filter((k) => !expired.has(k)))
          exhausted = more.length <= limit
          last = more[more.length - 1]
        }
        if (live.length <= limit) return { keys: live }
        const keysOfPage = live.slice(0, limit)
        return { keys: keysOfPage, cursor: keysOfPage[keysOfPage.length - 1]! }
      })
    },
    async estimate() {
      const area = await storageArea().catch(() => undefined)
      if (!area) return {}
      const [{ usage, quota }, persisted] = await Promise.all([area.estimate(), area.persisted?.().catch(() => undefined)])
      const out: { usage?: number; quota?: number; persisted?: boolean } = {}
      if (usage !== undefined) out.usage = usage
      if (quota !== undefined) out.quota = quota
      if (persisted !== undefined) out.persisted = persisted
      return out
    },
    async close() {
      const db = opening
      opening = undefined
      lost ??= 'the driver was closed'
      if (db) (await db.catch(() => undefined))?.close()
    },
  }
}

/** The default bucket (navigator.storage + indexedDB), or a named Storage Bucket. */
async function openArea(bucket: StorageBucketOptions | undefined): Promise<StorageArea> {
  const nav = globalThis.navigator as (Navigator & { storageBuckets?: StorageBucketManager }) | undefined
  if (!bucket) {
    if (!globalThis.indexedDB) throw memoryError('UNSUPPORTED', 'IndexedDB is not available in this runtime')
    const storage = nav?.storage
    return {
      indexedDB: globalThis.indexedDB,
      estimate: () => (storage?.estimate ? storage.estimate() : Promise.resolve({})),
      persisted: () => (storage?.persisted ? storage.persisted() : Promise.resolve(false)),
    }
  }
  if (!nav?.storageBuckets) throw memoryError('UNSUPPORTED', 'Storage Buckets are not available in this browser; leave out `bucket`')
  const open: { persisted?: boolean; quota?: number } = {}
  if (bucket.persisted !== undefined) open.persisted = bucket.persisted
  if (bucket.quota !== undefined) open.quota = bucket.quota
  try {
    return await nav.storageBuckets.open(bucket.name, open)
  } catch (e) {
    throw asMemoryError(e, 'VALIDATION', `Cannot open storage bucket "${bucket.name}"`)
  }
}

interface StorageBucketManager {
  open(name: string, options?: { persisted?: boolean; quota?: number }): Promise<StorageArea>
}

interface OpenHooks {
  upgrade(db: IDBDatabase, oldVersion: number): void
  versionchange(db: IDBDatabase): void
  close(): void
}

function openDatabase(factory: IDBFactory, name: string, hooks: OpenHooks): Promise<IDBPDatabase> {
  const request = factory.open(name, VERSION)
  request.onupgradeneeded = (event) => hooks.upgrade(request.result, event.oldVersion)
  return (wrap(request) as Promise<IDBPDatabase>).then((db) => {
    const raw = request.result
    raw.onversionchange = () => hooks.versionchange(raw)
    raw.onclose = () => hooks.close()
    return db
  })
}

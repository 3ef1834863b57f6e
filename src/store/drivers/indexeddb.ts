/**
 * IndexedDB driver (browser pages and workers): one database, one object store of key → bytes, and a
 * side store of expiry times for the few keys written with a TTL. `transaction()` is one IndexedDB
 * transaction, so a record and its log entry land together or not at all, also across a crash.
 *
 * Values are opaque (they may be encrypted), so there are no IndexedDB indexes on record fields: the
 * memory keeps its catalog (tier, type, scope, time) in RAM, rebuilt from the records on open.
 */
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

const KV = 'kv'
const TTL = 'ttl'
const VERSION = 1
/** Keys are printable ASCII (0x21..0x7e), so every key under `prefix` sorts below `prefix + '\x7f'`. */
const ABOVE_ASCII = '\x7f'
/** Up to this many keys, a read asks for each key; beyond, it first checks whether one range read serves them. */
const FEW_KEYS = 8

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
  let opening: Promise<IDBDatabase> | undefined
  let areaOpening: Promise<StorageArea> | undefined
  const storageArea = () => (areaOpening ??= openArea(options.bucket))

  const open = (): Promise<IDBDatabase> => {
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

  const purgeExpired = async (db: IDBDatabase): Promise<IDBDatabase> => {
    await transact(db, 'readwrite', (kv, ttl) => {
      const keys = ttl.getAllKeys()
      const times = ttl.getAll()
      times.onsuccess = () => {
        const t = now()
        keys.result.forEach((key, i) => {
          if ((times.result[i] as number) <= t) {
            kv.delete(key)
            ttl.delete(key)
          }
        })
      }
      return () => undefined
    })
    return db
  }

  /**
   * Run one transaction: `fn` issues its requests and returns how to read the answer, which counts only
   * once the transaction has committed. Requests are plain IndexedDB requests, not one promise each: a
   * failed request aborts the transaction, and the abort carries the real reason (QuotaExceededError...).
   */
  const run = async <T>(mode: IDBTransactionMode, what: string, fn: (kv: IDBObjectStore, ttl: IDBObjectStore) => () => T): Promise<T> => {
    const db = await open()
    try {
      return await transact(db, mode, fn)
    } catch (e) {
      throw asMemoryError(e, 'STORAGE', `IndexedDB ${what} failed in "${name}"`)
    }
  }

  const write = (ops: DriverOp[]) =>
    run('readwrite', 'write', (kv, ttl) => {
      const t = now()
      // The expiry each written key ends with (undefined: none), applied once the old ones are known.
      const expiry = new Map<string, number | undefined>()
      let low = ops[0]!.key
      let high = low
      for (const op of ops) {
        if (op.key < low) low = op.key
        if (op.key > high) high = op.key
        if (op.type === 'delete') {
          kv.delete(op.key)
          expiry.set(op.key, undefined)
          continue
        }
        // Structured clone copies a view's whole backing buffer: store exactly the bytes asked for.
        const { value } = op
        kv.put(value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice(), op.key)
        expiry.set(op.key, op.ttlSeconds === undefined ? undefined : t + op.ttlSeconds * 1000)
      }
      // Few keys carry a TTL: one read of those in range replaces a delete per written key.
      const existing = ttl.getAllKeys(IDBKeyRange.bound(low, high))
      existing.onsuccess = () => {
        const had = new Set(existing.result as string[])
        for (const [key, at] of expiry) {
          if (at !== undefined) ttl.put(at, key)
          else if (had.has(key)) ttl.delete(key)
        }
      }
      return () => undefined
    })

  const read = (keys: string[]) =>
    run('readonly', 'read', (kv, ttl) => {
      const wanted = [...new Set(keys)].sort()
      const range = IDBKeyRange.bound(wanted[0]!, wanted[wanted.length - 1]!)
      const values = new Map<string, unknown>()
      const getEach = () => {
        for (const key of wanted) {
          const request = kv.get(key)
          request.onsuccess = () => values.set(key, request.result)
        }
      }
      if (wanted.length <= FEW_KEYS) getEach()
      else {
        // Keys of a page (records, vectors of listed ids) are usually most of their range: then one
        // range read answers them all, instead of one request per key.
        const probe = kv.getAllKeys(range, wanted.length * 2 + 1)
        probe.onsuccess = () => {
          if (probe.result.length > wanted.length * 2) return getEach()
          // The probe holds every key of the range; the values come in the same (key) order.
          const found = probe.result as string[]
          const rangeValues = kv.getAll(range)
          rangeValues.onsuccess = () => {
            for (let i = 0; i < found.length; i++) values.set(found[i]!, rangeValues.result[i])
          }
        }
      }
      const ttlKeys = ttl.getAllKeys(range)
      const ttlTimes = ttl.getAll(range)
      return () => {
        const t = now()
        const expired = new Set((ttlKeys.result as string[]).filter((_, i) => (ttlTimes.result[i] as number) <= t))
        return keys.map((key) => {
          const value = values.get(key)
          return value instanceof Uint8Array && !expired.has(key) ? value : null
        })
      }
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
      const upper = prefix + ABOVE_ASCII
      const from = cursor !== undefined && cursor >= prefix ? cursor : prefix
      const range = IDBKeyRange.bound(from, upper, from === cursor, true)
      const page = limit === undefined ? undefined : limit + 1
      const { keys, expired } = await run('readonly', 'list', (kv, ttl) => {
        // Expiry times are few: take those of the range and filter the keys against them.
        const ttlKeys = ttl.getAllKeys(range)
        const ttlTimes = ttl.getAll(range)
        const expiredNow = () => {
          const t = now()
          return new Set((ttlKeys.result as string[]).filter((_, i) => (ttlTimes.result[i] as number) <= t))
        }
        let found: string[] = []
        let live = 0
        // Expired keys took places in the page: read on until the page is full or the range ends.
        const more = (lower: IDBKeyRange) => {
          const request = kv.getAllKeys(lower, page)
          request.onsuccess = () => {
            const got = request.result as string[]
            // A whole prefix may hold millions of keys: no spreading into arguments.
            found = found.length === 0 ? got : found.concat(got)
            const last = got[got.length - 1]
            if (limit === undefined || got.length <= limit || last === undefined) return
            const dead = expiredNow()
            for (const k of got) if (!dead.has(k)) live++
            if (live <= limit) more(IDBKeyRange.bound(last, upper, true, true))
          }
        }
        more(range)
        return () => ({ keys: found, expired: expiredNow() })
      })
      const live = keys.filter((k) => !expired.has(k))
      if (limit === undefined || live.length <= limit) return { keys: live }
      const keysOfPage = live.slice(0, limit)
      return { keys: keysOfPage, cursor: keysOfPage[keysOfPage.length - 1]! }
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

/**
 * One transaction over both stores. `fn` issues requests (and may issue more from their success
 * callbacks, while the transaction is active); its answer is read once the transaction has committed.
 * A throw in `fn` aborts the transaction, so nothing it had already asked for is written.
 */
function transact<T>(db: IDBDatabase, mode: IDBTransactionMode, fn: (kv: IDBObjectStore, ttl: IDBObjectStore) => () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const tx = db.transaction([KV, TTL], mode, { durability: 'strict' })
    let answer: () => T
    tx.oncomplete = () => {
      try {
        resolve(answer())
      } catch (e) {
        reject(e)
      }
    }
    tx.onabort = () => reject(tx.error ?? new DOMException('The IndexedDB transaction was aborted', 'AbortError'))
    try {
      answer = fn(tx.objectStore(KV), tx.objectStore(TTL))
    } catch (e) {
      tx.abort()
      reject(e)
    }
  })
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

function openDatabase(factory: IDBFactory, name: string, hooks: OpenHooks): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, VERSION)
    request.onupgradeneeded = (event) => hooks.upgrade(request.result, event.oldVersion)
    request.onerror = () => reject(request.error)
    request.onsuccess = () => {
      const db = request.result
      db.onversionchange = () => hooks.versionchange(db)
      db.onclose = () => hooks.close()
      resolve(db)
    }
  })
}

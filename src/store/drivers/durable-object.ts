/**
 * Durable Object storage driver: the primary store on the edge. One Durable Object per namespace is
 * the single writer, and its storage commits a multi-key write atomically, so this driver has a real
 * `transaction` (records and the operation log go in one commit).
 *
 * Layout: `v:<key>` holds the value, or an envelope `{ v, e }` when it has a TTL (`e`, epoch ms, checked
 * on read: DO storage has no native expiry), or a manifest `{ n, e? }` for a value split into `n`
 * chunks `c:<key>#<i>` (a stored value is capped at 2 MB, a snapshot can be larger).
 */
import { asMemoryError, memoryError } from '../../core/errors.js'
import type { DriverOp, ListResult, StoreDriver } from '../driver.js'
import { checkEntries, checkKey, checkList, checkOps, checkTtl, checkValue } from '../keys.js'

/** The part of `DurableObjectStorage` (or of a transaction on it) this driver uses. */
export interface DurableObjectStorageTxnLike {
  get(keys: string[]): Promise<Map<string, unknown>>
  put(entries: Record<string, unknown>): Promise<void>
  delete(keys: string[]): Promise<number>
}
export interface DurableObjectStorageLike extends DurableObjectStorageTxnLike {
  list(options: { prefix?: string; startAfter?: string; limit?: number }): Promise<Map<string, unknown>>
  transaction<T>(closure: (txn: DurableObjectStorageTxnLike) => Promise<T>): Promise<T>
  readonly sql?: { readonly databaseSize: number }
}

export interface DurableObjectDriverOptions {
  /** `ctx.storage` of the Durable Object. */
  storage: DurableObjectStorageLike
  /** Values above this many bytes are split into chunks of this size. @default 512 KiB */
  chunkBytes?: number
  /** Clock for TTLs, for tests. @default Date.now */
  now?: () => number
}

type Envelope = { v?: Uint8Array; e?: number; n?: number }
type Stored = Uint8Array | Envelope

/** DO storage takes at most 128 keys per get, put or delete call. */
const BATCH = 128
const V = 'v:'
const chunkKey = (key: string, i: number) => `c:${key}#${i}`

function batches<T>(items: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH))
  return out
}

async function getAll(storage: DurableObjectStorageTxnLike, keys: string[]): Promise<Map<string, unknown>> {
  const maps = await Promise.all(batches(keys).map((b) => storage.get(b)))
  return new Map(maps.flatMap((m) => [...m]))
}

/**
 * @example
 * export class MemoryObject {
 *   constructor(state, env) { this.store = durableObjectDriver({ storage: state.storage }) }
 * }
 */
export function durableObjectDriver({ storage, chunkBytes = 512 * 1024, now = Date.now }: DurableObjectDriverOptions): StoreDriver {
  if (!storage || typeof storage.transaction !== 'function' || typeof storage.list !== 'function') {
    throw memoryError('VALIDATION', 'durableObjectDriver: `storage` is not Durable Object storage')
  }
  const alive = (stored: unknown): stored is Stored =>
    stored instanceof Uint8Array ||
    (!!stored && typeof stored === 'object' && !((stored as Envelope).e !== undefined && (stored as Envelope).e! <= now()))
  const chunksOf = (stored: unknown): number =>
    stored && typeof stored === 'object' && !(stored instanceof Uint8Array) ? ((stored as Envelope).n ?? 0) : 0

  const readMany = async (keys: string[]): Promise<(Uint8Array | null)[]> => {
    const found = await getAll(
      storage,
      [...new Set(keys)].map((k) => V + k),
    )
    return Promise.all(
      keys.map(async (key) => {
        const stored = found.get(V + key)
        if (!alive(stored)) return null
        if (stored instanceof Uint8Array) return stored.slice()
        if (stored.v) return stored.v.slice()
        const n = stored.n ?? 0
        const parts = await getAll(
          storage,
          Array.from({ length: n }, (_, i) => chunkKey(key, i)),
        )
        const pieces = Array.from({ length: n }, (_, i) => parts.get(chunkKey(key, i)))
        if (!pieces.every((p) => p instanceof Uint8Array)) throw memoryError('CORRUPTED', `Durable Object value ${key} is missing a chunk`)
        const out = new Uint8Array(pieces.reduce((sum, p) => sum + p.byteLength, 0))
        let at = 0
        for (const p of pieces) {
          out.set(p, at)
          at += p.byteLength
        }
        return out
      }),
    )
  }

  /** Apply ops in order, in one storage transaction: all of them commit or none. */
  const apply = (ops: DriverOp[]): Promise<void> =>
    storage.transaction(async (txn) => {
      const before = await getAll(txn, [...new Set(ops.map((op) => V + op.key))])
      const chunkCount = new Map<string, number>()
      for (const op of ops) chunkCount.set(op.key, chunksOf(before.get(V + op.key)))
      const puts = new Map<string, unknown>()
      const deletes = new Set<string>()
      const put = (k: string, v: unknown) => {
        deletes.delete(k)
        puts.set(k, v)
      }
      const del = (k: string) => {
        puts.delete(k)
        deletes.add(k)
      }
      for (const op of ops) {
        const oldChunks = chunkCount.get(op.key) ?? 0
        let newChunks = 0
        if (op.type === 'delete') del(V + op.key)
        else {
          const e = op.ttlSeconds === undefined ? undefined : now() + op.ttlSeconds * 1000
          if (op.value.byteLength > chunkBytes) {
            newChunks = Math.ceil(op.value.byteLength / chunkBytes)
            for (let i = 0; i < newChunks; i++) put(chunkKey(op.key, i), op.value.slice(i * chunkBytes, (i + 1) * chunkBytes))
            put(V + op.key, e === undefined ? { n: newChunks } : { n: newChunks, e })
          } else put(V + op.key, e === undefined ? op.value.slice() : { v: op.value.slice(), e })
        }
        for (let i = newChunks; i < oldChunks; i++) del(chunkKey(op.key, i))
        chunkCount.set(op.key, newChunks)
      }
      for (const b of batches([...deletes])) await txn.delete(b)
      for (const b of batches([...puts])) await txn.put(Object.fromEntries(b))
    })

  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (e) {
      throw asMemoryError(e, 'STORAGE', `Durable Object storage ${what} failed`)
    }
  }

  return {
    name: 'durable-object',
    async get(key) {
      checkKey(key)
      const [value] = await guard('get', () => readMany([key]))
      return value ?? null
    },
    async getMany(keys) {
      for (const key of keys) checkKey(key)
      return keys.length === 0 ? [] : guard('getMany', () => readMany(keys))
    },
    async set(key, value, options = {}) {
      checkKey(key)
      checkValue(value, key)
      checkTtl(options.ttlSeconds)
      const op: DriverOp = { type: 'set', key, value }
      if (options.ttlSeconds !== undefined) op.ttlSeconds = options.ttlSeconds
      await guard('set', () => apply([op]))
    },
    async setMany(entries) {
      checkEntries(entries)
      if (entries.length > 0) await guard('setMany', () => apply(entries.map((e) => ({ type: 'set', ...e }))))
    },
    async delete(key) {
      checkKey(key)
      await guard('delete', () => apply([{ type: 'delete', key }]))
    },
    async list(prefix, options = {}): Promise<ListResult> {
      checkList(prefix, options)
      const request: { prefix: string; startAfter?: string; limit?: number } = { prefix: V + prefix }
      if (options.cursor !== undefined) request.startAfter = V + options.cursor
      // One extra row tells whether another page follows.
      if (options.limit !== undefined) request.limit = options.limit + 1
      const rows = [...(await guard('list', () => storage.list(request)))]
      const more = options.limit !== undefined && rows.length > options.limit
      const page = more ? rows.slice(0, options.limit) : rows
      const keys = page.filter(([, stored]) => alive(stored)).map(([k]) => k.slice(V.length))
      const last = page[page.length - 1]
      return more && last ? { keys, cursor: last[0].slice(V.length) } : { keys }
    },
    async transaction(ops) {
      checkOps(ops)
      if (ops.length > 0) await guard('transaction', () => apply(ops))
    },
    async estimate() {
      return storage.sql ? { usage: storage.sql.databaseSize } : {}
    },
  }
}

/**
 * The edge's store: Durable Object storage as the transactional primary, R2 for large values.
 *
 * A value above `blobAbove` bytes (the index snapshot, big imports) is written to R2 first under a
 * fresh unique key, and the primary keeps a small pointer in the same transaction as everything
 * else: a commit never points at a blob that is not there, and a crash between the two leaves only
 * an orphan blob, never a dangling pointer. The blob a pointer replaced is deleted after the commit.
 *
 * Every primary value carries a one-byte tag (0 = inline bytes, 1 = R2 pointer), so no user value
 * can be mistaken for a pointer.
 */
import { memoryError } from '../../core/errors.js'
import type { DriverOp, ListResult, StoreDriver } from '../driver.js'
import { checkEntries, checkKey, checkOps, checkTtl, checkValue } from '../keys.js'

export interface EdgeTieredDriverOptions {
  /** Transactional primary: the Durable Object driver. */
  primary: StoreDriver
  /** Where large values go (the R2 driver). Without it every value stays in the primary. */
  blobs?: StoreDriver
  /** Values above this many bytes go to `blobs`. @default 64 KiB */
  blobAbove?: number
  /** Key prefix of blobs in `blobs` (one bucket can serve many namespaces). @default 'blob/' */
  blobPrefix?: string
}

const INLINE = 0
const POINTER = 1
const dec = new TextDecoder()
const enc = new TextEncoder()

/**
 * @example
 * const store = edgeTieredDriver({ primary: durableObjectDriver({ storage: ctx.storage }), blobs: cloudflareR2Driver({ binding: env.BLOBS }) })
 */
export function edgeTieredDriver({ primary, blobs, blobAbove = 64 * 1024, blobPrefix = 'blob/' }: EdgeTieredDriverOptions): StoreDriver {
  if (!primary.transaction) throw memoryError('VALIDATION', 'edgeTieredDriver: the primary store must support transactions')
  const primaryTxn = primary.transaction.bind(primary)

  const wrap = (tag: number, body: Uint8Array): Uint8Array => {
    const out = new Uint8Array(body.byteLength + 1)
    out[0] = tag
    out.set(body, 1)
    return out
  }
  /** The primary's bytes for a value, writing it to R2 first when it is large. */
  const pack = async (value: Uint8Array): Promise<Uint8Array> => {
    if (!blobs || value.byteLength <= blobAbove) return wrap(INLINE, value)
    // Unique per write (not content-addressed), so deleting one key's blob never breaks another key.
    const blobKey = `${blobPrefix}${crypto.randomUUID()}`
    await blobs.set(blobKey, value)
    return wrap(POINTER, enc.encode(blobKey))
  }
  const pointerOf = (stored: Uint8Array | null): string | null => (stored && stored[0] === POINTER ? dec.decode(stored.subarray(1)) : null)
  const unpack = async (key: string, stored: Uint8Array | null): Promise<Uint8Array | null> => {
    if (stored === null) return null
    if (stored[0] === INLINE) return stored.slice(1)
    const blobKey = pointerOf(stored)
    if (blobKey === null || !blobs) throw memoryError('CORRUPTED', `Value of ${key} has an unknown tag ${stored[0]}`)
    const value = await blobs.get(blobKey)
    if (value === null) throw memoryError('CORRUPTED', `Value of ${key} points at a missing blob ${blobKey}`)
    return value
  }

  /**
   * Write through the primary's transaction; afterwards drop blobs no longer pointed at. Commits run one
   * at a time: two overlapping writes of one key would both see the same old pointer, and the blob of
   * the one that lost would stay behind with nothing pointing at it.
   */
  let queue: Promise<unknown> = Promise.resolve()
  const commit = (ops: DriverOp[]): Promise<void> => {
    const run = queue.then(() => commitNow(ops))
    queue = run.catch(() => undefined)
    return run
  }
  const commitNow = async (ops: DriverOp[]): Promise<void> => {
    const keys = [...new Set(ops.map((o) => o.key))]
    const before = blobs ? await primary.getMany(keys) : []
    const packed: DriverOp[] = []
    for (const op of ops) {
      if (op.type === 'delete') packed.push(op)
      else {
        const next: DriverOp = { type: 'set', key: op.key, value: await pack(op.value) }
        if (op.ttlSeconds !== undefined) next.ttlSeconds = op.ttlSeconds
        packed.push(next)
      }
    }
    await primaryTxn(packed)
    if (!blobs) return
    const kept = new Set(packed.flatMap((op) => (op.type === 'set' ? [pointerOf(op.value)] : [])))
    const dropped = before.map(pointerOf).filter((p): p is string => p !== null && !kept.has(p))
    // Awaited, not deferred: a replaced blob may hold forgotten content, which must be gone when the
    // write resolves (forgetSubject scans R2). A failed delete leaves an orphan no key points at.
    await Promise.all(dropped.map((p) => blobs.delete(p).catch(() => undefined)))
  }

  return {
    name: blobs ? `edge-tiered(${primary.name}+${blobs.name})` : `edge-tiered(${primary.name})`,
    async get(key) {
      checkKey(key)
      return unpack(key, await primary.get(key))
    },
    async getMany(keys) {
      const stored = await primary.getMany(keys)
      return Promise.all(stored.map((s, i) => unpack(keys[i]!, s)))
    },
    async set(key, value, options = {}) {
      checkKey(key)
      checkValue(value, key)
      checkTtl(options.ttlSeconds)
      const op: DriverOp = { type: 'set', key, value }
      if (options.ttlSeconds !== undefined) op.ttlSeconds = options.ttlSeconds
      await commit([op])
    },
    async setMany(entries) {
      checkEntries(entries)
      if (entries.length > 0) await commit(entries.map((e) => ({ type: 'set', ...e })))
    },
    async delete(key) {
      checkKey(key)
      await commit([{ type: 'delete', key }])
    },
    list(prefix, options): Promise<ListResult> {
      return primary.list(prefix, options)
    },
    async transaction(ops) {
      checkOps(ops)
      if (ops.length > 0) await commit(ops)
    },
    async estimate() {
      return primary.estimate ? primary.estimate() : {}
    },
  }
}

/**
 * Background re-encryption after a key rotation (or when an unencrypted namespace is encrypted):
 * every blob of the namespace not sealed with the current data key is read, decrypted and written
 * back under it. Each page runs inside the memory's write queue (and cross-writer lock), so a write
 * that lands meanwhile is never overwritten by a stale re-encrypted copy; between pages the memory
 * keeps serving reads and writes.
 */
import { memoryError } from '../core/errors.js'
import type { DriverOp } from '../store/driver.js'
import { cryptoMetaKey, type EncryptionCodec, type EncryptionOptions, isEncryptionCodec } from './encryption.js'
import type { SecurityHost } from './host.js'

export interface RotationReport {
  /** Blobs looked at. */
  scanned: number
  /** Blobs rewritten under the new key. */
  reencrypted: number
  /** The data key every blob is now sealed with. */
  keyId: number
}

export interface RotateOptions {
  onProgress?: (p: { scanned: number; reencrypted: number }) => void
  signal?: AbortSignal
}

const PAGE = 200
/** One rotation at a time per codec: a second one waits, else finishing the first would drop a key still in use. */
const running = new WeakMap<EncryptionCodec, Promise<unknown>>()

function serialized<T>(codec: EncryptionCodec, fn: () => Promise<T>): Promise<T> {
  const previous = running.get(codec) ?? Promise.resolve()
  const next = previous.then(fn, fn)
  running.set(
    codec,
    next.catch(() => undefined),
  )
  return next
}

/** Start a rotation (new data key, and a new passphrase/key when given) and re-encrypt everything. */
export async function rotateKey(
  host: SecurityHost,
  next: EncryptionOptions | undefined,
  options: RotateOptions = {},
): Promise<RotationReport> {
  const codec = host.codec
  if (!isEncryptionCodec(codec)) throw memoryError('UNSUPPORTED', 'This memory is not encrypted: open it with `encryption` to rotate keys')
  return serialized(codec, async () => {
    await host.exclusive(() => codec.beginRotation(next))
    return reencryptNow(host, codec, options)
  })
}

/** Re-encrypt every blob not under the current key, then drop the old keys. Safe to run again after a crash. */
export function reencrypt(host: SecurityHost, codec: EncryptionCodec, options: RotateOptions = {}): Promise<RotationReport> {
  return serialized(codec, () => reencryptNow(host, codec, options))
}

async function reencryptNow(host: SecurityHost, codec: EncryptionCodec, options: RotateOptions): Promise<RotationReport> {
  const { store, namespace } = host
  const metaKey = cryptoMetaKey(namespace)
  let scanned = 0
  let reencrypted = 0
  let cursor: string | undefined
  do {
    options.signal?.throwIfAborted()
    const page = await store.list(`${namespace}/`, cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor })
    cursor = page.cursor
    const keys = page.keys.filter((k) => k !== metaKey)
    await host.exclusive(async () => {
      const values = await store.getMany(keys)
      const ops: DriverOp[] = []
      for (let i = 0; i < keys.length; i++) {
        const value = values[i]
        if (!value) continue
        scanned++
        const id = codec.keyIdOf(value)
        if (id === undefined || id === codec.currentKeyId) continue
        ops.push({ type: 'set', key: keys[i]!, value: await codec.encode(await codec.decode(value)) })
      }
      if (ops.length === 0) return
      if (store.transaction) await store.transaction(ops)
      else await store.setMany(ops.map((op) => ({ key: op.key, value: (op as { value: Uint8Array }).value })))
      reencrypted += ops.length
    })
    options.onProgress?.({ scanned, reencrypted })
  } while (cursor !== undefined)
  await host.exclusive(() => codec.finishRotation())
  return { scanned, reencrypted, keyId: codec.currentKeyId }
}

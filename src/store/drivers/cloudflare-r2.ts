/**
 * Cloudflare R2 driver: large, cold bytes (index snapshots, the archived tier, model files). Values
 * above `compressAbove` bytes are gzip-compressed with the platform's CompressionStream and marked in
 * the object's custom metadata, so reads know to inflate them. R2 has no transactions and no per-object
 * TTL: a TTL is kept in custom metadata and checked on read.
 */
import { asMemoryError, memoryError } from '../../core/errors.js'
import type { ListResult, StoreDriver } from '../driver.js'
import { checkEntries, checkKey, checkList, checkTtl, checkValue } from '../keys.js'

/** The part of an `R2Bucket` binding this driver uses (structural, so no Workers types are needed). */
export interface R2BucketLike {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer>; customMetadata?: Record<string, string> } | null>
  put(key: string, value: ArrayBuffer | ArrayBufferView, options?: { customMetadata?: Record<string, string> }): Promise<unknown>
  delete(keys: string | string[]): Promise<void>
  list(options?: {
    prefix?: string
    cursor?: string
    limit?: number
    include?: ('httpMetadata' | 'customMetadata')[]
  }): Promise<{ objects: { key: string; size: number; customMetadata?: Record<string, string> }[]; truncated: boolean; cursor?: string }>
}

export interface CloudflareR2DriverOptions {
  /** The R2 bucket binding (`env.BLOBS`). */
  binding: R2BucketLike
  /** Gzip values larger than this many bytes; `false` never compresses. @default 1024 */
  compressAbove?: number | false
  /** Clock for TTLs, for tests. @default Date.now */
  now?: () => number
}

/** R2 returns at most this many objects per list call. */
const R2_MAX_LIST = 1000

/** Gzip bytes with the platform's CompressionStream (Workers, browsers and Node 18+ all have it). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new CompressionStream('gzip'))
}

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new DecompressionStream('gzip'))
}

async function pipe(
  bytes: Uint8Array,
  transform: { writable: WritableStream<BufferSource>; readable: ReadableStream<Uint8Array> },
): Promise<Uint8Array> {
  const writer = transform.writable.getWriter()
  // Write and close without awaiting first: the readable side must be drained concurrently.
  const written = writer.write(bytes.slice()).then(() => writer.close())
  const out = new Uint8Array(await new Response(transform.readable).arrayBuffer())
  await written
  return out
}

/**
 * @example
 * const blobs = cloudflareR2Driver({ binding: env.BLOBS })
 * await blobs.set('ns/snapshots/42', indexBytes)
 */
export function cloudflareR2Driver({ binding, compressAbove = 1024, now = Date.now }: CloudflareR2DriverOptions): StoreDriver {
  if (!binding || typeof binding.get !== 'function' || typeof binding.put !== 'function' || typeof binding.list !== 'function') {
    throw memoryError('VALIDATION', 'cloudflareR2Driver: `binding` is not an R2 bucket binding')
  }
  const expired = (meta: Record<string, string> | undefined): boolean => meta?.e !== undefined && Number(meta.e) <= now()

  const read = async (key: string): Promise<Uint8Array | null> => {
    const object = await binding.get(key)
    if (!object || expired(object.customMetadata)) return null
    const raw = new Uint8Array(await object.arrayBuffer())
    return object.customMetadata?.enc === 'gzip' ? gunzip(raw) : raw
  }
  const write = async (key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> => {
    const customMetadata: Record<string, string> = {}
    if (ttlSeconds !== undefined) customMetadata.e = String(now() + ttlSeconds * 1000)
    let body: Uint8Array = value.slice()
    if (compressAbove !== false && value.byteLength > compressAbove) {
      const packed = await gzip(value)
      // Incompressible bytes (vectors, already-packed blobs) are stored as they are.
      if (packed.byteLength < value.byteLength) {
        body = packed
        customMetadata.enc = 'gzip'
      }
    }
    await binding.put(key, body, { customMetadata })
  }
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (e) {
      throw asMemoryError(e, 'STORAGE', `R2 ${what} failed`)
    }
  }

  return {
    name: 'cloudflare-r2',
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
      const request: Parameters<R2BucketLike['list']>[0] = {
        prefix,
        limit: Math.min(options.limit ?? R2_MAX_LIST, R2_MAX_LIST),
        include: ['customMetadata'],
      }
      if (options.cursor !== undefined) request.cursor = options.cursor
      const page = await guard('list', () => binding.list(request))
      const keys = page.objects.filter((o) => !expired(o.customMetadata)).map((o) => o.key)
      return page.truncated && page.cursor ? { keys, cursor: page.cursor } : { keys }
    },
  }
}

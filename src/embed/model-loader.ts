/**
 * Model files by URL: from a cache when possible, else downloaded with progress events, checked against
 * an optional sha256, then cached. Every failure is an EMBEDDING error naming the URL and the reason.
 */
import { isMemoryError, memoryError } from '../core/errors.js'
import { embedRuntime } from './env.js'

/** Anything with R2's shape works as a cache (an R2 bucket, a KV wrapper, a Map-backed fake). */
export interface ModelCache {
  get(key: string): Promise<ArrayBuffer | Uint8Array | { arrayBuffer(): Promise<ArrayBuffer> } | null | undefined>
  put(key: string, value: Uint8Array): Promise<unknown>
}

/** One step of a model download. */
export interface DownloadProgress {
  url: string
  /** Bytes received so far. */
  loaded: number
  /** Bytes expected (Content-Length), when the server says. */
  total: number | undefined
  /** The bytes came from the cache, not the network. */
  fromCache: boolean
  done: boolean
}

/** How model files are fetched and kept. */
export interface ModelLoadOptions {
  /**
   * Where downloads are kept: `'auto'` is a directory in Node (`$ENGRAM_CACHE_DIR`, else
   * `~/.cache/engram/models`) and Cache Storage in browsers and Workers; a string is a directory (Node);
   * an object with `get`/`put` (an R2 bucket) is used as is; `'none'` always downloads.
   * @default 'auto'
   */
  cache?: 'auto' | 'none' | string | ModelCache
  /** Called as bytes arrive (and once for a cache hit). */
  onProgress?: (progress: DownloadProgress) => void
  signal?: AbortSignal
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch
}

export interface ModelFile {
  url: string | URL
  /** Expected sha256 (hex) of the bytes; a mismatch is an error and nothing is cached. */
  sha256?: string | undefined
  /** What the file is, for messages ("model", "tokenizer"). */
  label: string
}

/** Loads one file, honouring cache, progress, integrity and abort. */
export async function loadModelFile(file: ModelFile, options: ModelLoadOptions = {}): Promise<Uint8Array> {
  const url = String(file.url)
  const want = file.sha256?.toLowerCase()
  if (want !== undefined && !/^[0-9a-f]{64}$/.test(want)) {
    throw memoryError('VALIDATION', `The sha256 of the ${file.label} must be 64 hex characters, got "${file.sha256}"`)
  }
  checkAborted(options.signal)
  if (url.startsWith('file:') || (embedRuntime.isNode && !/^[a-z][a-z0-9+.-]*:/i.test(url))) {
    const bytes = await readLocal(url, file.label)
    if (want) await verify(bytes, want, file.label, url)
    options.onProgress?.({ url, loaded: bytes.length, total: bytes.length, fromCache: false, done: true })
    return bytes
  }
  const cache = await resolveCache(options.cache ?? 'auto')
  const key = want ? `${url}#sha256=${want}` : url
  if (cache) {
    const hit = await readCache(cache, key)
    if (hit && (!want || (await sha256Hex(hit)) === want)) {
      options.onProgress?.({ url, loaded: hit.length, total: hit.length, fromCache: true, done: true })
      return hit
    }
  }
  const bytes = await download(url, file.label, options)
  if (want) await verify(bytes, want, file.label, url)
  if (cache) {
    // A cache that cannot store (quota, read-only disk) costs a later download, not this load.
    await cache.put(key, bytes).catch(() => undefined)
  }
  return bytes
}

async function download(url: string, label: string, options: ModelLoadOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch
  let response: Response
  try {
    response = await doFetch(url, options.signal ? { signal: options.signal } : {})
  } catch (e) {
    checkAborted(options.signal)
    throw memoryError('EMBEDDING', `Could not download the ${label} from ${url}: ${reason(e)}`, { cause: e, details: { url } })
  }
  if (!response.ok) {
    throw memoryError('EMBEDDING', `Could not download the ${label} from ${url}: HTTP ${response.status} ${response.statusText}`.trim(), {
      details: { url, status: response.status },
    })
  }
  const header = response.headers.get('content-length')
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : undefined
  const parts: Uint8Array[] = []
  let loaded = 0
  try {
    if (!response.body) {
      const all = new Uint8Array(await response.arrayBuffer())
      parts.push(all)
      loaded = all.length
    } else {
      const reader = response.body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        parts.push(value)
        loaded += value.length
        options.onProgress?.({ url, loaded, total, fromCache: false, done: false })
      }
    }
  } catch (e) {
    checkAborted(options.signal)
    throw memoryError('EMBEDDING', `The download of the ${label} from ${url} broke off after ${loaded} bytes: ${reason(e)}`, {
      cause: e,
      details: { url, loaded, total },
    })
  }
  if (total !== undefined && loaded !== total) {
    throw memoryError('EMBEDDING', `The ${label} from ${url} is truncated: got ${loaded} of ${total} bytes`, {
      details: { url, loaded, total },
    })
  }
  const bytes = concat(parts, loaded)
  options.onProgress?.({ url, loaded, total: total ?? loaded, fromCache: false, done: true })
  return bytes
}

async function verify(bytes: Uint8Array, want: string, label: string, url: string): Promise<void> {
  const got = await sha256Hex(bytes)
  if (got !== want) {
    throw memoryError('EMBEDDING', `The ${label} from ${url} does not match its checksum: sha256 ${got}, expected ${want}`, {
      details: { url, expected: want, actual: got },
    })
  }
}

/** Hex sha256 with Web Crypto (Node 20, browsers in secure contexts, Workers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle) throw memoryError('UNSUPPORTED', 'Checking a model checksum needs Web Crypto (crypto.subtle), absent here')
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]!.length === length) return parts[0]!
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

async function readCache(cache: ModelCache, key: string): Promise<Uint8Array | null> {
  try {
    const value = await cache.get(key)
    if (!value) return null
    if (value instanceof Uint8Array) return value
    if (value instanceof ArrayBuffer) return new Uint8Array(value)
    return new Uint8Array(await value.arrayBuffer())
  } catch {
    return null
  }
}

async function resolveCache(option: NonNullable<ModelLoadOptions['cache']>): Promise<ModelCache | null> {
  if (option === 'none') return null
  if (typeof option === 'object') {
    if (typeof option.get !== 'function' || typeof option.put !== 'function') {
      throw memoryError('VALIDATION', 'A model cache needs get(key) and put(key, bytes) methods')
    }
    return option
  }
  if (option !== 'auto') {
    if (!embedRuntime.isNode) throw memoryError('UNSUPPORTED', 'A cache directory works only in Node; pass a { get, put } cache instead')
    return directoryCache(option)
  }
  if (embedRuntime.isNode) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    const { homedir } = (await import(/* @vite-ignore */ 'node:os' as string)) as typeof import('node:os')
    const { join } = (await import(/* @vite-ignore */ 'node:path' as string)) as typeof import('node:path')
    return directoryCache(env?.ENGRAM_CACHE_DIR || join(homedir(), '.cache', 'engram', 'models'))
  }
  if (embedRuntime.hasCacheStorage) return cacheStorage('engram-models')
  return null
}

/** A directory of files named by the sha256 of their key (Node). */
export function directoryCache(dir: string): ModelCache {
  const fileFor = async (key: string) => {
    const { join } = (await import(/* @vite-ignore */ 'node:path' as string)) as typeof import('node:path')
    return join(dir, `${await sha256Hex(new TextEncoder().encode(key))}.bin`)
  }
  return {
    async get(key) {
      const fs = (await import(/* @vite-ignore */ 'node:fs/promises' as string)) as typeof import('node:fs/promises')
      try {
        return new Uint8Array(await fs.readFile(await fileFor(key)))
      } catch {
        return null
      }
    },
    async put(key, value) {
      const fs = (await import(/* @vite-ignore */ 'node:fs/promises' as string)) as typeof import('node:fs/promises')
      const file = await fileFor(key)
      await fs.mkdir(dir, { recursive: true })
      // Write then rename: a crash mid-write never leaves a half file under the real name.
      const tmp = `${file}.${Date.now()}-${Math.random().toString(36).slice(2)}.tmp`
      await fs.writeFile(tmp, value)
      await fs.rename(tmp, file)
    },
  }
}

/** Cache Storage (browsers, Workers), keyed by URL. */
export function cacheStorage(name: string): ModelCache {
  const keyUrl = (key: string) => `https://engram-model-cache.invalid/${encodeURIComponent(key)}`
  return {
    async get(key) {
      const cache = await caches.open(name)
      const response = await cache.match(keyUrl(key))
      return response ? new Uint8Array(await response.arrayBuffer()) : null
    },
    async put(key, value) {
      const cache = await caches.open(name)
      await cache.put(keyUrl(key), new Response(value as Uint8Array<ArrayBuffer>))
    },
  }
}

async function readLocal(url: string, label: string): Promise<Uint8Array> {
  if (!embedRuntime.isNode) throw memoryError('UNSUPPORTED', `The ${label} at ${url} is a local file; only Node reads those`)
  const fs = (await import(/* @vite-ignore */ 'node:fs/promises' as string)) as typeof import('node:fs/promises')
  const { fileURLToPath } = (await import(/* @vite-ignore */ 'node:url' as string)) as typeof import('node:url')
  const path = url.startsWith('file:') ? fileURLToPath(url) : url
  try {
    return new Uint8Array(await fs.readFile(path))
  } catch (e) {
    throw memoryError('EMBEDDING', `Could not read the ${label} at ${path}: ${reason(e)}`, { cause: e, details: { path } })
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw memoryError('ABORTED', 'Loading the model was aborted', { cause: signal.reason })
}

function reason(e: unknown): string {
  if (isMemoryError(e)) return e.message
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message
  }
  return String(e)
}

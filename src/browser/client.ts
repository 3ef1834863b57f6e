/**
 * The page side: `createMemory({ worker: true })` starts the engine in a Web Worker and returns the same
 * Memory API, proxied through Comlink. Signals, progress callbacks, events and export/import streams are
 * carried across; a MemoryError keeps its code and cause.
 */
import { proxy, type Remote, releaseProxy, wrap } from 'comlink'
import { isMemoryError, memoryError } from '../core/errors.js'
import { Emitter } from '../core/events.js'
import { silentLogger } from '../core/log.js'
import type { ExportedRecord, Logger, Memory, MemoryEvent, MemoryEventHandler, MemoryEventName } from '../core/types.js'
import type { AuditEvent, ExportAuditOptions } from '../security/audit.js'
import {
  type ExportItem,
  type ExportKind,
  type ExportRequest,
  exposeMemory,
  REMOTE_METHODS,
  type RemoteMethod,
  type StorageStatus,
  type WorkerHost,
} from './expose.js'
import type { BrowserMemoryConfig, OpenedInfo, StartupProgress } from './open.js'
import { registerTransferHandlers } from './transfer.js'

export interface BrowserMemoryOptions extends BrowserMemoryConfig {
  /**
   * `true` runs engram's own worker (`engram/worker-entry`); a Worker you started must call
   * `exposeMemory()`; `false` runs the engine in this page (same API, no worker).
   * @default true
   */
  worker?: boolean | Worker
  /** Ask the browser to keep this site's storage under pressure (`navigator.storage.persist()`). @default true */
  persist?: boolean
  /**
   * Resolve at once and open in the background, so the page is interactive while the model and index
   * load; every call waits for the memory (`ready` tells when it is there, or why it failed).
   * @default true
   */
  lazy?: boolean
  /** Start-up progress (model download, index load). */
  onProgress?: (progress: StartupProgress) => void
  logger?: Logger
}

export interface BrowserOpenedInfo extends OpenedInfo {
  /** The store existed before and the browser has since deleted it (storage pressure). */
  evicted: boolean
  /** Whether the browser granted persistent storage. */
  persisted: boolean | undefined
}

/** The Memory API from the page, plus what a browser app needs around it. */
export interface BrowserMemory extends Memory {
  /** Resolves when the memory has opened (model and index loaded); rejects with why it could not. */
  readonly ready: Promise<BrowserOpenedInfo>
  /** Replay what other tabs wrote (normally automatic). Returns how many log entries were applied. */
  refresh(): Promise<number>
  /** Wait until every queued write is durable. */
  flush(): Promise<void>
  /** The memory's embedder, for apps that want vectors (moved, not copied, across the boundary). */
  embed(texts: string[]): Promise<Float32Array[]>
  /** Usage, quota, persistence, and whether the browser evicted the store. */
  storage(): Promise<StorageStatus & { evicted: boolean }>
  /** The audit trail as events, oldest first (no content), read from the worker a page at a time. */
  exportAudit(options?: ExportAuditOptions): AsyncIterable<AuditEvent>
  /** Stop the worker at once, without closing cleanly (what a crash or a closed tab does). */
  terminate(): void
}

/**
 * Open a memory in the browser.
 * @example
 * import { createMemory } from 'engram/worker'
 * const mem = await createMemory({ worker: true, namespace: 'user-42' })
 * await mem.store('User prefers morning meetings', { type: 'preference' })
 * const hits = await mem.recall('when to meet?')
 */
export async function createMemory(options: BrowserMemoryOptions = {}): Promise<BrowserMemory> {
  if (typeof options !== 'object' || options === null) throw memoryError('VALIDATION', 'createMemory options must be an object')
  registerTransferHandlers()
  const memory = new RemoteMemory(options)
  if (options.lazy === false) await memory.ready
  return memory
}

/** Methods forwarded as they are; the rest of the Memory API needs care (streams, callbacks, lifetime). */
type Forwarded = Exclude<keyof Memory, 'namespace' | 'export' | 'import' | 'on' | 'off' | 'close'>
// Compile-time guard: a method added to Memory but missing from REMOTE_METHODS fails here.
const everyMethodForwarded: [Exclude<Forwarded, RemoteMethod>] extends [never] ? true : Exclude<Forwarded, RemoteMethod> = true

const EXPORT_PAGE = 256
const IMPORT_CHUNK = 256

// The forwarded methods are installed on the prototype from REMOTE_METHODS (see the end of the class).
// biome-ignore lint/correctness/noUnusedVariables: merged into the class below, which installs exactly those methods
interface RemoteMemory extends Pick<Memory, Forwarded> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
class RemoteMemory implements BrowserMemory {
  readonly namespace: string
  readonly ready: Promise<BrowserOpenedInfo>
  readonly #remote: Remote<WorkerHost>
  readonly #terminate: () => void
  readonly #events: Emitter
  readonly #gone: Promise<never>
  #fail!: (e: unknown) => void
  #closed = false
  #nextAbort = 1
  #evicted = false

  constructor(options: BrowserMemoryOptions) {
    const { worker = true, persist = true, lazy: _lazy, onProgress, logger, ...config } = options
    this.namespace = config.namespace ?? 'default'
    this.#events = new Emitter(logger ?? silentLogger)
    this.#gone = new Promise<never>((_, reject) => {
      this.#fail = reject
    })
    this.#gone.catch(() => undefined)
    const { endpoint, terminate } = startEndpoint(worker, (e) => this.#fail(e))
    this.#remote = wrap<WorkerHost>(endpoint)
    this.#terminate = terminate
    const onEvent = proxy((event: MemoryEvent) => this.#events.emit(event))
    const progress = onProgress ? proxy(onProgress) : undefined
    const persisted = persist ? requestPersistence() : Promise.resolve(undefined)
    this.ready = this.#race(this.#remote.open(config, onEvent, progress)).then(async (info) => {
      this.#evicted = checkEviction(config, info.created)
      if (this.#evicted) logger?.warn('engram: the browser deleted this memory store since the last visit (storage pressure)', { ...info })
      return { ...info, evicted: this.#evicted, persisted: await persisted }
    })
    this.ready.catch(() => undefined)
  }

  // ---------------------------------------------------------------- the Memory API
  // store, recall, update, forget, ... are added to the prototype below, one per REMOTE_METHODS entry.

  async embed(texts: string[]): Promise<Float32Array[]> {
    await this.#whenOpen()
    return this.#race(this.#remote.embed(texts))
  }

  async storage(): Promise<StorageStatus & { evicted: boolean }> {
    await this.#whenOpen()
    return { ...(await this.#race(this.#remote.storage())), evicted: this.#evicted }
  }

  export(options: { includeEmbeddings?: boolean } = {}): AsyncIterable<ExportedRecord> {
    return this.#pages({ ...options, kind: 'records' })
  }

  exportAudit(options: ExportAuditOptions = {}): AsyncIterable<AuditEvent> {
    return this.#pages({ ...options, kind: 'audit' })
  }

  /** An export stream read from the worker a page at a time; leaving the loop early ends it there too. */
  async *#pages<K extends ExportKind>(request: ExportRequest & { kind: K }): AsyncGenerator<ExportItem<K>> {
    await this.#whenOpen()
    let cursor = 0
    let done = false
    try {
      while (!done) {
        const page = await this.#race(this.#remote.exportPage(cursor, request, EXPORT_PAGE))
        cursor = page.cursor
        done = page.done
        yield* page.items as ExportItem<K>[]
      }
    } finally {
      if (!done && cursor !== 0 && !this.#closed) await this.#remote.exportClose(cursor).catch(() => undefined)
    }
  }

  async import(
    source: Iterable<ExportedRecord> | AsyncIterable<ExportedRecord> | string,
    options: { onProgress?: (p: { done: number }) => void; signal?: AbortSignal } = {},
  ): Promise<{ imported: number }> {
    if (typeof source === 'string' || !isIterable(source)) {
      // A JSON/JSONL string goes as it is; anything else is for the memory to reject.
      return this.#call('import', [source, options])
    }
    await this.#whenOpen()
    const iterator = (Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()) as
      | AsyncIterator<ExportedRecord>
      | Iterator<ExportedRecord>
    const pull = proxy(async () => {
      const chunk: ExportedRecord[] = []
      while (chunk.length < IMPORT_CHUNK) {
        const next = await iterator.next()
        if (next.done) break
        chunk.push(next.value)
      }
      return chunk.length > 0 ? chunk : null
    })
    return this.#withAbort(options.signal, (abortId) =>
      this.#remote.importFrom(pull, abortId, options.onProgress ? proxy(options.onProgress) : undefined),
    )
  }

  on(event: MemoryEventName | '*', handler: MemoryEventHandler): () => void {
    return this.#events.on(event, handler)
  }

  off(event: MemoryEventName | '*', handler: MemoryEventHandler): void {
    this.#events.off(event, handler)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    try {
      await this.ready.catch(() => undefined)
      await this.#race(this.#remote.close()).catch(() => undefined)
    } finally {
      this.#shutdown('The memory is closed')
    }
  }

  terminate(): void {
    this.#shutdown('The memory worker was terminated')
  }

  // ---------------------------------------------------------------- plumbing

  #shutdown(reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#fail(memoryError('CLOSED', reason))
    this.#events.clear()
    this.#remote[releaseProxy]()
    this.#terminate()
  }

  async #whenOpen(): Promise<void> {
    if (this.#closed) throw memoryError('CLOSED', `Memory '${this.namespace}' is closed`)
    await this.ready
  }

  /** Settles with the worker's answer, or rejects when the worker dies or is terminated meanwhile. */
  #race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.#gone]).catch((e: unknown) => {
      throw asCallError(e)
    })
  }

  /** Forward one Memory method to the worker. */
  call<T>(method: RemoteMethod, args: unknown[]): Promise<T> {
    return this.#call(method, args)
  }

  async #call<T>(method: RemoteMethod, args: unknown[]): Promise<T> {
    await this.#whenOpen()
    const last = args[args.length - 1]
    const options = isOptions(last) ? last : undefined
    const { signal, onProgress, ...rest } = (options ?? {}) as { signal?: AbortSignal; onProgress?: (p: unknown) => void }
    // Functions and signals cannot be cloned: strip them here, carry them as an abort id and a proxy.
    const params = options ? [...args.slice(0, -1), rest] : args
    return this.#withAbort(
      signal,
      (abortId) => this.#remote.call(method, params, abortId, onProgress ? proxy(onProgress) : undefined) as Promise<T>,
    )
  }

  async #withAbort<T>(signal: AbortSignal | undefined, run: (abortId: number | undefined) => Promise<T>): Promise<T> {
    if (!signal) return this.#race(run(undefined))
    if (signal.aborted) throw memoryError('ABORTED', 'The operation was aborted', { cause: signal.reason })
    const abortId = this.#nextAbort++
    const onAbort = () => void this.#remote.abort(abortId).catch(() => undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await this.#race(run(abortId))
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }
}

void everyMethodForwarded
for (const method of REMOTE_METHODS) {
  if (method === 'import') continue
  Object.defineProperty(RemoteMemory.prototype, method, {
    value(this: RemoteMemory, ...args: unknown[]) {
      return this.call(method, args)
    },
    writable: true,
    configurable: true,
  })
}

/** A dedicated worker, a worker given by the app, or the engine in this page over a MessageChannel. */
function startEndpoint(worker: boolean | Worker, onDeath: (e: unknown) => void): { endpoint: Worker | MessagePort; terminate: () => void } {
  if (worker === false) {
    const { port1, port2 } = new MessageChannel()
    exposeMemory({ endpoint: port1 })
    return {
      endpoint: port2,
      terminate: () => {
        port1.close()
        port2.close()
      },
    }
  }
  if (worker !== true && !(typeof Worker === 'function' && worker instanceof Worker)) {
    throw memoryError('VALIDATION', '`worker` must be true, false or a Worker')
  }
  if (worker === true && typeof Worker !== 'function')
    throw memoryError('UNSUPPORTED', 'Web Workers are not available here; pass worker: false')
  const instance =
    worker === true ? new Worker(new URL('../../worker/browser.js', import.meta.url), { type: 'module', name: 'engram' }) : worker
  instance.addEventListener('error', (event) => {
    const message = event instanceof ErrorEvent && event.message ? event.message : 'the worker script failed to load or crashed'
    onDeath(memoryError('INTERNAL', `The engram worker failed: ${message}`))
  })
  return { endpoint: instance, terminate: () => instance.terminate() }
}

function asCallError(e: unknown): unknown {
  if (isMemoryError(e)) return e
  if (e instanceof DOMException && e.name === 'DataCloneError') {
    return memoryError(
      'VALIDATION',
      `An argument cannot be sent to the worker (functions, class instances and DOM objects cannot): ${e.message}`,
      {
        cause: e,
      },
    )
  }
  return e
}

function isOptions(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && ('signal' in value || 'onProgress' in value)
}

function isIterable(value: unknown): value is Iterable<ExportedRecord> | AsyncIterable<ExportedRecord> {
  return typeof value === 'object' && value !== null && (Symbol.iterator in value || Symbol.asyncIterator in value)
}

async function requestPersistence(): Promise<boolean | undefined> {
  const storage = globalThis.navigator?.storage
  try {
    if (storage?.persisted && (await storage.persisted())) return true
    // persist() exists only in windows; the browser may grant it silently, ask the user, or refuse.
    return storage?.persist ? await storage.persist() : undefined
  } catch {
    return undefined
  }
}

/**
 * Browsers evict IndexedDB under storage pressure but keep cookies, so a cookie that says "a store was
 * here" next to a store that had to be created means the browser deleted it.
 */
function checkEviction(config: BrowserMemoryConfig, created: boolean): boolean {
  if (config.storage === 'memory' || typeof document === 'undefined') return false
  const name = `engram-store-${encodeURIComponent(`${config.bucket?.name ?? ''}.${config.database ?? 'engram'}`).replace(/%/g, '_')}`
  const existed = document.cookie.split('; ').some((c) => c.startsWith(`${name}=`))
  try {
    // biome-ignore lint/suspicious/noDocumentCookie: one cookie, written where the async Cookie Store API may be missing
    document.cookie = `${name}=1; max-age=${10 * 365 * 24 * 3600}; path=/; SameSite=Strict`
  } catch {
    // Cookies disabled: eviction cannot be told from a first visit.
  }
  return created && existed
}

/**
 * The worker side: hosts one memory and serves it to the page through Comlink. `worker/browser.ts` is
 * this with the default factory; an app that needs its own embedder writes a three-line worker calling
 * `exposeMemory({ create })`.
 */
import { type Endpoint, expose } from 'comlink'
import { memoryError } from '../core/errors.js'
import type { EngramMemory } from '../core/memory.js'
import type { ExportedRecord, MemoryEvent } from '../core/types.js'
import type { AuditEvent, ExportAuditOptions } from '../security/audit.js'
import {
  type BrowserMemoryConfig,
  type OpenedInfo,
  type OpenedMemory,
  type OpenHooks,
  openBrowserMemory,
  type StartupProgress,
} from './open.js'
import { registerTransferHandlers } from './transfer.js'

/** Memory methods the page may call through {@link WorkerHost.call}. */
export const REMOTE_METHODS = [
  'store',
  'storeBatch',
  'recall',
  'get',
  'find',
  'list',
  'count',
  'update',
  'history',
  'forget',
  'stats',
  'health',
  'optimize',
  'snapshot',
  'snapshots',
  'rollback',
  'refresh',
  'flush',
  'consolidate',
  'summarize',
  'context',
  'recallMany',
  'recent',
  'feedback',
  'related',
  'report',
  'forgetSubject',
  'verifyAudit',
  'rotateKey',
  'import',
] as const
export type RemoteMethod = (typeof REMOTE_METHODS)[number]

/** Storage facts for the page (which can compare `created` with what it remembers to detect eviction). */
export interface StorageStatus {
  created: boolean
  usage?: number
  quota?: number
  persisted?: boolean
}

/** The streams the page reads a page at a time: `export()` and `exportAudit()`. */
export type ExportRequest = ({ kind: 'records' } & { includeEmbeddings?: boolean }) | ({ kind: 'audit' } & ExportAuditOptions)
export type ExportKind = ExportRequest['kind']
export type ExportItem<K extends ExportKind> = K extends 'audit' ? AuditEvent : ExportedRecord

/** What the worker exposes. The page-side client is the only intended caller. */
export interface WorkerHost {
  open(
    config: BrowserMemoryConfig,
    onEvent: (event: MemoryEvent) => void,
    onProgress?: (progress: StartupProgress) => void,
  ): Promise<OpenedInfo>
  call(method: RemoteMethod, args: unknown[], abortId?: number, onProgress?: (p: unknown) => void): Promise<unknown>
  abort(abortId: number): void
  /** Next page of an export (records, or the audit trail); `cursor` 0 starts one. */
  exportPage<K extends ExportKind>(
    cursor: number,
    request: ExportRequest & { kind: K },
    max: number,
  ): Promise<{ cursor: number; items: ExportItem<K>[]; done: boolean }>
  exportClose(cursor: number): Promise<void>
  /** Import records pulled from the page chunk by chunk (null ends). */
  importFrom(
    pull: () => Promise<ExportedRecord[] | null>,
    abortId?: number,
    onProgress?: (p: { done: number }) => void,
  ): Promise<{ imported: number }>
  embed(texts: string[]): Promise<Float32Array[]>
  storage(): Promise<StorageStatus>
  close(): Promise<void>
}

export interface ExposeOptions {
  /** Builds the memory from the page's config. @default openBrowserMemory */
  create?: (config: BrowserMemoryConfig, hooks: OpenHooks) => Promise<OpenedMemory>
  /** @default self */
  endpoint?: Endpoint
}

/**
 * Serve a memory from this worker.
 * @example
 * // my-worker.ts
 * import { exposeMemory, openBrowserMemory } from 'engram/worker'
 * exposeMemory({ create: (config, hooks) => openBrowserMemory({ ...config, embedder: { kind: 'use-lite', model: 'use-lite' } }, hooks) })
 */
export function exposeMemory(options: ExposeOptions = {}): WorkerHost {
  registerTransferHandlers()
  const create = options.create ?? openBrowserMemory
  let opened: OpenedMemory | undefined
  let opening: Promise<OpenedMemory> | undefined
  const controllers = new Map<number, AbortController>()
  const exports = new Map<number, AsyncIterator<unknown>>()
  let nextCursor = 1

  const memory = async (): Promise<EngramMemory> => {
    if (!opening) throw memoryError('CLOSED', 'The memory is not open in this worker')
    return (await opening).memory
  }
  const withSignal = async <T>(abortId: number | undefined, fn: (signal?: AbortSignal) => Promise<T>): Promise<T> => {
    if (abortId === undefined) return fn()
    const controller = new AbortController()
    controllers.set(abortId, controller)
    try {
      return await fn(controller.signal)
    } finally {
      controllers.delete(abortId)
    }
  }
  // A callback proxied from the page: fire and forget (the page may be gone).
  const notify =
    <T>(fn: ((value: T) => unknown) | undefined) =>
    (value: T) => {
      if (fn) void Promise.resolve(fn(value)).catch(() => undefined)
    }

  const host: WorkerHost = {
    async open(config, onEvent, onProgress) {
      if (opening) throw memoryError('CONFLICT', 'This worker already hosts a memory')
      const hooks: OpenHooks = {}
      if (onProgress) hooks.onProgress = notify(onProgress)
      opening = create(config, hooks)
      try {
        opened = await opening
      } catch (e) {
        opening = undefined
        throw e
      }
      opened.memory.on('*', notify(onEvent))
      return opened.info
    },
    async call(method, args, abortId, onProgress) {
      if (!REMOTE_METHODS.includes(method)) throw memoryError('VALIDATION', `Unknown memory method '${String(method)}'`)
      const mem = await memory()
      return withSignal(abortId, async (signal) => {
        const params = [...args]
        if (signal || onProgress) {
          // Options are the last argument of every method that takes a signal or onProgress.
          const last = params.length > 0 && isPlainObject(params[params.length - 1]) ? (params.pop() as object) : {}
          params.push({ ...last, ...(signal ? { signal } : {}), ...(onProgress ? { onProgress: notify(onProgress) } : {}) })
        }
        const fn = (mem as unknown as Record<string, unknown>)[method]
        if (typeof fn !== 'function') throw memoryError('UNSUPPORTED', `This memory has no '${method}' method`)
        return (fn as (...a: unknown[]) => Promise<unknown>).apply(mem, params)
      })
    },
    abort(abortId) {
      controllers.get(abortId)?.abort(memoryError('ABORTED', 'Aborted by the page'))
    },
    async exportPage<K extends ExportKind>(cursor: number, request: ExportRequest & { kind: K }, max: number) {
      let iterator = exports.get(cursor)
      if (!iterator) {
        if (cursor !== 0) throw memoryError('NOT_FOUND', 'This export has ended')
        const mem = await memory()
        const stream = (r: ExportRequest) => {
          if (r.kind === 'audit') return mem.exportAudit(r.fromSeq === undefined ? {} : { fromSeq: r.fromSeq })
          if (r.kind === 'records') return mem.export(r.includeEmbeddings === undefined ? {} : { includeEmbeddings: r.includeEmbeddings })
          throw memoryError('VALIDATION', `Unknown export '${String((r as { kind: unknown }).kind)}'`)
        }
        iterator = stream(request)[Symbol.asyncIterator]()
        cursor = nextCursor++
        exports.set(cursor, iterator)
      }
      const items: ExportItem<K>[] = []
      while (items.length < max) {
        const next = await iterator.next()
        if (next.done) {
          exports.delete(cursor)
          return { cursor, items, done: true }
        }
        items.push(next.value as ExportItem<K>)
      }
      return { cursor, items, done: false }
    },
    async exportClose(cursor) {
      const iterator = exports.get(cursor)
      exports.delete(cursor)
      await iterator?.return?.()
    },
    async importFrom(pull, abortId, onProgress) {
      const mem = await memory()
      async function* pulled(): AsyncGenerator<ExportedRecord> {
        for (;;) {
          const chunk = await pull()
          if (!chunk) return
          yield* chunk
        }
      }
      return withSignal(abortId, (signal) =>
        mem.import(pulled(), { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress: notify(onProgress) } : {}) }),
      )
    },
    async embed(texts) {
      if (!opening) throw memoryError('CLOSED', 'The memory is not open in this worker')
      return (await opening).embedder.embed(texts)
    },
    async storage() {
      if (!opening) throw memoryError('CLOSED', 'The memory is not open in this worker')
      const current = await opening
      const [status, estimate] = await Promise.all([
        current.status?.() ?? { created: current.info.created },
        current.memory.stats().then((s) => s.storage ?? {}),
      ])
      return { ...estimate, created: status.created }
    },
    async close() {
      const current = opened
      opened = undefined
      for (const iterator of exports.values()) await iterator.return?.()
      exports.clear()
      if (current) await current.close()
      opening = Promise.reject(memoryError('CLOSED', 'The memory is closed'))
      opening.catch(() => undefined)
    },
  }
  expose(host, options.endpoint)
  return host
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

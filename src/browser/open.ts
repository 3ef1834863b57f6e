/**
 * Builds a whole memory inside the browser (normally in the Web Worker): IndexedDB store, embedder,
 * WASM index, and the multi-tab wiring. Configuration is plain data so that it can cross postMessage.
 */
import { createMemory, type EngramMemory, type MemoryInternals } from '../core/memory.js'
import type { CreateMemoryOptions, Limits, Logger, RankingOptions, VectorIndexFactory } from '../core/types.js'
import type { Embedder } from '../embed/embedder.js'
import type { DownloadProgress } from '../embed/model-loader.js'
import type { BuiltinModelName } from '../embed/models.js'
import type { EncryptionOptions } from '../security/encryption.js'
import type { RedactOptions } from '../security/redact.js'
import type { StoreDriver } from '../store/driver.js'
import { type IndexedDBStatus, indexedDBDriver, type StorageBucketOptions } from '../store/drivers/indexeddb.js'
import type { Quantization } from '../vector/vector-index.js'
import { type TabSync, tabSync } from './tabs.js'

/** The embedder built inside the worker. */
export type WorkerEmbedderConfig =
  | {
      kind: 'use-lite'
      /** @default 'use-lite-int8' */
      model?: BuiltinModelName
      /** Where the .onnx file is served (a bundler's asset URL). @default next to the package */
      modelUrl?: string
      vocabUrl?: string
      /** URL prefix of onnxruntime-web's .wasm files. @default next to ort's script */
      ortWasmPaths?: string
      /** More than one needs a cross-origin isolated page. @default 1 */
      threads?: number
    }
  /** The hashing embedder: FOR TESTS ONLY (no semantics). */
  | { kind: 'test'; dims?: number }

/** The vector index built inside the worker. */
export type WorkerIndexConfig =
  | { kind: 'usearch'; wasmUrl?: string; quantization?: Quantization; connectivity?: number; expansionSearch?: number }
  | { kind: 'flat' }

/** Everything needed to open a memory in the browser, as plain (cloneable) data. */
export interface BrowserMemoryConfig {
  /** @default 'default' */
  namespace?: string
  /** IndexedDB database name; many namespaces share one. @default 'engram' */
  database?: string
  /** Keep the data in a Storage Bucket of its own (Chromium). */
  bucket?: StorageBucketOptions
  /** 'memory' keeps nothing after the worker ends (tests, private sessions). @default 'indexeddb' */
  storage?: 'indexeddb' | 'memory'
  /** @default { kind: 'use-lite' } (USE-lite int8, offline) */
  embedder?: WorkerEmbedderConfig
  /** @default { kind: 'usearch' } */
  index?: WorkerIndexConfig
  /** Coordinate tabs: one writer at a time (Web Locks), others refresh on change (BroadcastChannel). @default true */
  multiTab?: boolean
  shortTermTtlMs?: number
  limits?: Partial<Limits>
  ranking?: Partial<RankingOptions>
  snapshotEvery?: number
  /**
   * Encrypt everything at rest: `{ passphrase }`, or `{ key }` with an AES-GCM/AES-KW CryptoKey of the app
   * (keys cross to the worker intact, non-extractable ones too). A wrong one rejects with `UNAUTHORIZED`.
   */
  encryption?: EncryptionOptions
  /** Redact PII before storage and embedding; custom patterns are RegExps. See docs/security.md. */
  redact?: boolean | RedactOptions
}

/** What the page learns when the memory has opened. */
export interface OpenedInfo {
  namespace: string
  /** The IndexedDB database was created by this open: a first visit, or a store the browser evicted. */
  created: boolean
  embedder: { id: string; dims: number }
}

/** Start-up steps reported to the page (model download, index load). */
export interface StartupProgress {
  phase: 'model' | 'index' | 'ready'
  loaded?: number
  total?: number
}

export interface OpenHooks {
  onProgress?: (progress: StartupProgress) => void
  logger?: Logger
}

export interface OpenedMemory {
  memory: EngramMemory
  embedder: Embedder
  info: OpenedInfo
  /** Status of the IndexedDB store, when there is one. */
  status?: () => Promise<IndexedDBStatus>
  close(): Promise<void>
}

/** Opens a memory from a {@link BrowserMemoryConfig}. Runs in a worker or, with `worker: false`, in the page. */
export async function openBrowserMemory(config: BrowserMemoryConfig, hooks: OpenHooks = {}): Promise<OpenedMemory> {
  const namespace = config.namespace ?? 'default'
  const database = config.database ?? 'engram'
  const idb = config.storage === 'memory' ? undefined : indexedDBDriver(withBucket({ name: database }, config.bucket))
  const store: StoreDriver = idb ?? (await import('../store/drivers/memory.js')).memoryDriver()
  // Open the store first: a missing or failing IndexedDB is reported before a model download starts.
  const status = idb ? await idb.status() : { created: true }
  const [embedder, index] = await Promise.all([buildEmbedder(config.embedder, hooks), buildIndexFactory(config.index)])
  hooks.onProgress?.({ phase: 'index' })
  const sync: TabSync | undefined =
    config.multiTab === false || !idb ? undefined : tabSync(`engram:${config.bucket?.name ?? ''}:${database}:${namespace}`)
  const options: CreateMemoryOptions & MemoryInternals = { namespace, store, embedder, index }
  if (sync?.lock) options.lock = sync.lock
  if (config.shortTermTtlMs !== undefined) options.shortTermTtlMs = config.shortTermTtlMs
  if (config.limits) options.limits = config.limits
  if (config.ranking) options.ranking = config.ranking
  if (config.snapshotEvery !== undefined) options.snapshotEvery = config.snapshotEvery
  if (config.encryption) options.encryption = config.encryption
  if (config.redact !== undefined) options.redact = config.redact
  if (hooks.logger) options.logger = hooks.logger
  const memory = await createMemory(options)
  sync?.attach(memory)
  hooks.onProgress?.({ phase: 'ready' })
  const opened: OpenedMemory = {
    memory,
    embedder,
    info: { namespace, created: status.created, embedder: { id: embedder.id, dims: embedder.dims } },
    async close() {
      sync?.close()
      await memory.close()
      await embedder.dispose?.()
    },
  }
  if (idb) opened.status = () => idb.status()
  return opened
}

function withBucket(options: { name: string }, bucket: StorageBucketOptions | undefined) {
  return bucket ? { ...options, bucket } : options
}

async function buildEmbedder(config: WorkerEmbedderConfig = { kind: 'use-lite' }, hooks: OpenHooks): Promise<Embedder> {
  if (config.kind === 'test') {
    const { createTestEmbedder } = await import('../embed/hashing.js')
    return createTestEmbedder(config.dims === undefined ? {} : { dims: config.dims })
  }
  const { createUseLiteEmbedder } = await import('../embed/use-lite.js')
  const { DEFAULT_MODEL } = await import('../embed/models.js')
  const progress = (p: DownloadProgress) => {
    const step: StartupProgress = { phase: 'model', loaded: p.loaded }
    if (p.total !== undefined) step.total = p.total
    hooks.onProgress?.(step)
  }
  return createUseLiteEmbedder({
    model: config.model ?? DEFAULT_MODEL,
    ...(config.modelUrl ? { modelUrl: config.modelUrl } : {}),
    ...(config.vocabUrl ? { vocabUrl: config.vocabUrl } : {}),
    runtime: {
      ...(config.ortWasmPaths ? { wasmPaths: config.ortWasmPaths } : {}),
      ...(config.threads ? { threads: config.threads } : {}),
    },
    load: { onProgress: progress },
  })
}

async function buildIndexFactory(config: WorkerIndexConfig = { kind: 'usearch' }): Promise<VectorIndexFactory> {
  if (config.kind === 'flat') {
    const { FlatIndex } = await import('../vector/flat.js')
    return ({ dims, from }) => (from ? FlatIndex.deserialize(from) : new FlatIndex({ dims }))
  }
  const { UsearchIndex, loadUsearchModule } = await import('../vector/usearch.js')
  // Compiled once; every (re)build of the index instantiates the same module.
  const module = await loadUsearchModule(config.wasmUrl)
  const expansion = config.expansionSearch === undefined ? {} : { expansionSearch: config.expansionSearch }
  return ({ dims, from }) =>
    from
      ? UsearchIndex.loadFrom(module, from, expansion)
      : UsearchIndex.createFrom(module, {
          dims,
          ...expansion,
          ...(config.quantization ? { quantization: config.quantization } : {}),
          ...(config.connectivity ? { connectivity: config.connectivity } : {}),
        })
}

/**
 * `engram/worker`: the browser entry. `createMemory({ worker: true })` runs the engine in a Web Worker
 * over IndexedDB; the rest is for apps that build their own worker or store.
 */
export type { BrowserMemory, BrowserMemoryOptions, BrowserOpenedInfo } from './browser/client.js'
export { createMemory } from './browser/client.js'
export type { ExposeOptions, StorageStatus, WorkerHost } from './browser/expose.js'
export { exposeMemory } from './browser/expose.js'
export type {
  BrowserMemoryConfig,
  OpenedInfo,
  OpenedMemory,
  OpenHooks,
  StartupProgress,
  WorkerEmbedderConfig,
  WorkerIndexConfig,
} from './browser/open.js'
export { openBrowserMemory } from './browser/open.js'
export { registerTransferHandlers } from './browser/transfer.js'
export type { MemoryErrorCode, SerializedMemoryError } from './core/errors.js'
export { deserializeMemoryError, ERROR_CODES, isMemoryError, MemoryError } from './core/errors.js'
export * from './core/types.js'
export type { IndexedDBDriver, IndexedDBDriverOptions, IndexedDBStatus, StorageBucketOptions } from './store/drivers/indexeddb.js'
export { indexedDBDriver } from './store/drivers/indexeddb.js'

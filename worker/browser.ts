/**
 * engram's Web Worker: hosts the whole engine (embedder, WASM index, IndexedDB) and serves the Memory API
 * to the page through Comlink. The page starts it with `createMemory({ worker: true })` from `engram/worker`.
 */
import { exposeMemory } from '../src/browser/expose.js'

exposeMemory()

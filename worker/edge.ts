/** Cloudflare Worker entry (wrangler.toml `main`): the Worker and its Durable Object class. */
import { edgeWorker, memoryObjectClass } from '../src/edge/memory-object.js'
import usearchWasm from '../wasm/usearch.wasm'

// workerd compiles imported .wasm at deploy time; a Worker may not compile wasm from bytes itself.
export const MemoryObject = memoryObjectClass({ usearchWasm })
export default edgeWorker

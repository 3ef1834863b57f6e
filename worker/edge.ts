/** Cloudflare Worker entry (wrangler.toml `main`): the Worker and its Durable Object class. */
import { edgeWorker } from '../src/edge/memory-object.js'

export { MemoryObject } from '../src/edge/memory-object.js'
export default edgeWorker

/** The embedder a memory uses when none is given. */
import type { Embedder } from '../embed/embedder.js'
import { createTestEmbedder } from '../embed/hashing.js'

export async function createDefaultEmbedder(): Promise<Embedder> {
  return createTestEmbedder()
}

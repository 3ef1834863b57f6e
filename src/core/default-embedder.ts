/** The embedder a memory uses when none is given: the offline USE-lite model (see src/embed/models.ts). */
import { createEmbedder } from '../embed/create.js'
import type { Embedder } from '../embed/embedder.js'

export async function createDefaultEmbedder(): Promise<Embedder> {
  return createEmbedder()
}

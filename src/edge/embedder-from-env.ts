/**
 * The edge embedder, chosen by the `EMBEDDER` var in wrangler.toml. Heavy embedders are imported
 * only when chosen, so a deployment that does not use ONNX does not pay for it at start-up.
 */
import { memoryError } from '../core/errors.js'
import type { Embedder } from '../embed/embedder.js'

export interface EmbedderEnv {
  /** 'hashing' | 'onnx' | 'remote'. @default 'hashing' */
  EMBEDDER?: string
  [key: string]: unknown
}

export async function embedderFromEnv(env: EmbedderEnv): Promise<Embedder> {
  const kind = env.EMBEDDER ?? 'hashing'
  if (kind === 'hashing') {
    const { createTestEmbedder } = await import('../embed/hashing.js')
    return createTestEmbedder({ dims: 256 })
  }
  throw memoryError('UNSUPPORTED', `EMBEDDER=${JSON.stringify(kind)} is not available in this build; use "hashing"`)
}

/**
 * The edge embedder, chosen by the `EMBEDDER` var in wrangler.toml:
 * - `remote`: an OpenAI-compatible `/v1/embeddings` service (`EMBEDDER_URL` up to /v1, `EMBEDDER_MODEL`,
 *   `EMBEDDER_DIMS`, key in the `EMBEDDER_API_KEY` secret);
 * - `workers-ai`: the Workers AI binding `AI` (`EMBEDDER_MODEL`, e.g. @cf/baai/bge-small-en-v1.5, `EMBEDDER_DIMS`);
 * - `hashing`: deterministic word hashing, no model: keyword-level similarity only (demos, tests).
 * Embedders are imported only when chosen, so an unused one costs nothing at start-up.
 */
import { memoryError } from '../core/errors.js'
import type { Embedder } from '../embed/embedder.js'
import type { WorkersAIBinding } from '../embed/remote.js'

export interface EmbedderEnv {
  /** 'hashing' | 'remote' | 'workers-ai'. @default 'hashing' */
  EMBEDDER?: string
  EMBEDDER_URL?: string
  EMBEDDER_MODEL?: string
  EMBEDDER_DIMS?: string
  EMBEDDER_API_KEY?: string
  AI?: WorkersAIBinding
  [key: string]: unknown
}

const KINDS = ['hashing', 'remote', 'workers-ai']

function required(env: EmbedderEnv, name: 'EMBEDDER_URL' | 'EMBEDDER_MODEL'): string {
  const value = env[name]
  if (typeof value !== 'string' || value === '') throw memoryError('VALIDATION', `EMBEDDER=${env.EMBEDDER} needs the ${name} var`)
  return value
}

function dims(env: EmbedderEnv): number {
  const n = Number(env.EMBEDDER_DIMS)
  if (!Number.isInteger(n) || n < 1)
    throw memoryError('VALIDATION', `EMBEDDER=${env.EMBEDDER} needs EMBEDDER_DIMS (the model's vector length)`)
  return n
}

export async function embedderFromEnv(env: EmbedderEnv): Promise<Embedder> {
  const kind = env.EMBEDDER || 'hashing'
  if (kind === 'hashing') {
    const { createTestEmbedder } = await import('../embed/hashing.js')
    return createTestEmbedder({ dims: 256 })
  }
  if (kind === 'remote') {
    const { createOpenAIEmbedder } = await import('../embed/remote.js')
    const options: Parameters<typeof createOpenAIEmbedder>[0] = {
      baseUrl: required(env, 'EMBEDDER_URL'),
      model: required(env, 'EMBEDDER_MODEL'),
      dims: dims(env),
    }
    if (env.EMBEDDER_API_KEY) options.apiKey = env.EMBEDDER_API_KEY
    return createOpenAIEmbedder(options)
  }
  if (kind === 'workers-ai') {
    if (!env.AI || typeof env.AI.run !== 'function')
      throw memoryError('VALIDATION', 'EMBEDDER=workers-ai needs an [ai] binding named AI in wrangler.toml')
    const { createWorkersAIEmbedder } = await import('../embed/remote.js')
    return createWorkersAIEmbedder({ ai: env.AI, model: required(env, 'EMBEDDER_MODEL'), dims: dims(env) })
  }
  throw memoryError(
    kind === 'onnx' ? 'UNSUPPORTED' : 'VALIDATION',
    kind === 'onnx'
      ? 'EMBEDDER=onnx is not wired into the Worker yet: the ONNX runtime wasm (3.7 MB gzipped) exceeds the free plan bundle; use "remote" or "workers-ai"'
      : `Unknown EMBEDDER ${JSON.stringify(kind)}: use one of ${KINDS.join(', ')}`,
  )
}

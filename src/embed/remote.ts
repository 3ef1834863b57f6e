/**
 * Embedders that call a service instead of running a model in-process: an OpenAI-compatible
 * `/v1/embeddings` endpoint (OpenAI, Azure-style proxies, Ollama, vLLM, LM Studio...) and the Cloudflare
 * Workers AI binding, for edges that should not run ONNX themselves. Vectors are checked for length and
 * L2-normalized; every failure is an EMBEDDING error with the HTTP status in `details`.
 */
import { isMemoryError, memoryError } from '../core/errors.js'
import type { Embedder, EmbedOptions } from './embedder.js'
import { checkSignal, checkTexts, DEFAULT_MAX_TEXT_LENGTH, l2normalize } from './validate.js'

interface RemoteCommon {
  /** Vector length the model returns (checked on every response). */
  dims: number
  /** Stored with every vector. */
  id?: string
  /** Texts per request. */
  batchSize?: number
  /** Prepended to queries (`kind: 'query'`). */
  queryPrefix?: string
  /** Prepended to passages (the default kind). */
  passagePrefix?: string
  /** @default 200000 */
  maxTextLength?: number
}

/** Options of {@link createOpenAIEmbedder}. */
export interface OpenAIEmbedderOptions extends RemoteCommon {
  /** Model name sent to the service, e.g. 'text-embedding-3-small'. */
  model: string
  /** Base URL up to /v1. @default 'https://api.openai.com/v1' */
  baseUrl?: string
  /** Sent as `Authorization: Bearer ...`. */
  apiKey?: string
  /** Extra headers (an org id, a proxy key). */
  headers?: Record<string, string>
  /** Ask the service for `dims` dimensions (models with Matryoshka shortening: text-embedding-3-*). @default false */
  sendDimensions?: boolean
  /** @default globalThis.fetch */
  fetch?: typeof fetch
}

/**
 * @example
 * const embedder = createOpenAIEmbedder({ model: 'text-embedding-3-small', dims: 1536, apiKey: env.OPENAI_API_KEY })
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  checkCommon(options, 'createOpenAIEmbedder')
  if (typeof options.model !== 'string' || options.model === '') throw memoryError('VALIDATION', 'createOpenAIEmbedder: model is required')
  const endpoint = `${(options.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '')}/embeddings`
  const doFetch = options.fetch ?? globalThis.fetch
  const call = async (texts: string[], signal: AbortSignal | undefined): Promise<number[][]> => {
    const body: Record<string, unknown> = { model: options.model, input: texts, encoding_format: 'float' }
    if (options.sendDimensions) body.dimensions = options.dims
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`
    let response: Response
    try {
      response = await doFetch(endpoint, { method: 'POST', headers, body: JSON.stringify(body), ...(signal ? { signal } : {}) })
    } catch (e) {
      checkSignal(signal)
      throw memoryError('EMBEDDING', `The embedding service at ${endpoint} is unreachable: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      })
    }
    const text = await response.text().catch(() => '')
    let json: unknown = null
    try {
      json = JSON.parse(text)
    } catch {}
    if (!response.ok) {
      const message = (json as { error?: { message?: string } } | null)?.error?.message ?? text.slice(0, 200)
      throw memoryError('EMBEDDING', `The embedding service at ${endpoint} answered HTTP ${response.status}: ${message}`, {
        details: { status: response.status },
      })
    }
    const data = (json as { data?: { embedding?: unknown; index?: unknown }[] } | null)?.data
    if (!Array.isArray(data) || data.length !== texts.length) {
      throw memoryError(
        'EMBEDDING',
        `The embedding service at ${endpoint} returned ${Array.isArray(data) ? data.length : 'no'} vectors for ${texts.length} texts`,
      )
    }
    const ordered = new Array<number[]>(texts.length)
    data.forEach((item, i) => {
      const at = typeof item.index === 'number' ? item.index : i
      if (!Array.isArray(item.embedding) || at < 0 || at >= texts.length) {
        throw memoryError('EMBEDDING', `The embedding service at ${endpoint} returned a malformed item`)
      }
      ordered[at] = item.embedding as number[]
    })
    return ordered
  }
  return remoteEmbedder(options, options.id ?? `openai:${options.model}`, 96, call)
}

/** The `env.AI` binding of a Cloudflare Worker. */
export interface WorkersAIBinding {
  run(model: string, input: { text: string[] }): Promise<unknown>
}

/** Options of {@link createWorkersAIEmbedder}. */
export interface WorkersAIEmbedderOptions extends RemoteCommon {
  /** The binding (`env.AI`). */
  ai: WorkersAIBinding
  /** e.g. '@cf/baai/bge-small-en-v1.5' (384 dims) or '@cf/baai/bge-base-en-v1.5' (768). */
  model: string
}

/**
 * @example
 * const embedder = createWorkersAIEmbedder({ ai: env.AI, model: '@cf/baai/bge-small-en-v1.5', dims: 384 })
 */
export function createWorkersAIEmbedder(options: WorkersAIEmbedderOptions): Embedder {
  checkCommon(options, 'createWorkersAIEmbedder')
  if (!options.ai || typeof options.ai.run !== 'function')
    throw memoryError('VALIDATION', 'createWorkersAIEmbedder: ai must be the Workers AI binding')
  if (typeof options.model !== 'string' || options.model === '')
    throw memoryError('VALIDATION', 'createWorkersAIEmbedder: model is required')
  const call = async (texts: string[]): Promise<number[][]> => {
    let result: unknown
    try {
      result = await options.ai.run(options.model, { text: texts })
    } catch (e) {
      throw memoryError('EMBEDDING', `Workers AI ${options.model} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
    }
    const data = (result as { data?: unknown } | null)?.data
    if (!Array.isArray(data) || data.length !== texts.length) {
      throw memoryError(
        'EMBEDDING',
        `Workers AI ${options.model} returned ${Array.isArray(data) ? data.length : 'no'} vectors for ${texts.length} texts`,
      )
    }
    return data as number[][]
  }
  return remoteEmbedder(options, options.id ?? `workers-ai:${options.model}`, 100, call)
}

function remoteEmbedder(
  options: RemoteCommon,
  id: string,
  defaultBatch: number,
  call: (texts: string[], signal: AbortSignal | undefined) => Promise<number[][]>,
): Embedder {
  const batchSize = options.batchSize ?? defaultBatch
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH
  return {
    id,
    dims: options.dims,
    async embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
      checkTexts(texts, maxTextLength)
      const { signal } = embedOptions
      const prefix = (embedOptions.kind === 'query' ? options.queryPrefix : options.passagePrefix) ?? ''
      const out: Float32Array[] = []
      for (let i = 0; i < texts.length; i += batchSize) {
        checkSignal(signal)
        const batch = texts.slice(i, i + batchSize).map((t) => prefix + t)
        try {
          for (const v of await call(batch, signal)) out.push(toVector(v, options.dims, id))
        } catch (e) {
          if (isMemoryError(e)) throw e
          throw memoryError('EMBEDDING', `${id} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
        }
      }
      return out
    },
  }
}

function toVector(values: unknown, dims: number, id: string): Float32Array {
  if (!Array.isArray(values) || values.length !== dims) {
    throw memoryError(
      'EMBEDDING',
      `${id} returned a vector of ${Array.isArray(values) ? values.length : 'no'} dimensions, expected ${dims}`,
    )
  }
  const v = Float32Array.from(values as number[])
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw memoryError('EMBEDDING', `${id} returned a non-finite value`)
  }
  return l2normalize(v)
}

function checkCommon(options: RemoteCommon, fn: string): void {
  if (!options || typeof options !== 'object') throw memoryError('VALIDATION', `${fn} takes an options object`)
  if (!Number.isInteger(options.dims) || options.dims < 1) throw memoryError('VALIDATION', `${fn}: dims must be a positive integer`)
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw memoryError('VALIDATION', `${fn}: batchSize must be a positive integer`)
  }
}

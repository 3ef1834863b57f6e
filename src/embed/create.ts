/** `createEmbedder()`: the one way to get a text embedder that runs in-process on onnxruntime-web. */
import { memoryError } from '../core/errors.js'
import { type BertModelConfig, checkBertConfig, createBertEmbedder } from './bert.js'
import type { Embedder } from './embedder.js'
import type { DownloadProgress, ModelCache } from './model-loader.js'
import { BUILTIN_MODELS, type BuiltinModelName, DEFAULT_MODEL } from './models.js'
import type { OnnxRuntimeOptions } from './onnx.js'
import { createUseLiteEmbedder } from './use-lite.js'

export type EmbedderModel = BuiltinModelName | BertModelConfig

/** Options of {@link createEmbedder}. */
export interface CreateEmbedderOptions extends OnnxRuntimeOptions {
  /**
   * A built-in model that works offline — Universal Sentence Encoder lite, 512 dimensions, shipped in the
   * package: `'use-lite-int8-dynamic'` (int8 weights and products, the fastest), `'use-lite-int8'` (int8
   * weights, float products), `'use-lite'` (fp32, the reference) — or a BERT-family ONNX export loaded by URL.
   * @default 'use-lite-int8-dynamic'
   */
  model?: EmbedderModel
  /** Chunks per inference call. @default 32 */
  batchSize?: number
  /** Longest accepted text in UTF-16 code units (longer is TOO_LARGE); texts over the model window are chunked and pooled. @default 200000 */
  maxTextLength?: number
  /** For a built-in model served from elsewhere (a page's own path, an R2 URL): the .onnx URL. Checked against the built-in checksum. */
  modelUrl?: string | URL
  /** For a built-in model served from elsewhere: the vocabulary URL. */
  vocabUrl?: string | URL
  /** Where downloaded models are kept: `'auto'` (a directory in Node, Cache Storage in browsers), a directory, an R2-like `{ get, put }`, or `'none'`. @default 'auto' */
  cache?: 'auto' | 'none' | string | ModelCache
  /** Download progress of model files. */
  onProgress?: (progress: DownloadProgress) => void
  /** Aborts loading. */
  signal?: AbortSignal
  /** The fetch used for downloads. @default globalThis.fetch */
  fetch?: typeof fetch
}

/**
 * Loads an embedder. Texts are L2-normalized vectors; a text longer than the model window is embedded in
 * chunks whose vectors are averaged (weighted by token count) and renormalized, never cut.
 * Empty or whitespace-only texts are rejected (VALIDATION); failures to load or run are EMBEDDING errors.
 *
 * @example
 * const embedder = await createEmbedder()                         // offline, USE-lite int8, 512-d
 * const [v] = await embedder.embed(['User prefers morning meetings'])
 * @example
 * const minilm = await createEmbedder({
 *   model: { family: 'bert', url: 'https://example.com/all-MiniLM-L6-v2/model.onnx',
 *            tokenizerUrl: 'https://example.com/all-MiniLM-L6-v2/tokenizer.json', dims: 384, maxTokens: 256 },
 *   onProgress: (p) => console.log(p.loaded, p.total),
 * })
 */
export async function createEmbedder(options: CreateEmbedderOptions = {}): Promise<Embedder> {
  if (options === null || typeof options !== 'object') throw memoryError('VALIDATION', 'createEmbedder takes an options object')
  const model = options.model ?? DEFAULT_MODEL
  const runtime: OnnxRuntimeOptions = {}
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1)
      throw memoryError('VALIDATION', 'createEmbedder: threads must be a positive integer')
    runtime.threads = options.threads
  }
  if (options.wasmPaths !== undefined) runtime.wasmPaths = options.wasmPaths
  if (options.wasmModule !== undefined) runtime.wasmModule = options.wasmModule
  const load = {
    ...(options.cache !== undefined ? { cache: options.cache } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  }
  const common = {
    runtime,
    load,
    ...(options.batchSize !== undefined ? { batchSize: checkBatchSize(options.batchSize) } : {}),
    ...(options.maxTextLength !== undefined ? { maxTextLength: checkMaxLength(options.maxTextLength) } : {}),
  }
  if (typeof model === 'string') {
    if (!(model in BUILTIN_MODELS)) {
      throw memoryError(
        'VALIDATION',
        `createEmbedder: unknown model "${model}"; built-in models: ${Object.keys(BUILTIN_MODELS).join(', ')}`,
      )
    }
    return createUseLiteEmbedder({
      model,
      ...common,
      ...(options.modelUrl !== undefined ? { modelUrl: options.modelUrl } : {}),
      ...(options.vocabUrl !== undefined ? { vocabUrl: options.vocabUrl } : {}),
    })
  }
  if (model && typeof model === 'object' && model.family === 'bert') {
    checkBertConfig(model)
    return createBertEmbedder(model, common)
  }
  throw memoryError('VALIDATION', "createEmbedder: model must be a built-in name or { family: 'bert', url, tokenizerUrl, dims, maxTokens }")
}

function checkBatchSize(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 4096)
    throw memoryError('VALIDATION', 'createEmbedder: batchSize must be an integer from 1 to 4096')
  return n
}

function checkMaxLength(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw memoryError('VALIDATION', 'createEmbedder: maxTextLength must be a positive integer')
  return n
}

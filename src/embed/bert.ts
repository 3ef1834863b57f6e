/** BERT-family sentence-transformer exports (all-MiniLM-L6-v2, bge-small, gte-small, e5-small) on onnxruntime-web. */
import { memoryError } from '../core/errors.js'
import type { Embedder, EmbedOptions } from './embedder.js'
import { loadModelFile, type ModelLoadOptions } from './model-loader.js'
import { createOnnxSession, type OnnxRuntimeOptions, type OrtTensor } from './onnx.js'
import { chunkTokens, embedPieces, type Piece } from './pooling.js'
import { type WordPieceTokenizer, wordPieceFromTokenizerJson } from './tokenizers/wordpiece.js'
import { checkSignal, checkTexts, DEFAULT_MAX_TEXT_LENGTH, l2normalize } from './validate.js'

/** A BERT-family ONNX export and its tokenizer, loaded by URL. */
export interface BertModelConfig {
  family: 'bert'
  /** The .onnx file (inputs input_ids, attention_mask, optionally token_type_ids; output [batch, tokens, dims] or [batch, dims]). */
  url: string | URL
  /** The model's Hugging Face tokenizer.json (WordPiece). */
  tokenizerUrl: string | URL
  /** sha256 (hex) of the .onnx file: a mismatch is an EMBEDDING error. */
  sha256?: string
  /** sha256 (hex) of tokenizer.json. */
  tokenizerSha256?: string
  /** Output width (384 for MiniLM, bge-small, gte-small, e5-small). */
  dims: number
  /** The model's window, [CLS] and [SEP] included (512 for these models; 256 or 128 run faster). */
  maxTokens: number
  /** Prepended to queries (`embed(texts, { kind: 'query' })`), e.g. 'query: ' for e5. */
  queryPrefix?: string
  /** Prepended to passages (the default kind), e.g. 'passage: ' for e5. */
  passagePrefix?: string
  /** Stored with every vector. @default `bert:${url}` */
  id?: string
}

export interface BertEmbedderOptions {
  batchSize?: number
  maxTextLength?: number
  runtime?: OnnxRuntimeOptions
  load?: ModelLoadOptions
}

export function checkBertConfig(config: BertModelConfig): void {
  const bad = (msg: string) => memoryError('VALIDATION', `createEmbedder: model.${msg}`)
  for (const key of ['url', 'tokenizerUrl'] as const) {
    const v = config[key]
    if (!(typeof v === 'string' && v.length > 0) && !(v instanceof URL)) throw bad(`${key} must be a URL`)
  }
  if (!Number.isInteger(config.dims) || config.dims < 1) throw bad('dims must be a positive integer')
  if (!Number.isInteger(config.maxTokens) || config.maxTokens < 3) throw bad('maxTokens must be an integer of at least 3')
  for (const key of ['queryPrefix', 'passagePrefix', 'id', 'sha256', 'tokenizerSha256'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'string') throw bad(`${key} must be a string`)
  }
}

export async function createBertEmbedder(config: BertModelConfig, options: BertEmbedderOptions = {}): Promise<Embedder> {
  checkBertConfig(config)
  const load = options.load ?? {}
  const [modelBytes, tokenizerBytes] = await Promise.all([
    loadModelFile({ url: config.url, sha256: config.sha256, label: 'model' }, load),
    loadModelFile({ url: config.tokenizerUrl, sha256: config.tokenizerSha256, label: 'tokenizer' }, load),
  ])
  let tokenizer: WordPieceTokenizer
  try {
    tokenizer = wordPieceFromTokenizerJson(JSON.parse(new TextDecoder().decode(tokenizerBytes)))
  } catch (e) {
    throw memoryError(
      'EMBEDDING',
      `The tokenizer at ${String(config.tokenizerUrl)} is not usable: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    )
  }
  const session = await createOnnxSession(modelBytes, options.runtime)
  for (const name of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(name)) {
      await session.release()
      throw memoryError('EMBEDDING', `The model at ${String(config.url)} has no ${name} input (inputs: ${session.inputNames.join(', ')})`)
    }
  }
  const hasTypeIds = session.inputNames.includes('token_type_ids')
  const outputName = session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : session.outputNames[0]!
  const batchSize = options.batchSize ?? 32
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH
  const prefixIds = {
    query: config.queryPrefix ? tokenizer.encode(config.queryPrefix) : [],
    passage: config.passagePrefix ? tokenizer.encode(config.passagePrefix) : [],
  }

  const runBatch = async (batch: readonly number[][]): Promise<Float32Array[]> => {
    const width = Math.max(...batch.map((ids) => ids.length))
    const rows = batch.length
    const ids = new Array<number>(rows * width).fill(tokenizer.padId)
    const mask = new Array<number>(rows * width).fill(0)
    batch.forEach((seq, r) => {
      seq.forEach((id, c) => {
        ids[r * width + c] = id
        mask[r * width + c] = 1
      })
    })
    const feeds: Record<string, OrtTensor> = {
      input_ids: session.int64(ids, [rows, width]),
      attention_mask: session.int64(mask, [rows, width]),
    }
    if (hasTypeIds) feeds.token_type_ids = session.int64(new Array<number>(rows * width).fill(0), [rows, width])
    const out = (await session.run(feeds))[outputName]!
    const data = out.data as Float32Array
    const dims = out.dims
    const hidden = dims[dims.length - 1]!
    if (hidden !== config.dims) {
      throw memoryError('EMBEDDING', `The model gives ${hidden}-dimensional vectors, the configuration says dims: ${config.dims}`)
    }
    if (dims.length === 2) return batch.map((_, r) => l2normalize(data.slice(r * hidden, (r + 1) * hidden)))
    // Mean over the real tokens ([CLS] and [SEP] included, as sentence-transformers does), then L2.
    return batch.map((seq, r) => {
      const v = new Float32Array(hidden)
      for (let t = 0; t < seq.length; t++) {
        const base = (r * width + t) * hidden
        for (let h = 0; h < hidden; h++) v[h]! += data[base + h]!
      }
      for (let h = 0; h < hidden; h++) v[h]! /= seq.length
      return l2normalize(v)
    })
  }

  return {
    id: config.id ?? `bert:${String(config.url)}`,
    dims: config.dims,
    async embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
      checkTexts(texts, maxTextLength)
      const signal = embedOptions.signal
      checkSignal(signal)
      if (texts.length === 0) return []
      const prefix = prefixIds[embedOptions.kind ?? 'passage']
      const room = config.maxTokens - 2 - prefix.length
      if (room < 1)
        throw memoryError('VALIDATION', `The ${embedOptions.kind ?? 'passage'} prefix leaves no room in ${config.maxTokens} tokens`)
      const pieces: Piece[] = []
      texts.forEach((text, i) => {
        const ids = tokenizer.encode(text)
        // A text of characters the vocabulary lacks still gets a vector (of [UNK]).
        if (ids.length === 0) ids.push(tokenizer.unkId)
        for (const chunk of chunkTokens(ids, room, (id) => tokenizer.startsWord(id))) {
          pieces.push({ text: i, ids: [tokenizer.clsId, ...prefix, ...chunk, tokenizer.sepId] })
        }
      })
      return embedPieces(pieces, texts.length, batchSize, runBatch, () => checkSignal(signal))
    },
    dispose: () => session.release(),
  }
}

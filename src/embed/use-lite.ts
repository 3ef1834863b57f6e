/** The offline default: Universal Sentence Encoder lite on onnxruntime-web. */
import { memoryError } from '../core/errors.js'
import type { Embedder, EmbedOptions } from './embedder.js'
import { loadModelFile, type ModelLoadOptions } from './model-loader.js'
import { BUILTIN_MODELS, type BuiltinModelName, builtinFileUrl, USE_LITE_DIMS, USE_LITE_MAX_TOKENS, USE_LITE_VOCAB } from './models.js'
import { createOnnxSession, type OnnxRuntimeOptions } from './onnx.js'
import { chunkTokens, embedPieces, type Piece } from './pooling.js'
import { SentencePieceTokenizer, type SentencePieceVocab } from './tokenizers/sentencepiece.js'
import { checkSignal, checkTexts, DEFAULT_MAX_TEXT_LENGTH } from './validate.js'

export interface UseLiteOptions {
  model: BuiltinModelName
  /** Override where the .onnx file is read from (a page serving models/ from elsewhere, an R2 URL...). */
  modelUrl?: string | URL
  /** Override where the vocabulary is read from. */
  vocabUrl?: string | URL
  /** Chunks per inference call. @default 32 */
  batchSize?: number
  /** Longest accepted text, in UTF-16 code units; longer is a TOO_LARGE error. @default 200000 */
  maxTextLength?: number
  runtime?: OnnxRuntimeOptions
  load?: ModelLoadOptions
}

export async function createUseLiteEmbedder(options: UseLiteOptions): Promise<Embedder> {
  const spec = BUILTIN_MODELS[options.model]
  const batchSize = options.batchSize ?? 32
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH
  const load = options.load ?? {}
  // An overriding URL must still serve our exact file: the checksum applies wherever it comes from.
  const modelUrl = options.modelUrl ?? (await builtinFileUrl(spec.file))
  const vocabUrl = options.vocabUrl ?? (await builtinFileUrl(USE_LITE_VOCAB.file))
  const [modelBytes, vocabBytes] = await Promise.all([
    loadModelFile({ url: modelUrl, sha256: spec.sha256, label: `${options.model} model` }, load),
    loadModelFile({ url: vocabUrl, sha256: USE_LITE_VOCAB.sha256, label: 'USE-lite vocabulary' }, load),
  ])
  let tokenizer: SentencePieceTokenizer
  try {
    tokenizer = new SentencePieceTokenizer(JSON.parse(new TextDecoder().decode(vocabBytes)) as SentencePieceVocab)
  } catch (e) {
    throw memoryError('EMBEDDING', `The USE-lite vocabulary at ${String(vocabUrl)} is not valid`, { cause: e })
  }
  const session = await createOnnxSession(modelBytes, options.runtime, `${options.model} model`)

  const embedBatch = async (batch: readonly number[][]): Promise<Float32Array[]> => {
    let count = 0
    for (const ids of batch) count += ids.length
    const indices = new Array<number>(count * 2)
    const values = new Array<number>(count)
    let k = 0
    batch.forEach((ids, row) => {
      ids.forEach((id, col) => {
        indices[2 * k] = row
        indices[2 * k + 1] = col
        values[k++] = id
      })
    })
    const out = await session.run({ indices: session.int64(indices, [count, 2]), values: session.int64(values, [count]) })
    const data = out.embeddings!.data as Float32Array
    return batch.map((_, row) => data.slice(row * USE_LITE_DIMS, (row + 1) * USE_LITE_DIMS))
  }

  return {
    id: options.model,
    dims: USE_LITE_DIMS,
    async embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
      checkTexts(texts, maxTextLength)
      const signal = embedOptions.signal
      checkSignal(signal)
      if (texts.length === 0) return []
      const pieces: Piece[] = []
      texts.forEach((text, i) => {
        const ids = tokenizer.encodeForModel(text)
        for (const chunk of chunkTokens(ids, USE_LITE_MAX_TOKENS, (id) => tokenizer.startsWord(id))) pieces.push({ text: i, ids: chunk })
      })
      return embedPieces(pieces, texts.length, batchSize, embedBatch, () => checkSignal(signal))
    },
    dispose: () => session.release(),
  }
}

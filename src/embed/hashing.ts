import { memoryError } from '../core/errors.js'
import type { Embedder, EmbedOptions } from './embedder.js'
import { checkSignal, checkTexts, l2normalize } from './validate.js'

/** Options of {@link createTestEmbedder}. */
export interface TestEmbedderOptions {
  /** Vector length. @default 64 */
  dims?: number
}

/**
 * A deterministic, model-free embedder FOR TESTS ONLY: it hashes lowercase words (and word pairs, at half
 * weight) into signed buckets, then L2-normalizes. Texts that share words get a positive cosine, unrelated
 * texts about zero; it knows no synonyms, so it is no evidence that semantic search works.
 * Same input rules as the real embedders: a non-string, empty or whitespace-only text is a VALIDATION error.
 *
 * @example
 * const embedder = createTestEmbedder({ dims: 32 })
 * const [a, b] = await embedder.embed(['red apples', 'green apples'])  // cosine(a, b) > 0
 */
export function createTestEmbedder(options: TestEmbedderOptions = {}): Embedder {
  const dims = options.dims ?? 64
  if (!Number.isInteger(dims) || dims < 2 || dims > 65536) {
    throw memoryError('VALIDATION', `createTestEmbedder: dims must be an integer from 2 to 65536, got ${String(dims)}`)
  }
  return {
    id: 'test-hashing-v1',
    dims,
    async embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
      checkTexts(texts)
      checkSignal(embedOptions.signal)
      return texts.map((text) => hashText(text, dims))
    },
  }
}

const WORD = /[\p{L}\p{N}]+/gu

function hashText(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims)
  const words: string[] = text.normalize('NFKC').toLowerCase().match(WORD) ?? []
  // Punctuation-only text still gets a stable vector of its own.
  if (words.length === 0) words.push(text.trim())
  for (let i = 0; i < words.length; i++) {
    addFeature(v, words[i]!, 1)
    if (i > 0) addFeature(v, `${words[i - 1]} ${words[i]}`, 0.5)
  }
  return l2normalize(v)
}

function addFeature(v: Float32Array, feature: string, weight: number): void {
  const h = fnv1a(feature)
  // The low bits pick the bucket, the top bit the sign, so collisions cancel out on average.
  v[h % v.length]! += h & 0x80000000 ? -weight : weight
}

/** 32-bit FNV-1a over UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

import { memoryError } from '../core/errors.js'

/** Default cap on one text, in UTF-16 code units: about 50k tokens, far beyond any memory or query. */
export const DEFAULT_MAX_TEXT_LENGTH = 200_000

/**
 * Checks a batch before any model work, so a bad item fails the whole call and nothing is embedded.
 *
 * Empty and whitespace-only texts are rejected (VALIDATION): they carry no meaning, the models give no
 * tokens for them, and any vector we invented for them would match other empty texts perfectly.
 * OpenAI's `/v1/embeddings` rejects them too, so every embedder behaves the same.
 */
export function checkTexts(texts: unknown, maxLength = DEFAULT_MAX_TEXT_LENGTH): asserts texts is string[] {
  if (!Array.isArray(texts)) throw memoryError('VALIDATION', 'embed() takes an array of strings')
  for (let i = 0; i < texts.length; i++) {
    const text: unknown = texts[i]
    if (typeof text !== 'string') {
      throw memoryError('VALIDATION', `embed(): text ${i} is a ${text === null ? 'null' : typeof text}, not a string`, {
        details: { index: i },
      })
    }
    if (text.length > maxLength) {
      throw memoryError('TOO_LARGE', `embed(): text ${i} has ${text.length} characters, the limit is ${maxLength}`, {
        details: { index: i, length: text.length, limit: maxLength },
      })
    }
    if (text.trim().length === 0) {
      throw memoryError('VALIDATION', `embed(): text ${i} is empty or whitespace-only`, { details: { index: i } })
    }
  }
}

/** Rejects with ABORTED when the signal has fired. */
export function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw memoryError('ABORTED', 'embed() was aborted', { cause: signal.reason })
}

/** L2-normalizes in place; returns the same array. A zero vector stays zero. */
export function l2normalize(v: Float32Array): Float32Array {
  let sum = 0
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!
  if (sum > 0) {
    const inv = 1 / Math.sqrt(sum)
    for (let i = 0; i < v.length; i++) v[i]! *= inv
  }
  return v
}

import { memoryError } from '../core/errors.js'

/** Checks shared by every index: the right length, finite values, a usable id. */
export function checkVector(vector: unknown, dims: number): asserts vector is Float32Array {
  if (!(vector instanceof Float32Array)) throw memoryError('VALIDATION', 'A vector must be a Float32Array')
  if (vector.length !== dims) {
    throw memoryError('VALIDATION', `Vector has ${vector.length} dimensions, the index expects ${dims}`, {
      details: { expected: dims, got: vector.length },
    })
  }
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) throw memoryError('VALIDATION', `Vector value at ${i} is not a finite number`)
  }
}

export function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 512) {
    throw memoryError('VALIDATION', 'An index id must be a non-empty string of at most 512 characters')
  }
}

export function checkK(k: unknown): asserts k is number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw memoryError('VALIDATION', 'k must be a positive integer')
  }
}

/** Returns a unit-length copy (zero vectors stay zero). */
export function normalized(vector: Float32Array): Float32Array {
  let sum = 0
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!
  const out = new Float32Array(vector)
  if (sum === 0) return out
  const inv = 1 / Math.sqrt(sum)
  for (let i = 0; i < out.length; i++) out[i]! *= inv
  return out
}

import { expect } from 'vitest'
import { isMemoryError, type MemoryErrorCode } from '../../src/core/errors.js'

/** Assert that `run` rejects (or throws) with a MemoryError of `code`; returns the error. */
export async function expectCode(run: () => unknown, code: MemoryErrorCode, message?: RegExp): Promise<Error> {
  let error: unknown
  try {
    await run()
  } catch (e) {
    error = e
  }
  expect(error, `expected a MemoryError ${code}`).toBeDefined()
  expect({ name: (error as Error).name, code: (error as { code?: string }).code }).toEqual({ name: 'MemoryError', code })
  expect(isMemoryError(error, code)).toBe(true)
  if (message) expect((error as Error).message).toMatch(message)
  return error as Error
}

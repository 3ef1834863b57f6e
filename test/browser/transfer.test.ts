/** The Comlink transfer handlers across a real Worker in Chromium. */
import { type Remote, wrap } from 'comlink'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerTransferHandlers } from '../../src/browser/transfer.js'
import { isMemoryError, type MemoryError } from '../../src/core/errors.js'
import type { TransferWorkerApi } from './fixtures/transfer-worker.js'

describe('Comlink transfer handlers across a Worker', () => {
  let worker: Worker
  let remote: Remote<TransferWorkerApi>
  beforeAll(() => {
    registerTransferHandlers()
    worker = new Worker(new URL('./fixtures/transfer-worker.ts', import.meta.url), { type: 'module' })
    remote = wrap<TransferWorkerApi>(worker)
  })
  afterAll(() => worker.terminate())

  it('a MemoryError keeps its code, message, details and a chain of causes', async () => {
    const error = (await remote.fail('QUOTA_EXCEEDED').catch((e: unknown) => e)) as MemoryError
    expect(isMemoryError(error, 'QUOTA_EXCEEDED')).toBe(true)
    expect(error.name).toBe('MemoryError')
    expect(error.message).toBe('outer failure')
    expect(error.details).toEqual({ field: 'content', limit: 10 })
    const inner = error.cause as MemoryError
    expect(isMemoryError(inner, 'STORAGE')).toBe(true)
    expect(inner.message).toBe('IndexedDB write failed')
    expect(inner.cause).toEqual({ name: 'QuotaExceededError', message: 'The quota has been exceeded.' })
    // Rebuilt as a real MemoryError on the page, with the worker's stack kept for debugging.
    expect(typeof error.toJSON).toBe('function')
    expect(error.stack).toContain('in the worker')
  })

  it('every error code crosses unchanged', async () => {
    for (const code of ['VALIDATION', 'NOT_FOUND', 'CLOSED', 'ABORTED'] as const) {
      const error = await remote.fail(code).catch((e: unknown) => e)
      expect(isMemoryError(error, code), code).toBe(true)
    }
  })

  it('other errors still arrive as errors with their name and message', async () => {
    const error = (await remote.failPlain().catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('TypeError')
    expect(error.message).toBe('not one of ours')
    expect(isMemoryError(error)).toBe(false)
  })

  it('Float32Arrays returned by the worker are moved, not copied, and arrive intact', async () => {
    const vectors = await remote.vectors(3, 384)
    expect(vectors).toHaveLength(3)
    for (const [i, v] of vectors.entries()) {
      expect(v).toBeInstanceOf(Float32Array)
      expect(v.length).toBe(384)
      expect(v[0]).toBe(i)
      expect(v[383]).toBeCloseTo(i + 38.3, 4)
    }
    // Moved: the worker's arrays are detached after the reply.
    expect(await remote.sentDetached()).toEqual([true, true, true])
    const single = await remote.one(8)
    expect(Array.from(single)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(await remote.sentDetached()).toEqual([true])
  })

  it('a Float32Array argument is moved to the worker; a view is copied so its buffer stays usable', async () => {
    const whole = Float32Array.from([1, 2, 3])
    expect(await remote.sum(whole)).toBe(6)
    expect(whole.byteLength).toBe(0)

    const backing = Float32Array.from([10, 20, 30, 40])
    const view = backing.subarray(1, 3)
    expect(await remote.sum(view)).toBe(50)
    expect(Array.from(backing)).toEqual([10, 20, 30, 40])
  })
})

// The EMBEDDER var of wrangler.toml picks the Durable Object's embedder; a wrong setting fails clearly.
import { describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import { embedderFromEnv } from '../../src/edge/embedder-from-env.js'

const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  )

describe('embedderFromEnv', () => {
  it('defaults to the hashing embedder', async () => {
    const embedder = await embedderFromEnv({})
    expect(embedder).toMatchObject({ id: 'test-hashing-v1', dims: 256 })
    const [v] = await embedder.embed(['hello edge'])
    expect(v).toHaveLength(256)
  })

  it('builds the remote and Workers AI embedders from their vars', async () => {
    const remote = await embedderFromEnv({
      EMBEDDER: 'remote',
      EMBEDDER_URL: 'http://127.0.0.1:9/v1',
      EMBEDDER_MODEL: 'm',
      EMBEDDER_DIMS: '384',
    })
    expect(remote.dims).toBe(384)
    const ai = await embedderFromEnv({
      EMBEDDER: 'workers-ai',
      EMBEDDER_MODEL: '@cf/baai/bge-small-en-v1.5',
      EMBEDDER_DIMS: '384',
      AI: { run: async () => ({}) },
    })
    expect(ai.dims).toBe(384)
  })

  it('refuses missing vars, an unknown kind and onnx with a clear error', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ EMBEDDER: 'remote', EMBEDDER_MODEL: 'm', EMBEDDER_DIMS: '3' }, 'VALIDATION'],
      [{ EMBEDDER: 'remote', EMBEDDER_URL: 'http://x/v1', EMBEDDER_DIMS: '3' }, 'VALIDATION'],
      [{ EMBEDDER: 'remote', EMBEDDER_URL: 'http://x/v1', EMBEDDER_MODEL: 'm', EMBEDDER_DIMS: 'many' }, 'VALIDATION'],
      [{ EMBEDDER: 'workers-ai', EMBEDDER_MODEL: 'm', EMBEDDER_DIMS: '3' }, 'VALIDATION'],
      [{ EMBEDDER: 'magic' }, 'VALIDATION'],
      [{ EMBEDDER: 'onnx' }, 'UNSUPPORTED'],
    ]
    for (const [env, code] of cases) {
      const e = await failure(embedderFromEnv(env))
      expect(isMemoryError(e, code as 'VALIDATION'), `${JSON.stringify(env)} -> ${String(e)}`).toBe(true)
    }
  })
})

import { describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0)

describe('createTestEmbedder (hashing, for tests)', () => {
  it('returns one unit vector of the asked length per text, with a stable id', async () => {
    const e = createTestEmbedder({ dims: 32 })
    expect(e.id).toBe('test-hashing-v1')
    expect(e.dims).toBe(32)
    const out = await e.embed(['alpha beta', 'gamma'])
    expect(out).toHaveLength(2)
    for (const v of out) {
      expect(v).toBeInstanceOf(Float32Array)
      expect(v.length).toBe(32)
      expect(Math.abs(dot(v, v) - 1)).toBeLessThan(1e-6)
    }
  })

  it('defaults to 64 dimensions', () => {
    expect(createTestEmbedder().dims).toBe(64)
  })

  it('is deterministic across instances and ignores case and punctuation', async () => {
    const [a] = await createTestEmbedder().embed(['User prefers morning meetings'])
    const [b] = await createTestEmbedder().embed(['user prefers MORNING meetings!'])
    expect(Array.from(a!)).toEqual(Array.from(b!))
  })

  it('scores texts that share words above texts that share none', async () => {
    const e = createTestEmbedder({ dims: 256 })
    const [q, near, far] = await e.embed(['schedule a morning meeting', 'the morning meeting moved', 'purple elephants dance'])
    expect(dot(q!, near!)).toBeGreaterThan(dot(q!, far!) + 0.2)
  })

  it('rejects non-strings, empty and whitespace-only texts with VALIDATION', async () => {
    const e = createTestEmbedder()
    for (const bad of [[42], [''], ['  \n\t'], 'not an array']) {
      await expect(e.embed(bad as string[])).rejects.toSatisfy((err: unknown) => isMemoryError(err, 'VALIDATION'))
    }
  })

  it('rejects a bad dims option', () => {
    expect(() => createTestEmbedder({ dims: 0 })).toThrow(/dims/)
    expect(() => createTestEmbedder({ dims: 1.5 })).toThrow(/dims/)
  })

  it('honours an aborted signal', async () => {
    const ctrl = new AbortController()
    ctrl.abort()
    await expect(createTestEmbedder().embed(['x'], { signal: ctrl.signal })).rejects.toSatisfy((err: unknown) =>
      isMemoryError(err, 'ABORTED'),
    )
  })
})

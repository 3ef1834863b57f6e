/**
 * The shared vector index suite in Chromium: usearch compiled to WebAssembly, fetched by the page from
 * wasm/usearch.wasm (served by Vite), behind the same createVectorIndex as in Node.
 */
import { describe, expect, it } from 'vitest'
import { createVectorIndex } from '../../src/vector/create.js'
import { loadUsearchModule, UsearchIndex } from '../../src/vector/usearch.js'
import { describeVectorIndex } from '../shared/vector-suite.js'

describeVectorIndex('chromium', {
  create: (options) => createVectorIndex(options),
  load: (bytes, dims) => createVectorIndex({ dims, from: bytes }),
})

describe('usearch wasm in Chromium', () => {
  it('fetches the default module once over HTTP, and accepts a URL or bytes', async () => {
    expect(typeof window).toBe('object')
    const module = await loadUsearchModule()
    expect(await loadUsearchModule()).toBe(module)
    const url = new URL('/wasm/usearch.wasm', location.href).href
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer())
    for (const wasm of [url, bytes, module]) {
      const index = await UsearchIndex.create({ dims: 4, wasm })
      index.add('a', Float32Array.of(1, 0, 0, 0))
      index.add('b', Float32Array.of(0, 1, 0, 0))
      expect(index.search(Float32Array.of(1, 0.1, 0, 0), 1)[0]?.id).toBe('a')
      index.dispose()
    }
    await expect(UsearchIndex.create({ dims: 4, wasm: new URL('/wasm/missing.wasm', location.href).href })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    })
  })
})

/**
 * The shared vector index suite in Chromium: usearch compiled to WebAssembly, fetched by the page from
 * wasm/usearch.wasm (served by Vite), behind the same createVectorIndex as in Node.
 */
import { describe, expect, it } from 'vitest'
import { clusteredVectors } from '../../bench/lib/vector-data.js'
import { createVectorIndex } from '../../src/vector/create.js'
import { FlatIndex } from '../../src/vector/flat.js'
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

describe('compact navigation in Chromium (f32 graph walked on an i8 copy, re-ranked exactly)', () => {
  it('agrees with the exact scan, removes, and survives serialize -> load', async () => {
    const all = clusteredVectors(1_550, { seed: 31 })
    const data = all.slice(0, 1_500)
    const queries = all.slice(1_500)
    const ids = data.map((_, i) => `m${i}`)
    const flat = new FlatIndex({ dims: 384 })
    flat.addMany(ids, data)
    const index = (await createVectorIndex({ dims: 384, flatLimit: 0, compactNavigation: true })) as UsearchIndex
    index.addMany(ids, data)
    expect(index.compactNavigation).toBe(true)
    let hit = 0
    for (const q of queries) {
      const want = flat.search(q, 10)
      const got = index.search(q, 10)
      const wanted = new Map(want.map((h) => [h.id, h.distance]))
      for (const h of got) {
        if (!wanted.has(h.id)) continue
        hit++
        expect(h.distance).toBeCloseTo(wanted.get(h.id)!, 5)
      }
    }
    expect(hit / (queries.length * 10)).toBeGreaterThanOrEqual(0.99)
    expect(index.remove('m3')).toBe(true)
    expect(index.search(data[3]!, 10).some((h) => h.id === 'm3')).toBe(false)
    const loaded = (await createVectorIndex({ dims: 384, from: index.serialize() })) as UsearchIndex
    expect(loaded.compactNavigation).toBe(true)
    for (const q of queries) expect(loaded.search(q, 10)).toEqual(index.search(q, 10))
    index.dispose()
    loaded.dispose()
  })
})

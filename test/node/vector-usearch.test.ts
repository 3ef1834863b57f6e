import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import usearch, { type ScalarKind } from 'usearch'
import { describe, expect, it } from 'vitest'
import { clusteredVectors } from '../../bench/lib/vector-data.js'
import { createVectorIndex } from '../../src/vector/create.js'
import { loadUsearchModule, UsearchIndex } from '../../src/vector/usearch.js'
import { describeVectorIndex } from '../shared/vector-suite.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const wasmPath = join(root, 'wasm/usearch.wasm')

describeVectorIndex('node', {
  create: (options) => createVectorIndex(options),
  load: (bytes, dims) => createVectorIndex({ dims, from: bytes }),
})

describe('usearch wasm in Node', () => {
  it('loads from a compiled module, from bytes and from a file URL', async () => {
    const bytes = readFileSync(wasmPath)
    const module = await WebAssembly.compile(bytes)
    const sources = [module, new Uint8Array(bytes), new URL('../../wasm/usearch.wasm', import.meta.url).href]
    for (const wasm of sources) {
      const index = await UsearchIndex.create({ dims: 4, wasm })
      index.add('a', Float32Array.of(1, 0, 0, 0))
      expect(index.search(Float32Array.of(1, 0.1, 0, 0), 1)[0]?.id).toBe('a')
    }
    expect(await loadUsearchModule()).toBe(await loadUsearchModule())
    await expect(UsearchIndex.create({ dims: 4, wasm: 'file:///nonexistent/usearch.wasm' })).rejects.toMatchObject({ code: 'UNSUPPORTED' })
  })

  it('exposes the search expansion as a runtime setting', async () => {
    const index = await UsearchIndex.create({ dims: 8, expansionSearch: 40 })
    expect(index.expansionSearch).toBe(40)
    index.setExpansionSearch(200)
    expect(index.expansionSearch).toBe(200)
    const loaded = await UsearchIndex.load(index.serialize())
    expect(loaded.expansionSearch).toBe(200)
    expect(() => index.setExpansionSearch(0)).toThrow(/expansionSearch/)
  })

  it('a disposed index refuses calls', async () => {
    const index = await UsearchIndex.create({ dims: 4 })
    index.dispose()
    expect(() => index.add('a', Float32Array.of(1, 0, 0, 0))).toThrow(/disposed/)
  })
})

describe('usearch file format shared with the native addon', () => {
  const dims = 64
  const data = clusteredVectors(1_100, { dims, seed: 5 })
  const queries = data.slice(1_000)

  for (const quantization of ['f32', 'i8'] as const) {
    it(`native addon reads our index and we read its index (${quantization})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'engram-usearch-'))
      try {
        const ours = await UsearchIndex.create({ dims, quantization, expansionSearch: 256 })
        ours.addMany(
          data.slice(0, 1_000).map((_, i) => String(i)),
          data.slice(0, 1_000),
        )
        writeFileSync(join(dir, 'ours.usearch'), ours.usearchBytes())
        const native = new usearch.Index({
          dimensions: dims,
          metric: usearch.MetricKind.Cos,
          quantization: quantization as ScalarKind,
          connectivity: 0,
          expansion_add: 0,
          expansion_search: 0,
          multi: false,
        })
        native.load(join(dir, 'ours.usearch'))
        expect(native.size()).toBe(1_000)
        // The addon casts i8 queries its own coarser way (127 / norm, truncated), so for i8 the answers
        // agree closely rather than exactly.
        let agree = 0
        for (const q of queries) {
          const theirs = native.search(q, 5, 1)
          const mine = ours.search(q, 5)
          const theirIds = Array.from(theirs.keys, String)
          if (quantization === 'f32') expect(theirIds).toEqual(mine.map((h) => h.id))
          agree += mine.filter((h) => theirIds.includes(h.id)).length
          Array.from(theirs.distances).forEach((d, i) => {
            expect(d).toBeCloseTo(mine[i]!.distance, quantization === 'f32' ? 3 : 1)
          })
        }
        expect(agree / (queries.length * 5)).toBeGreaterThanOrEqual(0.9)

        const built = new usearch.Index({
          dimensions: dims,
          metric: usearch.MetricKind.Cos,
          quantization: quantization as ScalarKind,
          multi: false,
          connectivity: 16,
          expansion_add: 128,
          expansion_search: 256,
        })
        const flat = new Float32Array(1_000 * dims)
        for (let i = 0; i < 1_000; i++) flat.set(data[i]!, i * dims)
        built.add(
          BigUint64Array.from({ length: 1_000 }, (_, i) => BigInt(i)),
          flat,
          1,
        )
        built.save(join(dir, 'native.usearch'))
        const loaded = await UsearchIndex.load(new Uint8Array(readFileSync(join(dir, 'native.usearch'))), { expansionSearch: 256 })
        expect(loaded.size).toBe(1_000)
        expect(loaded.quantization).toBe(quantization)
        let same = 0
        for (const q of queries) {
          const theirIds = Array.from(built.search(q, 5, 1).keys, String)
          const mine = loaded.search(q, 5).map((h) => h.id)
          if (quantization === 'f32') expect(mine).toEqual(theirIds)
          same += mine.filter((id) => theirIds.includes(id)).length
        }
        expect(same / (queries.length * 5)).toBeGreaterThanOrEqual(0.9)
        // The file is read through a staging buffer: a byte short or a byte over is still noticed.
        const file = new Uint8Array(readFileSync(join(dir, 'native.usearch')))
        const longer = new Uint8Array(file.length + 1)
        longer.set(file)
        for (const bad of [file.subarray(0, file.length - 1), longer]) {
          await expect(UsearchIndex.load(bad)).rejects.toMatchObject({ code: 'CORRUPTED' })
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  }
})

describe('wasm/usearch.wasm is reproducible', () => {
  const clang = spawnSync('clang++-19', ['--version'])
  const hasClang = clang.status === 0
  if (!hasClang) console.warn('SKIPPED wasm reproducibility check: clang++-19 is not installed (see scripts/build-wasm.sh)')
  it.skipIf(!hasClang)('npm run build:wasm rebuilds the committed bytes exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-wasm-'))
    try {
      const out = join(dir, 'usearch.wasm')
      const build = spawnSync('sh', [join(root, 'scripts/build-wasm.sh'), out], { encoding: 'utf8' })
      expect(build.status, build.stderr).toBe(0)
      expect(Buffer.compare(readFileSync(out), readFileSync(wasmPath))).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

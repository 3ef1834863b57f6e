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

describe('slots as keys', () => {
  const dims = 32
  const data = clusteredVectors(1_300, { dims, seed: 11 })

  it('a removed vector frees its slot, and the next add takes it: memory stays flat under churn', async () => {
    const index = await UsearchIndex.create({ dims, expansionSearch: 128 })
    index.addMany(
      data.slice(0, 1_000).map((_, i) => `m${i}`),
      data.slice(0, 1_000),
    )
    const before = index.memoryParts()
    for (let round = 0; round < 3; round++) {
      const gone = Array.from({ length: 100 }, (_, i) => `m${round * 100 + i}`)
      for (const id of gone) expect(index.remove(id)).toBe(true)
      const fresh = gone.map((_, i) => `r${round}-${i}`)
      index.addMany(
        fresh,
        fresh.map((_, i) => data[1_000 + round * 100 + i]!),
      )
      for (const [i, id] of fresh.entries()) expect(index.search(data[1_000 + round * 100 + i]!, 1)[0]?.id).toBe(id)
      const ranked = new Set(index.search(data[round * 100]!, 1_000).map((h) => h.id))
      for (const id of gone) expect(ranked.has(id)).toBe(false)
    }
    const after = index.memoryParts()
    expect(after.vectors).toBe(before.vectors)
    expect(after.graph).toBeLessThanOrEqual(before.graph + 1_024) // the free-slot ring
    expect(index.size).toBe(1_000)
    const loaded = await UsearchIndex.load(index.serialize())
    for (const q of data.slice(1_300 - 20)) expect(loaded.search(q, 10)).toEqual(index.search(q, 10))
  })

  it('a file whose keys are not slots (the native addon keys by anything) is re-keyed on load and keeps its ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-usearch-'))
    try {
      const native = new usearch.Index({
        dimensions: dims,
        metric: usearch.MetricKind.Cos,
        quantization: 'f32' as ScalarKind,
        connectivity: 16,
        expansion_add: 128,
        expansion_search: 256,
        multi: false,
      })
      const flat = new Float32Array(300 * dims)
      for (let i = 0; i < 300; i++) flat.set(data[i]!, i * dims)
      const keyOf = (i: number) => 1_000 + 7 * i
      native.add(
        BigUint64Array.from({ length: 300 }, (_, i) => BigInt(keyOf(i))),
        flat,
        1,
      )
      native.remove(BigInt(keyOf(5)))
      native.save(join(dir, 'native.usearch'))
      const loaded = await UsearchIndex.load(new Uint8Array(readFileSync(join(dir, 'native.usearch'))), { expansionSearch: 256 })
      expect(loaded.size).toBe(299)
      expect(loaded.has(String(keyOf(5)))).toBe(false)
      for (const i of [0, 17, 299]) expect(loaded.search(data[i]!, 1)[0]?.id).toBe(String(keyOf(i)))
      // New entries take slots whose numbers were other entries' keys in the file: no clash.
      loaded.addMany(['new-a', 'new-b'], [data[300]!, data[301]!])
      expect(loaded.search(data[300]!, 1)[0]?.id).toBe('new-a')
      expect(loaded.search(data[0]!, 1)[0]?.id).toBe(String(keyOf(0)))
      expect(loaded.search(data[0]!, 3, { allow: [String(keyOf(1)), 'new-b'] }).map((h) => h.id)).toEqual(
        loaded
          .search(data[0]!, 301)
          .map((h) => h.id)
          .filter((id) => id === String(keyOf(1)) || id === 'new-b'),
      )
      const again = await UsearchIndex.load(loaded.serialize())
      for (const q of data.slice(1_280)) expect(again.search(q, 10)).toEqual(loaded.search(q, 10))

      // A blob from before slots were keys: the same header, its keys (here the native ones) and ids.
      const body = new Uint8Array(readFileSync(join(dir, 'native.usearch')))
      const live = Array.from({ length: 300 }, (_, i) => i).filter((i) => i !== 5)
      const keys = Float64Array.from(live, keyOf)
      const names = new TextEncoder().encode(JSON.stringify(live.map((i) => `m${i}`)))
      const old = new Uint8Array(32 + keys.byteLength + names.byteLength + body.byteLength)
      const view = new DataView(old.buffer)
      view.setUint32(0, 0x53554745, true)
      view.setUint16(4, 1, true)
      view.setUint32(8, 256, true)
      view.setUint32(12, keys.length, true)
      view.setUint32(16, names.byteLength, true)
      view.setUint32(20, body.byteLength, true)
      view.setFloat64(24, keyOf(300), true)
      old.set(new Uint8Array(keys.buffer), 32)
      old.set(names, 32 + keys.byteLength)
      old.set(body, 32 + keys.byteLength + names.byteLength)
      const fromOld = await UsearchIndex.load(old)
      expect(fromOld.size).toBe(299)
      for (const i of [0, 17, 299]) expect(fromOld.search(data[i]!, 1)[0]?.id).toBe(`m${i}`)
      fromOld.add('m5', data[5]!)
      expect(fromOld.search(data[5]!, 1)[0]?.id).toBe('m5')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
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

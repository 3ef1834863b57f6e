/**
 * The vector index suite, shared by every runtime (Node here, Chromium and workerd through their own
 * vitest projects): each runtime passes a factory and runs the same behaviour checks. No Node APIs.
 */
import { describe, expect, it } from 'vitest'
import { clusteredVectors, seededRandom } from '../../bench/lib/vector-data.js'
import { isMemoryError } from '../../src/core/errors.js'
import { FlatIndex } from '../../src/vector/flat.js'
import type { Metric, Quantization, VectorIndex } from '../../src/vector/vector-index.js'

export interface VectorSuiteFactory {
  /** A new index; `flatLimit: 0` must give the HNSW index from the first vector. */
  create(options: { dims: number; metric?: Metric; quantization?: Quantization; flatLimit?: number }): Promise<VectorIndex>
  /** Loads bytes made by `serialize()`. */
  load(bytes: Uint8Array, dims: number): Promise<VectorIndex>
}

function ids(n: number, prefix = 'm'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`)
}

function randomVectors(n: number, dims: number, seed: number): Float32Array[] {
  const random = seededRandom(seed)
  return Array.from({ length: n }, () => Float32Array.from({ length: dims }, () => random() * 2 - 1))
}

/** Share of the true top-10 ids found, over every query. */
export function recallAt10(truth: string[][], got: string[][]): number {
  let hit = 0
  truth.forEach((expected, i) => {
    const found = new Set(got[i])
    for (const id of expected) if (found.has(id)) hit++
  })
  return hit / (truth.length * 10)
}

function expectError(fn: () => unknown, code: string): void {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  expect(isMemoryError(error), String(error)).toBe(true)
  expect((error as { code: string }).code).toBe(code)
}

export function describeVectorIndex(name: string, factory: VectorSuiteFactory): void {
  describe(`${name}: vector index`, () => {
    it('agrees with the exact scan at recall@10 >= 0.99 on 10k clustered 384-d vectors (f32)', async () => {
      const all = clusteredVectors(10_100, { seed: 11 })
      const data = all.slice(0, 10_000)
      const queries = all.slice(10_000)
      const names = ids(data.length)
      const flat = new FlatIndex({ dims: 384 })
      flat.addMany(names, data)
      const index = await factory.create({ dims: 384, flatLimit: 0 })
      index.addMany(names, data)
      expect(index.kind).toBe('usearch')
      expect(index.size).toBe(10_000)
      const truth = queries.map((q) => flat.search(q, 10).map((h) => h.id))
      const got = queries.map((q) => index.search(q, 10).map((h) => h.id))
      expect(recallAt10(truth, got)).toBeGreaterThanOrEqual(0.99)
      // Distances are cosine distances, like the flat index's.
      const [first] = index.search(queries[0]!, 1)
      const [exact] = flat.search(queries[0]!, 1)
      if (first?.id === exact?.id) expect(first!.distance).toBeCloseTo(exact!.distance, 4)

      // Filtered recall: an allow-list small enough for the exact scan and one large enough for the
      // filtered graph walk both return only allowed ids, and the right ones.
      for (const share of [0.01, 0.9]) {
        const random = seededRandom(share * 1000)
        const allow = names.filter(() => random() < share)
        const allowed = new Set(allow)
        const filteredTruth = queries.slice(0, 30).map((q) => flat.search(q, 10, { allow }).map((h) => h.id))
        const filtered = queries.slice(0, 30).map((q) => index.search(q, 10, { allow: allowed }).map((h) => h.id))
        for (const list of filtered) for (const id of list) expect(allowed.has(id)).toBe(true)
        expect(filtered.every((list) => list.length === 10)).toBe(true)
        expect(recallAt10(filteredTruth, filtered)).toBeGreaterThanOrEqual(share < 0.5 ? 1 : 0.98)
      }
      index.dispose?.()
    })

    for (const quantization of ['f32', 'f16', 'i8'] as const) {
      it(`serialize -> load gives identical results (${quantization})`, async () => {
        const data = clusteredVectors(600, { seed: 3 })
        const index = await factory.create({ dims: 384, quantization, flatLimit: 0 })
        index.addMany(ids(500), data.slice(0, 500))
        index.remove('m7')
        const queries = data.slice(500)
        const before = queries.map((q) => index.search(q, 10))
        const loaded = await factory.load(index.serialize(), 384)
        expect(loaded.size).toBe(499)
        expect(loaded.has('m7')).toBe(false)
        expect(loaded.has('m8')).toBe(true)
        expect(queries.map((q) => loaded.search(q, 10))).toEqual(before)
        // The loaded index keeps working: new ids do not collide with the old ones.
        loaded.add('new', queries[0]!)
        expect(loaded.search(queries[0]!, 1)[0]?.id).toBe('new')
        expect(loaded.size).toBe(500)
      })
    }

    it('remove really removes, and the id can come back', async () => {
      const data = randomVectors(300, 32, 5)
      const index = await factory.create({ dims: 32, flatLimit: 0 })
      index.addMany(ids(300), data)
      expect(index.search(data[42]!, 1)[0]?.id).toBe('m42')
      expect(index.remove('m42')).toBe(true)
      expect(index.remove('m42')).toBe(false)
      expect(index.remove('never-added')).toBe(false)
      expect(index.has('m42')).toBe(false)
      expect(index.size).toBe(299)
      const ranked = index.search(data[42]!, 299).map((h) => h.id)
      expect(ranked).not.toContain('m42')
      expect(index.search(data[42]!, 5, { allow: ['m42', 'm1'] }).map((h) => h.id)).toEqual(['m1'])
      index.add('m42', data[42]!)
      expect(index.search(data[42]!, 1)[0]?.id).toBe('m42')
      expect(index.size).toBe(300)
    })

    it('rejects bad input with a clear error and changes nothing', async () => {
      const data = randomVectors(20, 8, 9)
      const index = await factory.create({ dims: 8, flatLimit: 0 })
      index.addMany(ids(10), data.slice(0, 10))
      const nan = new Float32Array(8).fill(0.5)
      nan[3] = Number.NaN
      expectError(() => index.add('x', new Float32Array(7)), 'VALIDATION')
      expectError(() => index.add('x', nan), 'VALIDATION')
      expectError(() => index.add('x', Float32Array.of(1, 2, 3, 4, 5, 6, 7, Number.POSITIVE_INFINITY)), 'VALIDATION')
      expectError(() => index.add('', data[10]!), 'VALIDATION')
      expectError(() => index.add('m3', data[10]!), 'CONFLICT')
      expectError(() => index.addMany(['a', 'b', 'a'], data.slice(10, 13)), 'CONFLICT')
      expectError(() => index.addMany(['a', 'b'], [data[10]!, nan]), 'VALIDATION')
      expectError(() => index.addMany(['a'], []), 'VALIDATION')
      expectError(() => index.search(new Float32Array(9), 3), 'VALIDATION')
      expectError(() => index.search(data[0]!, 0), 'VALIDATION')
      expectError(() => index.search(data[0]!, 1.5), 'VALIDATION')
      expect(index.size).toBe(10)
      expect(index.has('a')).toBe(false)
      expect(index.search(data[3]!, 1)[0]?.id).toBe('m3')
      // A failed batch added nothing: the same ids go in cleanly afterwards.
      index.addMany(['a', 'b'], data.slice(10, 12))
      expect(index.size).toBe(12)
      await expect(factory.load(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 8)).rejects.toMatchObject({ code: 'CORRUPTED' })
      const bytes = index.serialize()
      await expect(factory.load(bytes.subarray(0, bytes.length - 10), 8)).rejects.toMatchObject({ code: 'CORRUPTED' })
      await expect(factory.load(bytes, 16)).rejects.toMatchObject({ code: 'VALIDATION' })
    })

    it('i8 cosine ranks orthogonal vectors last (usearch scalar i8 returned distance 0 for them)', async () => {
      const dims = 16
      const axis = (i: number, j?: number) => {
        const v = new Float32Array(dims)
        v[i] = 1
        if (j !== undefined) v[j] = 0.3
        return v
      }
      const index = await factory.create({ dims, quantization: 'i8', flatLimit: 0 })
      index.addMany(['same', 'near', 'orthogonal', 'opposite'], [axis(0), axis(0, 1), axis(2), Float32Array.from(axis(0), (x) => -x)])
      const hits = index.search(axis(0), 4)
      expect(hits.map((h) => h.id)).toEqual(['same', 'near', 'orthogonal', 'opposite'])
      expect(hits[2]!.distance).toBeCloseTo(1, 2)
      expect(hits[3]!.distance).toBeCloseTo(2, 2)
    })

    it("i8 keeps recall@10 >= 0.99 on 2k clustered 384-d vectors (usearch's own i8 cast: 0.976)", async () => {
      const all = clusteredVectors(2_050, { seed: 13 })
      const data = all.slice(0, 2_000)
      const queries = all.slice(2_000)
      const names = ids(data.length)
      const flat = new FlatIndex({ dims: 384 })
      flat.addMany(names, data)
      const index = await factory.create({ dims: 384, quantization: 'i8', flatLimit: 0 })
      index.addMany(names, data)
      const truth = queries.map((q) => flat.search(q, 10).map((h) => h.id))
      expect(
        recallAt10(
          truth,
          queries.map((q) => index.search(q, 10).map((h) => h.id)),
        ),
      ).toBeGreaterThanOrEqual(0.95)
      expect(index.memoryUsage()).toBeGreaterThan(0)
    })

    for (const metric of ['cos', 'ip', 'l2'] as const) {
      it(`matches the exact scan on small data (${metric})`, async () => {
        const data = randomVectors(400, 24, 21)
        const flat = new FlatIndex({ dims: 24, metric })
        const index = await factory.create({ dims: 24, metric, flatLimit: 0 })
        flat.addMany(ids(380), data.slice(0, 380))
        index.addMany(ids(380), data.slice(0, 380))
        expect(index.metric).toBe(metric)
        for (const q of data.slice(380)) {
          const exact = flat.search(q, 5)
          const got = index.search(q, 5)
          expect(got.map((h) => h.id)).toEqual(exact.map((h) => h.id))
          got.forEach((h, i) => {
            expect(h.distance).toBeCloseTo(exact[i]!.distance, metric === 'l2' ? 3 : 4)
          })
        }
        expect(index.search(data[0]!, 1000)).toHaveLength(380)
      })
    }

    it('starts as the exact scan and switches to HNSW at the limit without losing anything', async () => {
      const data = clusteredVectors(160, { dims: 64, seed: 4 })
      const index = await factory.create({ dims: 64, flatLimit: 100 })
      expect(index.search(data[0]!, 3)).toEqual([])
      index.addMany(ids(60), data.slice(0, 60))
      expect(index.kind).toBe('flat')
      index.remove('m5')
      const flatBytes = index.serialize()
      index.addMany(ids(90, 'n'), data.slice(60, 150))
      expect(index.kind).toBe('usearch')
      expect(index.size).toBe(149)
      expect(index.has('m5')).toBe(false)
      for (const i of [0, 59, 100, 149]) expect(index.search(data[i]!, 1)[0]?.id).toBe(i < 60 ? `m${i}` : `n${i - 60}`)
      const reloaded = await factory.load(flatBytes, 64)
      expect(reloaded.kind).toBe('flat')
      expect(reloaded.size).toBe(59)
      expect(reloaded.search(data[10]!, 1)[0]?.id).toBe('m10')
    })
  })
}

/**
 * Compact navigation on f32 indexes: the HNSW walk runs on an i8 copy of the vectors, then the candidates
 * are re-ranked with exact f32 distances. The answers must stay those of the f32 index (exact distances,
 * removes, filters, serialize -> load), and the usearch file must stay the one the native addon reads.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import usearch, { type ScalarKind } from 'usearch'
import { describe, expect, it } from 'vitest'
import { clusteredVectors, seededRandom } from '../../bench/lib/vector-data.js'
import { createVectorIndex } from '../../src/vector/create.js'
import { FlatIndex } from '../../src/vector/flat.js'
import { UsearchIndex } from '../../src/vector/usearch.js'
import type { Metric } from '../../src/vector/vector-index.js'
import { expectCode } from '../shared/expect-error.js'
import { recallAt10 } from '../shared/vector-suite.js'

const names = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

describe('compact navigation (f32 graph walked on an i8 copy, re-ranked exactly)', () => {
  const all = clusteredVectors(3_100, { seed: 21 })
  const data = all.slice(0, 3_000)
  const queries = all.slice(3_000)
  const ids = names(data.length)
  const flat = new FlatIndex({ dims: 384 })
  flat.addMany(ids, data)

  it('agrees with the exact scan: recall@10 >= 0.99 and the exact f32 distances', async () => {
    const index = await UsearchIndex.create({ dims: 384, compactNavigation: true })
    expect(index.compactNavigation).toBe(true)
    index.addMany(ids, data)
    const truth = queries.map((q) => flat.search(q, 10))
    const got = queries.map((q) => index.search(q, 10))
    expect(
      recallAt10(
        truth.map((t) => t.map((h) => h.id)),
        got.map((g) => g.map((h) => h.id)),
      ),
    ).toBeGreaterThanOrEqual(0.99)
    got.forEach((hits, i) => {
      expect(hits).toHaveLength(10)
      const exact = new Map(flat.search(queries[i]!, data.length).map((h) => [h.id, h.distance]))
      hits.forEach((hit, j) => {
        expect(hit.distance).toBeCloseTo(exact.get(hit.id)!, 5)
        if (j > 0) expect(hit.distance).toBeGreaterThanOrEqual(hits[j - 1]!.distance)
      })
    })
    // The same index without the copy answers the same ids.
    index.setCompactNavigation(false)
    expect(index.compactNavigation).toBe(false)
    const plain = queries.map((q) => index.search(q, 10).map((h) => h.id))
    expect(
      recallAt10(
        plain,
        got.map((g) => g.map((h) => h.id)),
      ),
    ).toBeGreaterThanOrEqual(0.99)
    index.dispose()
  })

  it('counts the copy in memory and frees it when turned off', async () => {
    const index = await UsearchIndex.create({ dims: 384 })
    index.addMany(ids.slice(0, 1_000), data.slice(0, 1_000))
    const before = index.memoryParts()
    expect(before.compact).toBe(0)
    expect(before.vectors).toBeGreaterThanOrEqual(1_000 * 384 * 4)
    expect(before.ids).toBeGreaterThan(0)
    index.setCompactNavigation(true)
    const after = index.memoryParts()
    expect(after.compact).toBeGreaterThanOrEqual(1_000 * 384)
    expect(after.compact).toBeLessThan(before.vectors / 2)
    expect(index.memoryUsage()).toBe(after.graph + after.vectors + after.compact + after.ids)
    index.setCompactNavigation(false)
    expect(index.memoryParts().compact).toBe(0)
    index.dispose()
  })

  it('remove really removes; a removed id can come back with its new vector', async () => {
    const index = await UsearchIndex.create({ dims: 384, compactNavigation: true })
    index.addMany(ids.slice(0, 1_000), data.slice(0, 1_000))
    const q = data[7]!
    expect(index.search(q, 1)[0]).toMatchObject({ id: 'm7' })
    expect(index.remove('m7')).toBe(true)
    expect(index.search(q, 20).some((h) => h.id === 'm7')).toBe(false)
    // Back under the same id with another vector: found for that vector, at its exact distance.
    index.add('m7', data[2_000]!)
    const hit = index.search(data[2_000]!, 1)[0]!
    expect(hit.id).toBe('m7')
    expect(hit.distance).toBeCloseTo(0, 5)
    expect(index.search(q, 1)[0]?.id).not.toBe('m7')
    index.dispose()
  })

  it('filters through the allow-list on both paths (exact scan of a short list, filtered walk of a long one)', async () => {
    const index = await UsearchIndex.create({ dims: 384, compactNavigation: true })
    index.addMany(ids, data)
    const random = seededRandom(3)
    for (const share of [0.01, 0.6]) {
      const allow = ids.filter(() => random() < share)
      const allowed = new Set(allow)
      const restricted = new FlatIndex({ dims: 384 })
      restricted.addMany(
        allow,
        allow.map((id) => data[Number(id.slice(1))]!),
      )
      const truth = queries.slice(0, 40).map((q) => restricted.search(q, 10).map((h) => h.id))
      const got = queries.slice(0, 40).map((q) => index.search(q, 10, { allow }).map((h) => h.id))
      for (const hits of got) for (const id of hits) expect(allowed.has(id)).toBe(true)
      expect(recallAt10(truth, got)).toBeGreaterThanOrEqual(0.97)
    }
    index.dispose()
  })

  it('serialize -> load keeps the setting and the answers; the usearch file is unchanged and the addon reads it', async () => {
    const index = await UsearchIndex.create({ dims: 384, compactNavigation: true })
    index.addMany(ids.slice(0, 1_500), data.slice(0, 1_500))
    const bytes = index.serialize()
    const loaded = await UsearchIndex.load(bytes)
    expect(loaded.compactNavigation).toBe(true)
    for (const q of queries) expect(loaded.search(q, 10)).toEqual(index.search(q, 10))
    const off = await UsearchIndex.load(bytes, { compactNavigation: false })
    expect(off.compactNavigation).toBe(false)

    // The copy never reaches the file: the usearch bytes are those of the same index without it.
    const file = index.usearchBytes()
    index.setCompactNavigation(false)
    expect(Buffer.compare(Buffer.from(index.usearchBytes()), Buffer.from(file))).toBe(0)
    const dir = mkdtempSync(join(tmpdir(), 'engram-compact-'))
    try {
      writeFileSync(join(dir, 'index.usearch'), file)
      const native = new usearch.Index({
        dimensions: 384,
        metric: usearch.MetricKind.Cos,
        quantization: 'f32' as ScalarKind,
        connectivity: 0,
        expansion_add: 0,
        expansion_search: 0,
        multi: false,
      })
      native.load(join(dir, 'index.usearch'))
      expect(native.size()).toBe(1_500)
      const theirs = Array.from(native.search(queries[0]!, 1, 1).keys, (key) => `m${key}`)
      expect(theirs).toEqual([loaded.search(queries[0]!, 1)[0]!.id])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    // A plain usearch file (no engram header) loads with compact navigation on request.
    const plain = await UsearchIndex.load(file, { compactNavigation: true })
    expect(plain.compactNavigation).toBe(true)
    expect(plain.search(queries[0]!, 1)[0]!.id).toBe(String(loaded.search(queries[0]!, 1)[0]!.id.slice(1)))
    for (const i of [index, loaded, off, plain]) i.dispose()
  })

  for (const metric of ['l2', 'ip'] as Metric[]) {
    it(`matches the exact scan on small data (${metric})`, async () => {
      const random = seededRandom(metric === 'l2' ? 5 : 6)
      const small = Array.from({ length: 300 }, () => Float32Array.from({ length: 32 }, () => random() * 2 - 1))
      const smallIds = names(small.length)
      const exact = new FlatIndex({ dims: 32, metric })
      exact.addMany(smallIds, small)
      const index = await UsearchIndex.create({ dims: 32, metric, compactNavigation: true, expansionSearch: 300 })
      index.addMany(smallIds, small)
      for (const q of small.slice(0, 20).map((v) => v.map((x) => x * 0.9 + 0.05))) {
        const want = exact.search(q, 5)
        const got = index.search(q, 5)
        expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id))
        got.forEach((h, i) => {
          expect(h.distance).toBeCloseTo(want[i]!.distance, 3)
        })
      }
      index.dispose()
    })
  }

  it('rejects bad input with a clear error and changes nothing', async () => {
    await expectCode(() => UsearchIndex.create({ dims: 8, quantization: 'i8', compactNavigation: true }), 'VALIDATION', /f32/)
    await expectCode(() => UsearchIndex.create({ dims: 8, compactNavigation: 'yes' as unknown as boolean }), 'VALIDATION')
    const i8 = await UsearchIndex.create({ dims: 8, quantization: 'i8' })
    await expectCode(() => i8.setCompactNavigation(true), 'VALIDATION', /f32/)
    await expectCode(() => UsearchIndex.load(i8.serialize(), { compactNavigation: true }), 'VALIDATION', /f32/)
    const index = await UsearchIndex.create({ dims: 8, compactNavigation: true })
    index.add('a', Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0))
    await expectCode(() => index.add('b', new Float32Array(4)), 'VALIDATION')
    await expectCode(() => index.add('b', Float32Array.of(1, Number.NaN, 0, 0, 0, 0, 0, 0)), 'VALIDATION')
    await expectCode(() => index.add('a', Float32Array.of(0, 1, 0, 0, 0, 0, 0, 0)), 'CONFLICT')
    await expectCode(() => index.search(new Float32Array(4), 1), 'VALIDATION')
    expect(index.size).toBe(1)
    expect(index.search(Float32Array.of(0, 1, 0, 0, 0, 0, 0, 0), 5)).toEqual([{ id: 'a', distance: expect.closeTo(1, 5) }])
    expect(index.remove('unknown')).toBe(false)
    index.dispose()
    i8.dispose()
  })

  it('createVectorIndex turns it on for f32 by default, through the flat -> HNSW switch and through load', async () => {
    const index = await createVectorIndex({ dims: 384, flatLimit: 100 })
    index.addMany(ids.slice(0, 300), data.slice(0, 300))
    expect(index.kind).toBe('usearch')
    const bytes = index.serialize()
    const loaded = (await createVectorIndex({ dims: 384, from: bytes })) as UsearchIndex
    expect(loaded.compactNavigation).toBe(true)
    expect(loaded.search(queries[0]!, 10)).toEqual(index.search(queries[0]!, 10))
    const truth = flat.search(queries[0]!, 300).filter((h) => Number(h.id.slice(1)) < 300)
    expect(index.search(queries[0]!, 1)[0]!.id).toBe(truth[0]!.id)
    // Off on request, when loading too; an index saved without it gets it from createVectorIndex.
    const off = (await createVectorIndex({ dims: 384, from: bytes, compactNavigation: false })) as UsearchIndex
    expect(off.compactNavigation).toBe(false)
    const plain = (await createVectorIndex({ dims: 384, flatLimit: 0, compactNavigation: false })) as UsearchIndex
    expect(plain.compactNavigation).toBe(false)
    plain.add('a', data[0]!)
    expect(((await createVectorIndex({ dims: 384, from: plain.serialize() })) as UsearchIndex).compactNavigation).toBe(true)
    // Not for i8 (its vectors are already compact), and an explicit request is refused.
    const i8 = (await createVectorIndex({ dims: 384, flatLimit: 0, quantization: 'i8' })) as UsearchIndex
    expect(i8.compactNavigation).toBe(false)
    expect(((await createVectorIndex({ dims: 384, from: i8.serialize() })) as UsearchIndex).compactNavigation).toBe(false)
    await expectCode(() => createVectorIndex({ dims: 384, quantization: 'i8', compactNavigation: true }), 'VALIDATION', /f32/)
    await expectCode(() => createVectorIndex({ dims: 384, compactNavigation: 1 as unknown as boolean }), 'VALIDATION')
  })
})

/**
 * An Embedder that answers from a vector file when it can and asks the real one (loaded on first miss)
 * otherwise, so an evaluation rerun embeds nothing. The cache is keyed by model id and exact text; it
 * lives in .cache/ (gitignored) as `<name>.json` (texts) + `<name>.f32` (vectors in the same order).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Embedder, EmbedOptions } from '../../src/embed/embedder.js'

export interface CachingEmbedder extends Embedder {
  /** Texts that had to be embedded by the model since the cache was opened. */
  readonly misses: number
  save(): void
}

export function cachingEmbedder(base: string, meta: { id: string; dims: number }, load: () => Promise<Embedder>): CachingEmbedder {
  const vectors = new Map<string, Float32Array>()
  const textsFile = `${base}.json`
  const vectorsFile = `${base}.f32`
  if (existsSync(textsFile) && existsSync(vectorsFile)) {
    const saved = JSON.parse(readFileSync(textsFile, 'utf8')) as { id: string; dims: number; texts: string[] }
    if (saved.id === meta.id && saved.dims === meta.dims) {
      const raw = readFileSync(vectorsFile)
      const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
      if (all.length === saved.texts.length * meta.dims) {
        for (const [i, t] of saved.texts.entries()) vectors.set(t, all.slice(i * meta.dims, (i + 1) * meta.dims))
      }
    }
  }
  let model: Promise<Embedder> | undefined
  let misses = 0
  let dirty = false
  return {
    id: meta.id,
    dims: meta.dims,
    get misses() {
      return misses
    },
    async embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]> {
      const missing = [...new Set(texts.filter((t) => !vectors.has(t)))]
      if (missing.length > 0) {
        model ??= load()
        const embedder = await model
        if (embedder.id !== meta.id || embedder.dims !== meta.dims)
          throw new Error(`cache expects ${meta.id}/${meta.dims}, got ${embedder.id}/${embedder.dims}`)
        for (let i = 0; i < missing.length; i += 256) {
          const batch = missing.slice(i, i + 256)
          const out = await embedder.embed(batch, options)
          for (const [j, t] of batch.entries()) vectors.set(t, out[j]!)
        }
        misses += missing.length
        dirty = true
      }
      return texts.map((t) => vectors.get(t)!.slice())
    },
    save() {
      if (!dirty) return
      mkdirSync(dirname(base), { recursive: true })
      const texts = [...vectors.keys()]
      const all = new Float32Array(texts.length * meta.dims)
      for (const [i, t] of texts.entries()) all.set(vectors.get(t)!, i * meta.dims)
      writeFileSync(vectorsFile, new Uint8Array(all.buffer))
      writeFileSync(textsFile, JSON.stringify({ id: meta.id, dims: meta.dims, texts }))
      dirty = false
    },
  }
}

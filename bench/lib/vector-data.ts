/**
 * Deterministic test and benchmark vectors that look like text embeddings: unit length, grouped in topics,
 * each topic spread over a few latent directions (real embeddings have low intrinsic dimension), plus a
 * little isotropic noise. The same seed gives the same vectors on every machine.
 */

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal samples from a uniform source (Box-Muller). */
export function gaussian(random: () => number): () => number {
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const out = spare
      spare = undefined
      return out
    }
    const u = random() || Number.MIN_VALUE
    const v = random()
    const r = Math.sqrt(-2 * Math.log(u))
    spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }
}

export interface ClusteredOptions {
  /** @default 384 */
  dims?: number
  /** Number of topics. @default 64 */
  clusters?: number
  /** Latent directions shared by all topics. @default 24 */
  latent?: number
  /** Scale of the latent spread inside a topic, relative to the distance between topics. @default 0.35 */
  spread?: number
  /** @default 1 */
  seed?: number
}

/**
 * A generator of clustered unit vectors: `next()` returns the following vector of the stream, so the
 * database and the queries can come from one stream (queries are fresh points, not copies).
 */
export function clusteredStream(options: ClusteredOptions = {}): () => Float32Array {
  const { dims = 384, clusters = 64, latent = 24, spread = 0.35, seed = 1 } = options
  const random = seededRandom(seed)
  const normal = gaussian(random)
  const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: dims }, normal))
  const basis = Array.from({ length: latent }, () => Float32Array.from({ length: dims }, () => normal() * spread))
  return () => {
    const center = centers[Math.floor(random() * clusters)]!
    const v = new Float32Array(dims)
    for (let i = 0; i < dims; i++) v[i] = center[i]! + normal() * 0.15
    for (const direction of basis) {
      const z = normal()
      for (let i = 0; i < dims; i++) v[i]! += z * direction[i]!
    }
    let norm = 0
    for (let i = 0; i < dims; i++) norm += v[i]! * v[i]!
    const inv = 1 / Math.sqrt(norm)
    for (let i = 0; i < dims; i++) v[i]! *= inv
    return v
  }
}

/** `count` clustered unit vectors from `seed`. */
export function clusteredVectors(count: number, options: ClusteredOptions = {}): Float32Array[] {
  const next = clusteredStream(options)
  return Array.from({ length: count }, next)
}

/**
 * The USE-lite parity check, shared by the Node, Chromium and workerd runs: our embedder's vectors
 * against reference vectors from the TF.js graph (test/fixtures/embed/use-lite-reference.json, made by
 * test/fixtures/embed/make-reference.ts and re-checked against live TF.js by the Node test).
 */

export interface UseLiteReference {
  /** What produced the vectors. */
  source: string
  dims: number
  sentences: string[]
  /** Little-endian float32 vectors, one after the other, base64. */
  vectors: string
}

export interface ParityResult {
  /** Largest |ours - reference| over every component of every vector. */
  maxAbsDiff: number
  /** The sentence where it happened. */
  worst: string
  count: number
}

export function decodeVectors(base64: string, dims: number): Float32Array[] {
  const bin = atob(base64)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  const view = new DataView(bytes.buffer)
  const out: Float32Array[] = []
  for (let off = 0; off < bytes.length; off += dims * 4) {
    const v = new Float32Array(dims)
    for (let i = 0; i < dims; i++) v[i] = view.getFloat32(off + i * 4, true)
    out.push(v)
  }
  return out
}

export function encodeVectors(vectors: readonly Float32Array[]): string {
  const dims = vectors[0]?.length ?? 0
  const bytes = new Uint8Array(vectors.length * dims * 4)
  const view = new DataView(bytes.buffer)
  vectors.forEach((v, r) => {
    for (let i = 0; i < dims; i++) view.setFloat32((r * dims + i) * 4, v[i]!, true)
  })
  let bin = ''
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!)
  return btoa(bin)
}

export function compareVectors(
  sentences: readonly string[],
  ours: readonly Float32Array[],
  reference: readonly Float32Array[],
): ParityResult {
  if (ours.length !== reference.length) throw new Error(`parity: ${ours.length} vectors against ${reference.length} references`)
  let maxAbsDiff = 0
  let worst = ''
  ours.forEach((v, r) => {
    const ref = reference[r]!
    if (v.length !== ref.length) throw new Error(`parity: vector ${r} has ${v.length} dimensions, reference ${ref.length}`)
    for (let i = 0; i < v.length; i++) {
      const d = Math.abs(v[i]! - ref[i]!)
      if (!(d <= maxAbsDiff)) {
        maxAbsDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d
        worst = sentences[r]!
      }
    }
  })
  return { maxAbsDiff, worst, count: ours.length }
}

/** Embeds the reference sentences with `embed` (in batches, as a memory would) and compares. */
export async function checkUseLiteParity(
  embed: (texts: string[]) => Promise<Float32Array[]>,
  reference: UseLiteReference,
  batchSize = 16,
): Promise<ParityResult> {
  const refVectors = decodeVectors(reference.vectors, reference.dims)
  const ours: Float32Array[] = []
  for (let i = 0; i < reference.sentences.length; i += batchSize) ours.push(...(await embed(reference.sentences.slice(i, i + batchSize))))
  return compareVectors(reference.sentences, ours, refVectors)
}

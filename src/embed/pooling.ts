/** Splitting token sequences that exceed a model's window, and pooling the pieces back into one vector. */

/**
 * Cuts `ids` into pieces of at most `max` tokens, preferring to cut before a token that starts a word.
 * A single word longer than `max` is cut inside.
 */
export function chunkTokens(ids: readonly number[], max: number, startsWord: (id: number) => boolean = () => true): number[][] {
  if (ids.length <= max) return [ids.slice()]
  const chunks: number[][] = []
  let start = 0
  while (ids.length - start > max) {
    let cut = start + max
    // Look back for a word start, but never so far that a chunk shrinks below half the window.
    for (let i = cut; i > start + max / 2; i--) {
      if (startsWord(ids[i]!)) {
        cut = i
        break
      }
    }
    chunks.push(ids.slice(start, cut))
    start = cut
  }
  chunks.push(ids.slice(start))
  return chunks
}

/** Token-count-weighted mean of chunk vectors, L2-normalized (one chunk comes back as is, normalized). */
export function poolChunks(vectors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const dims = vectors[0]!.length
  const out = new Float32Array(dims)
  const sum = new Float64Array(dims)
  for (let c = 0; c < vectors.length; c++) {
    const v = vectors[c]!
    const w = weights[c]!
    for (let i = 0; i < dims; i++) sum[i]! += v[i]! * w
  }
  let norm = 0
  for (let i = 0; i < dims; i++) norm += sum[i]! * sum[i]!
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0
  for (let i = 0; i < dims; i++) out[i] = sum[i]! * inv
  return out
}

/** A text's pieces, each tagged with the text it belongs to. */
export interface Piece {
  text: number
  ids: number[]
}

/**
 * Runs `pieces` through `embedBatch` in batches of at most `batchSize`, grouping pieces of similar length
 * (less padding), and returns one pooled vector per text.
 */
export async function embedPieces(
  pieces: readonly Piece[],
  textCount: number,
  batchSize: number,
  embedBatch: (batch: readonly number[][]) => Promise<Float32Array[]>,
  beforeBatch: () => void = () => {},
): Promise<Float32Array[]> {
  const order = pieces.map((_, i) => i).sort((a, b) => pieces[a]!.ids.length - pieces[b]!.ids.length)
  const vectors: Float32Array[] = new Array(pieces.length)
  for (let i = 0; i < order.length; i += batchSize) {
    beforeBatch()
    const slice = order.slice(i, i + batchSize)
    const out = await embedBatch(slice.map((p) => pieces[p]!.ids))
    slice.forEach((p, j) => {
      vectors[p] = out[j]!
    })
  }
  const perText: { vectors: Float32Array[]; weights: number[] }[] = Array.from({ length: textCount }, () => ({ vectors: [], weights: [] }))
  pieces.forEach((piece, i) => {
    perText[piece.text]!.vectors.push(vectors[i]!)
    perText[piece.text]!.weights.push(piece.ids.length)
  })
  return perText.map((t) => poolChunks(t.vectors, t.weights))
}

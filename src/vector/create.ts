/**
 * The vector index the memory uses: the exact flat scan while the index is small, usearch's HNSW (in
 * WebAssembly) once it grows past `flatLimit`. The switch happens inside an add, synchronously, because
 * the wasm module is compiled up front.
 */
import { memoryError } from '../core/errors.js'
import { FlatIndex } from './flat.js'
import { loadUsearchModule, UsearchIndex, type UsearchIndexOptions, type UsearchLoadOptions, type UsearchWasmSource } from './usearch.js'
import type { CreateVectorIndexOptions, Metric, Quantization, SearchHit, SearchOptions, VectorIndex } from './vector-index.js'

/**
 * Vectors kept in the exact scan before moving to HNSW. Measured by bench/vector.ts (docs/bench/vector.md,
 * 384-d): HNSW answers faster at every size, but the scan is exact, costs nothing to build (HNSW takes
 * about half a millisecond per vector) and needs no wasm instance; below this size it still answers in
 * well under a millisecond.
 */
export const FLAT_LIMIT = 256

const FLAT_MAGIC = 0x4c464745 // 'EGFL', the flat index's serialized form

export interface VectorIndexOptions extends CreateVectorIndexOptions {
  /** Vectors held by the exact scan before switching to HNSW; 0 means HNSW from the start. @default FLAT_LIMIT */
  flatLimit?: number
  /**
   * HNSW graph degree. With i8, 8 is the sparsest graph measured that still reaches
   * recall@10 0.95 (at ef 96, with 29% of the f32 index's memory at 100k × 384, docs/bench/vector.md; 6 did
   * not by ef 256).
   * @default 16
   */
  connectivity?: number
  /** HNSW candidate list while inserting. @default 128 */
  expansionAdd?: number
  /** HNSW candidate list while searching. @default 96 */
  expansionSearch?: number
  /**
   * f32 HNSW: walk the graph on an i8 copy of the vectors and re-rank the candidates with exact f32
   * distances (see UsearchIndexOptions): about twice as fast at the same recall (docs/bench/vector.md) for a
   * quarter more vector memory. Applies to loaded f32 indexes too. @default true for f32, false otherwise
   */
  compactNavigation?: boolean
  /** The compiled usearch (workerd passes the module it imported). @default wasm/usearch.wasm */
  wasm?: UsearchWasmSource
}

/**
 * Creates a vector index, or loads one from `from` (bytes made by its `serialize()`).
 * @example
 * const index = await createVectorIndex({ dims: 384, metric: 'cos', quantization: 'i8' })
 * index.add('m1', vector)
 * const hits = index.search(query, 10, { allow: ['m1', 'm7'] })
 * const copy = await createVectorIndex({ dims: 384, from: index.serialize() })
 */
export async function createVectorIndex(options: VectorIndexOptions): Promise<VectorIndex> {
  const { dims, metric = 'cos', quantization = 'f32', flatLimit = FLAT_LIMIT, from } = options
  if (!Number.isInteger(dims) || dims < 1 || dims > 65536) throw memoryError('VALIDATION', 'dims must be an integer in 1..65536')
  if (!(['cos', 'ip', 'l2'] as unknown[]).includes(metric)) throw memoryError('VALIDATION', `Unknown metric '${String(metric)}'`)
  if (!(['f32', 'f16', 'i8'] as unknown[]).includes(quantization)) {
    throw memoryError('VALIDATION', `Unknown quantization '${String(quantization)}'`)
  }
  if (!Number.isInteger(flatLimit) || flatLimit < 0) throw memoryError('VALIDATION', 'flatLimit must be a non-negative integer')
  const { compactNavigation } = options
  if (compactNavigation !== undefined && typeof compactNavigation !== 'boolean') {
    throw memoryError('VALIDATION', 'compactNavigation must be a boolean')
  }
  if (compactNavigation && quantization !== 'f32') throw memoryError('VALIDATION', 'compactNavigation needs an f32 index')
  const module = await loadUsearchModule(options.wasm)
  const hnsw: Omit<UsearchIndexOptions, 'wasm'> = { dims, metric, quantization }
  if (options.connectivity !== undefined) hnsw.connectivity = options.connectivity
  if (options.expansionAdd !== undefined) hnsw.expansionAdd = options.expansionAdd
  if (options.expansionSearch !== undefined) hnsw.expansionSearch = options.expansionSearch
  hnsw.compactNavigation = compactNavigation ?? quantization === 'f32'
  if (from === undefined) {
    if (flatLimit === 0) return UsearchIndex.createFrom(module, hnsw)
    return new AdaptiveIndex(module, hnsw, flatLimit, new FlatIndex({ dims, metric }))
  }
  if (!(from instanceof Uint8Array)) throw memoryError('VALIDATION', 'from must be a Uint8Array')
  const isFlat = from.byteLength >= 4 && new DataView(from.buffer, from.byteOffset, 4).getUint32(0, true) === FLAT_MAGIC
  const loaded: VectorIndex = isFlat ? FlatIndex.deserialize(from) : UsearchIndex.loadFrom(module, from, pick(options))
  if (loaded.dims !== dims) {
    throw memoryError('VALIDATION', `The stored index has ${loaded.dims} dimensions, expected ${dims}`, {
      details: { expected: dims, got: loaded.dims },
    })
  }
  if (!isFlat) {
    const usearch = loaded as UsearchIndex
    if (compactNavigation === undefined && usearch.quantization === 'f32' && !usearch.compactNavigation) usearch.setCompactNavigation(true)
    return loaded
  }
  // The flat bytes hold unit vectors for 'cos', which index the same as the originals.
  const index = new AdaptiveIndex(module, { ...hnsw, metric: loaded.metric }, flatLimit, loaded as FlatIndex, flatEntries(from, dims))
  index.promoteIfDue()
  return index
}

function pick(options: VectorIndexOptions): UsearchLoadOptions {
  const out: UsearchLoadOptions = {}
  if (options.expansionSearch !== undefined) out.expansionSearch = options.expansionSearch
  if (options.compactNavigation !== undefined) out.compactNavigation = options.compactNavigation
  return out
}

/** The flat scan until `flatLimit` vectors, then HNSW; the same ids and answers through the switch. */
class AdaptiveIndex implements VectorIndex {
  readonly dims: number
  readonly metric: Metric
  readonly quantization: Quantization
  #inner: FlatIndex | UsearchIndex
  /** The vectors as given, kept only while flat, to build the HNSW index from. */
  #pending: Map<string, Float32Array>

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly hnsw: Omit<UsearchIndexOptions, 'wasm'>,
    private readonly flatLimit: number,
    flat: FlatIndex,
    pending = new Map<string, Float32Array>(),
  ) {
    this.dims = flat.dims
    this.metric = flat.metric
    this.quantization = hnsw.quantization ?? 'f32'
    this.#inner = flat
    this.#pending = pending
  }

  get kind(): string {
    return this.#inner.kind
  }

  get size(): number {
    return this.#inner.size
  }

  add(id: string, vector: Float32Array): void {
    this.addMany([id], [vector])
  }

  addMany(ids: string[], vectors: Float32Array[]): void {
    this.#inner.addMany(ids, vectors)
    if (this.#inner instanceof UsearchIndex) return
    ids.forEach((id, i) => {
      this.#pending.set(id, new Float32Array(vectors[i]!))
    })
    this.promoteIfDue()
  }

  remove(id: string): boolean {
    this.#pending.delete(id)
    return this.#inner.remove(id)
  }

  has(id: string): boolean {
    return this.#inner.has(id)
  }

  search(vector: Float32Array, k: number, options?: SearchOptions): SearchHit[] {
    return this.#inner.search(vector, k, options)
  }

  memoryUsage(): number {
    let pending = 0
    for (const v of this.#pending.values()) pending += v.byteLength + 64
    return this.#inner.memoryUsage() + pending
  }

  serialize(): Uint8Array {
    return this.#inner.serialize()
  }

  dispose(): void {
    if (this.#inner instanceof UsearchIndex) this.#inner.dispose()
    this.#pending.clear()
  }

  /** Moves to HNSW once the flat index holds `flatLimit` vectors. */
  promoteIfDue(): void {
    if (this.#inner instanceof UsearchIndex || this.#inner.size < this.flatLimit) return
    const hnsw = UsearchIndex.createFrom(this.module, this.hnsw)
    try {
      hnsw.addMany([...this.#pending.keys()], [...this.#pending.values()])
    } catch (e) {
      hnsw.dispose()
      throw e
    }
    this.#inner = hnsw
    this.#pending.clear()
  }
}

/** The id → vector pairs of a flat index's serialized bytes (format in flat.ts), already checked by FlatIndex.deserialize. */
function flatEntries(bytes: Uint8Array, dims: number): Map<string, Float32Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const decoder = new TextDecoder()
  const entries = new Map<string, Float32Array>()
  let offset = 16
  while (offset < bytes.byteLength) {
    const len = view.getUint32(offset, true)
    const id = decoder.decode(bytes.subarray(offset + 4, offset + 4 + len))
    offset += 4 + len
    const vector = new Float32Array(dims)
    new Uint8Array(vector.buffer).set(bytes.subarray(offset, offset + dims * 4))
    entries.set(id, vector)
    offset += dims * 4
  }
  return entries
}

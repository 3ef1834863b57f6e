/** The vector index contract. Methods are synchronous: indexes live in the memory's own thread. */
export type Metric = 'cos' | 'ip' | 'l2'
export type Quantization = 'f32' | 'f16' | 'i8'

export interface SearchHit {
  id: string
  /** Smaller is nearer. For 'cos': 1 - cosine similarity. */
  distance: number
}

export interface SearchOptions {
  /** Only these ids may be returned (filtered recall). */
  allow?: Iterable<string> | ReadonlySet<string>
}

export interface VectorIndex {
  /** Short name for stats ('flat', 'usearch'). */
  readonly kind: string
  readonly dims: number
  readonly metric: Metric
  readonly size: number
  /** Throws MemoryError('VALIDATION') for a wrong dimension or non-finite values, ('CONFLICT') for a duplicate id. */
  add(id: string, vector: Float32Array): void
  addMany(ids: string[], vectors: Float32Array[]): void
  /** Returns false when the id was not there. */
  remove(id: string): boolean
  has(id: string): boolean
  search(vector: Float32Array, k: number, options?: SearchOptions): SearchHit[]
  /** Bytes of memory the index holds (approximate). */
  memoryUsage(): number
  serialize(): Uint8Array
  dispose?(): void
}

export interface CreateVectorIndexOptions {
  dims: number
  /** @default 'cos' */
  metric?: Metric
  /** @default 'f32' */
  quantization?: Quantization
  /** Load from bytes made by `serialize()`. */
  from?: Uint8Array
}

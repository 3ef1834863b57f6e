/**
 * The exact reference index: a brute-force scan. Correct by construction, the yardstick for
 * the WASM index, and the fastest choice for small stores.
 */
import { memoryError } from '../core/errors.js'
import { checkId, checkK, checkVector, normalized } from './validate.js'
import type { Metric, SearchHit, SearchOptions, VectorIndex } from './vector-index.js'

const MAGIC = 0x4c464745 // 'EGFL' little-endian
const FORMAT_VERSION = 1
const METRICS: Metric[] = ['cos', 'ip', 'l2']

export interface FlatIndexOptions {
  dims: number
  /** @default 'cos' */
  metric?: Metric
}

export class FlatIndex implements VectorIndex {
  readonly kind = 'flat'
  readonly dims: number
  readonly metric: Metric
  readonly #vectors = new Map<string, Float32Array>()

  constructor({ dims, metric = 'cos' }: FlatIndexOptions) {
    if (!Number.isInteger(dims) || dims < 1 || dims > 65536) throw memoryError('VALIDATION', 'dims must be an integer in 1..65536')
    if (!METRICS.includes(metric)) throw memoryError('VALIDATION', `Unknown metric '${String(metric)}'`)
    this.dims = dims
    this.metric = metric
  }

  get size(): number {
    return this.#vectors.size
  }

  add(id: string, vector: Float32Array): void {
    checkId(id)
    checkVector(vector, this.dims)
    if (this.#vectors.has(id)) throw memoryError('CONFLICT', `Id '${id}' is already in the index`)
    this.#vectors.set(id, this.metric === 'cos' ? normalized(vector) : new Float32Array(vector))
  }

  addMany(ids: string[], vectors: Float32Array[]): void {
    if (ids.length !== vectors.length) throw memoryError('VALIDATION', 'ids and vectors differ in length')
    const seen = new Set<string>()
    ids.forEach((id, i) => {
      checkId(id)
      checkVector(vectors[i], this.dims)
      if (this.#vectors.has(id) || seen.has(id)) throw memoryError('CONFLICT', `Id '${id}' is already in the index`)
      seen.add(id)
    })
    for (let i = 0; i < ids.length; i++) this.add(ids[i]!, vectors[i]!)
  }

  remove(id: string): boolean {
    return this.#vectors.delete(id)
  }

  has(id: string): boolean {
    return this.#vectors.has(id)
  }

  search(vector: Float32Array, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(vector, this.dims)
    checkK(k)
    const query = this.metric === 'cos' ? normalized(vector) : vector
    const hits: SearchHit[] = []
    const consider = (id: string, stored: Float32Array): void => {
      hits.push({ id, distance: this.#distance(query, stored) })
    }
    if (options.allow) {
      for (const id of options.allow) {
        const stored = this.#vectors.get(id)
        if (stored) consider(id, stored)
      }
    } else {
      for (const [id, stored] of this.#vectors) consider(id, stored)
    }
    hits.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1))
    return hits.slice(0, k)
  }

  memoryUsage(): number {
    let bytes = 0
    for (const [id, v] of this.#vectors) bytes += v.byteLength + id.length * 2 + 64
    return bytes
  }

  serialize(): Uint8Array {
    const encoder = new TextEncoder()
    const ids = [...this.#vectors.keys()].map((id) => encoder.encode(id))
    const size = 16 + ids.reduce((n, id) => n + 4 + id.length, 0) + this.#vectors.size * this.dims * 4
    const out = new Uint8Array(size)
    const view = new DataView(out.buffer)
    view.setUint32(0, MAGIC, true)
    view.setUint16(4, FORMAT_VERSION, true)
    view.setUint16(6, METRICS.indexOf(this.metric), true)
    view.setUint32(8, this.dims, true)
    view.setUint32(12, this.#vectors.size, true)
    let offset = 16
    let i = 0
    for (const vector of this.#vectors.values()) {
      const id = ids[i++]!
      view.setUint32(offset, id.length, true)
      out.set(id, offset + 4)
      offset += 4 + id.length
      new Uint8Array(out.buffer, offset, vector.byteLength).set(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength))
      offset += vector.byteLength
    }
    return out
  }

  /** Load bytes made by {@link FlatIndex.serialize}; throws MemoryError('CORRUPTED') on anything else. */
  static deserialize(bytes: Uint8Array): FlatIndex {
    const corrupt = (why: string) => memoryError('CORRUPTED', `Flat index bytes are not valid: ${why}`)
    if (bytes.byteLength < 16) throw corrupt('too short')
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (view.getUint32(0, true) !== MAGIC) throw corrupt('bad magic')
    if (view.getUint16(4, true) !== FORMAT_VERSION) throw corrupt('unknown version')
    const metric = METRICS[view.getUint16(6, true)]
    if (!metric) throw corrupt('unknown metric')
    const dims = view.getUint32(8, true)
    const count = view.getUint32(12, true)
    const index = new FlatIndex({ dims, metric })
    const decoder = new TextDecoder()
    let offset = 16
    for (let n = 0; n < count; n++) {
      if (offset + 4 > bytes.byteLength) throw corrupt('truncated')
      const len = view.getUint32(offset, true)
      if (offset + 4 + len + dims * 4 > bytes.byteLength) throw corrupt('truncated')
      const id = decoder.decode(bytes.subarray(offset + 4, offset + 4 + len))
      offset += 4 + len
      const vector = new Float32Array(dims)
      new Uint8Array(vector.buffer).set(bytes.subarray(offset, offset + dims * 4))
      offset += dims * 4
      index.#vectors.set(id, vector)
    }
    if (offset !== bytes.byteLength) throw corrupt('trailing bytes')
    return index
  }

  #distance(a: Float32Array, b: Float32Array): number {
    if (this.metric === 'l2') {
      let sum = 0
      for (let i = 0; i < a.length; i++) {
        const d = a[i]! - b[i]!
        sum += d * d
      }
      return sum
    }
    let dot = 0
    for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!
    return 1 - dot
  }
}

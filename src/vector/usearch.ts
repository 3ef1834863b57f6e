/**
 * The HNSW index: usearch compiled to WebAssembly (wasm/usearch.wasm, built by scripts/build-wasm.sh),
 * one wasm instance per index. String ids map to usearch's slots here (each live node's key in the file is
 * its slot); `serialize()` keeps that map and the usearch file together in one blob, and the usearch file
 * inside is the one the native addon reads.
 */
import { memoryError } from '../core/errors.js'
import { IdTable } from './id-table.js'
import { checkId, checkK, checkVector } from './validate.js'
import type { Metric, Quantization, SearchHit, SearchOptions, VectorIndex } from './vector-index.js'

/** Where the compiled usearch comes from: a compiled module (workerd imports the .wasm as one), its bytes, or a URL. */
export type UsearchWasmSource = WebAssembly.Module | ArrayBuffer | Uint8Array | URL | string

export interface UsearchIndexOptions {
  dims: number
  /** @default 'cos' */
  metric?: Metric
  /** Stored scalar type: 'i8' holds a quarter of f32's vector bytes, 'f16' half (and is slow in wasm). @default 'f32' */
  quantization?: Quantization
  /**
   * Graph degree (HNSW M). With i8, 8 is the sparsest graph measured that still reaches
   * recall@10 0.95 (at ef 96, with 29% of the f32 index's memory at 100k × 384, docs/bench/vector.md; 6 did
   * not by ef 256).
   * @default 16
   */
  connectivity?: number
  /** Candidate list size while inserting (efConstruction). @default 128 */
  expansionAdd?: number
  /** Candidate list size while searching (ef); change later with {@link UsearchIndex.setExpansionSearch}. @default 96 */
  expansionSearch?: number
  /**
   * f32 only: also keep an i8 copy of the vectors (a quarter of their bytes), walk the graph on it, and
   * re-rank the ef candidates with the exact f32 distances, which are the distances returned. Faster at the
   * same recall for a quarter more vector memory; the serialized index is unchanged (the copy is rebuilt
   * at load). @default false
   */
  compactNavigation?: boolean
  /** The compiled usearch; by default wasm/usearch.wasm next to the package. */
  wasm?: UsearchWasmSource
}

export interface UsearchLoadOptions {
  /** Overrides the ef stored with the index. */
  expansionSearch?: number
  /** Overrides whether the loaded f32 index navigates on an i8 copy (stored with the index by serialize()). */
  compactNavigation?: boolean
}

interface Exports {
  memory: WebAssembly.Memory
  _initialize(): void
  eg_scratch(bytes: number): number
  eg_error(): number
  eg_create(dims: number, metric: number, scalar: number, m: number, efAdd: number, efSearch: number): number
  eg_dims(): number
  eg_metric(): number
  eg_scalar(): number
  eg_connectivity(): number
  eg_expansion_add(): number
  eg_expansion_search(): number
  eg_change_expansion_search(n: number): void
  eg_size(): number
  eg_memory_usage(): number
  eg_memory_part(part: number): number
  eg_set_compact(on: number): number
  eg_compact(): number
  eg_add_many(count: number, vectors: number, outSlots: number): number
  eg_remove(key: number): number
  eg_search(query: number, k: number, allow: number, allowCount: number, outKeys: number, outDist: number): number
  eg_serialized_length(): number
  eg_save(): number
  eg_load(unit: number, length: number): number
  eg_slot_count(): number
  eg_export_keys(out: number): number
  eg_rekey(): void
}

const METRICS: Metric[] = ['cos', 'ip', 'l2']
const SCALARS: Quantization[] = ['f32', 'f16', 'i8']
const MAGIC = 0x53554745 // 'EGUS' little-endian
const FORMAT_VERSION = 1
const HEADER = 32
const FLAG_UNIT = 1
const FLAG_COMPACT = 2
const STATUS: Record<number, string> = {
  [-1]: 'bad arguments',
  [-2]: 'out of memory',
  [-3]: 'index not created',
  [-5]: 'usearch failed',
  [-6]: 'not a usearch index',
}
/** Largest batch of vectors copied into wasm memory per call, in bytes. */
const BATCH_BYTES = 1 << 20

let defaultModule: Promise<WebAssembly.Module> | undefined

/**
 * Compiles (once) the usearch module. Node reads the file next to the package; browsers and workers fetch
 * it; workerd must pass the module it imported, since it forbids compiling from bytes.
 */
export function loadUsearchModule(source?: UsearchWasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source)
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) return WebAssembly.compile(source as BufferSource)
  if (source !== undefined) return fetchModule([new URL(String(source), import.meta.url)])
  defaultModule ??= fetchModule([
    // src/vector/ in the repository, dist/src/vector/ in the package.
    new URL('../../wasm/usearch.wasm', import.meta.url),
    new URL('../../../wasm/usearch.wasm', import.meta.url),
  ]).catch((e: unknown) => {
    defaultModule = undefined
    throw e
  })
  return defaultModule
}

async function fetchModule(urls: URL[]): Promise<WebAssembly.Module> {
  const failures: string[] = []
  for (const url of urls) {
    try {
      if (url.protocol === 'file:') {
        const fs = 'node:fs/promises'
        const { readFile } = (await import(/* @vite-ignore */ fs)) as typeof import('node:fs/promises')
        return await WebAssembly.compile(await readFile(url))
      }
      const response = await fetch(url)
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      return await WebAssembly.compile(await response.arrayBuffer())
    } catch (e) {
      failures.push(`${url.href}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  throw memoryError('UNSUPPORTED', `Could not load usearch.wasm (pass options.wasm): ${failures.join('; ')}`)
}

/** Where serialization streams to or from: a chunk of linear memory to fill or to copy out; true if done. */
interface Stream {
  write?: ((chunk: Uint8Array) => boolean) | undefined
  read?: ((into: Uint8Array) => boolean) | undefined
}

interface Instance {
  wasm: Exports
  stream: Stream
}

/** A fresh instance; synchronous, so an index can switch to HNSW in the middle of an add. */
function instantiate(module: WebAssembly.Module): Instance {
  const stream: Stream = {}
  let memory: WebAssembly.Memory | undefined
  const view = (at: number, length: number) => new Uint8Array(memory!.buffer, at, length)
  const imports: Record<string, Record<string, (...args: number[]) => number>> = {
    engram: {
      write: (at, length) => (stream.write?.(view(at!, length!)) ? 1 : 0),
      read: (at, length) => (stream.read?.(view(at!, length!)) ? 1 : 0),
    },
  }
  // The few WASI calls libc links (file I/O that engram never reaches) answer ENOSYS.
  for (const { module: name, name: field } of WebAssembly.Module.imports(module)) {
    if (name === 'engram') continue
    imports[name] ??= {}
    imports[name][field] = () => 52
  }
  const wasm = new WebAssembly.Instance(module, imports).exports as unknown as Exports
  memory = wasm.memory
  wasm._initialize()
  return { wasm, stream }
}

/**
 * An approximate nearest-neighbour index (HNSW) running in WebAssembly.
 * @example
 * const index = await UsearchIndex.create({ dims: 384 })
 * index.add('a', vector)
 * index.search(query, 10, { allow: ['a', 'b'] })
 */
export class UsearchIndex implements VectorIndex {
  readonly kind = 'usearch'
  readonly dims: number
  readonly metric: Metric
  readonly quantization: Quantization
  #wasm: Exports | undefined
  readonly #stream: Stream
  /** Id ↔ usearch slot. */
  readonly #ids = new IdTable()

  /**
   * Whether the stored cosine vectors are known to be unit length (every f32/f16 index engram built): a file
   * from elsewhere may hold others, keeps usearch's full cosine, and must not be marked unit when saved.
   */
  readonly #unitVectors: boolean

  private constructor({ wasm, stream }: Instance, unitVectors: boolean) {
    this.#unitVectors = unitVectors
    this.#wasm = wasm
    this.#stream = stream
    this.dims = wasm.eg_dims()
    this.metric = METRICS[wasm.eg_metric()] ?? 'l2'
    this.quantization = SCALARS[wasm.eg_scalar()] ?? 'f32'
  }

  /** A new, empty index. */
  static async create(options: UsearchIndexOptions): Promise<UsearchIndex> {
    return UsearchIndex.createFrom(await loadUsearchModule(options.wasm), options)
  }

  /** {@link UsearchIndex.create} with a module already compiled by {@link loadUsearchModule}. */
  static createFrom(module: WebAssembly.Module, options: Omit<UsearchIndexOptions, 'wasm'>): UsearchIndex {
    const { dims, metric = 'cos', quantization = 'f32' } = options
    const { connectivity = 16, expansionAdd = 128, expansionSearch = 96, compactNavigation = false } = options
    if (!Number.isInteger(dims) || dims < 1 || dims > 65536) throw memoryError('VALIDATION', 'dims must be an integer in 1..65536')
    if (!METRICS.includes(metric)) throw memoryError('VALIDATION', `Unknown metric '${String(metric)}'`)
    if (!SCALARS.includes(quantization)) throw memoryError('VALIDATION', `Unknown quantization '${String(quantization)}'`)
    if (typeof compactNavigation !== 'boolean') throw memoryError('VALIDATION', 'compactNavigation must be a boolean')
    if (compactNavigation && quantization !== 'f32') throw memoryError('VALIDATION', 'compactNavigation needs an f32 index')
    for (const [name, value, min] of [
      ['connectivity', connectivity, 2],
      ['expansionAdd', expansionAdd, 1],
      ['expansionSearch', expansionSearch, 1],
    ] as const) {
      if (!Number.isInteger(value) || value < min || value > 4096)
        throw memoryError('VALIDATION', `${name} must be an integer in ${min}..4096`)
    }
    const instance = instantiate(module)
    const { wasm } = instance
    const status = wasm.eg_create(dims, METRICS.indexOf(metric), SCALARS.indexOf(quantization), connectivity, expansionAdd, expansionSearch)
    if (status !== 0) throw failure(wasm, status, 'Could not create the index')
    const index = new UsearchIndex(instance, true)
    if (compactNavigation) index.setCompactNavigation(true)
    return index
  }

  /**
   * Loads bytes made by {@link UsearchIndex.serialize}, or a plain usearch file (from the native addon's
   * `save()`), whose ids are then its keys in decimal. Throws MemoryError('CORRUPTED') on anything else.
   */
  static async load(bytes: Uint8Array, options: UsearchLoadOptions & { wasm?: UsearchWasmSource } = {}): Promise<UsearchIndex> {
    return UsearchIndex.loadFrom(await loadUsearchModule(options.wasm), bytes, options)
  }

  /** {@link UsearchIndex.load} with a module already compiled by {@link loadUsearchModule}. */
  static loadFrom(module: WebAssembly.Module, bytes: Uint8Array, options: UsearchLoadOptions = {}): UsearchIndex {
    const corrupt = (why: string) => memoryError('CORRUPTED', `usearch index bytes are not valid: ${why}`)
    if (!(bytes instanceof Uint8Array)) throw memoryError('VALIDATION', 'Index bytes must be a Uint8Array')
    // Our blob starts with 'EGUS'; anything else is handed to usearch as its own file format, which
    // starts with the vector matrix's shape and has its 'usearch' magic after the vectors.
    const plain = bytes.byteLength < 4 || new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) !== MAGIC
    let keys: Float64Array | undefined
    let ids: unknown
    let body = bytes
    let unit = false
    let compact = options.compactNavigation
    if (compact !== undefined && typeof compact !== 'boolean') throw memoryError('VALIDATION', 'compactNavigation must be a boolean')
    let expansionSearch = options.expansionSearch
    if (!plain) {
      if (bytes.byteLength < HEADER) throw corrupt('too short')
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      if (view.getUint16(4, true) !== FORMAT_VERSION) throw corrupt('unknown version')
      unit = (view.getUint16(6, true) & FLAG_UNIT) !== 0
      compact ??= (view.getUint16(6, true) & FLAG_COMPACT) !== 0
      expansionSearch ??= view.getUint32(8, true)
      const count = view.getUint32(12, true)
      const idsLength = view.getUint32(16, true)
      const bodyLength = view.getUint32(20, true)
      if (HEADER + count * 8 + idsLength + bodyLength !== bytes.byteLength) throw corrupt('lengths do not add up')
      keys = new Float64Array(count)
      new Uint8Array(keys.buffer).set(bytes.subarray(HEADER, HEADER + count * 8))
      try {
        ids = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER + count * 8, HEADER + count * 8 + idsLength)))
      } catch {
        throw corrupt('id table is not JSON')
      }
      if (!Array.isArray(ids) || ids.length !== count || !ids.every((id) => typeof id === 'string')) throw corrupt('bad id table')
      body = bytes.subarray(bytes.byteLength - bodyLength)
    }
    const instance = instantiate(module)
    const { wasm } = instance
    let offset = 0
    instance.stream.read = (into) => {
      if (offset + into.byteLength > body.byteLength) return false
      into.set(body.subarray(offset, offset + into.byteLength))
      offset += into.byteLength
      return true
    }
    let status: number
    try {
      status = wasm.eg_load(unit ? 1 : 0, body.byteLength)
    } catch (e) {
      throw memoryError('CORRUPTED', 'usearch index bytes are not valid: loading them crashed', { cause: e })
    } finally {
      instance.stream.read = undefined
    }
    if (status === -6) throw corrupt(readError(wasm) || 'usearch rejected the bytes')
    if (status !== 0) throw failure(wasm, status, 'Could not load the index')
    if (offset !== body.byteLength) throw corrupt('trailing bytes')
    const index = new UsearchIndex(instance, unit)
    if (expansionSearch !== undefined) index.setExpansionSearch(expansionSearch)
    // Each id goes to the slot whose node has its key. Files we wrote have every key equal to its slot;
    // others (the native addon's, or ours before slots were keys) are re-keyed that way once mapped.
    const slots = wasm.eg_slot_count()
    const out = wasm.eg_scratch(slots * 8 + 8)
    if (out === 0) throw memoryError('VECTOR_INDEX', 'Out of memory loading the index')
    wasm.eg_export_keys(out)
    const nodeKeys = new Float64Array(wasm.memory.buffer, out, slots).slice()
    const slotOfKey = new Map<number, number>()
    let rekey = false
    nodeKeys.forEach((key, slot) => {
      if (key === -1) return
      slotOfKey.set(key, slot)
      if (key !== slot) rekey = true
    })
    if (slotOfKey.size !== wasm.eg_size()) throw corrupt('duplicate keys')
    if (!keys) {
      keys = Float64Array.from(slotOfKey.keys())
      ids = Array.from(keys, (key) => String(key))
    }
    if (keys.length !== slotOfKey.size) throw corrupt('id table does not match the index')
    const names = ids as string[]
    for (let i = 0; i < keys.length; i++) {
      const slot = slotOfKey.get(keys[i]!)
      if (slot === undefined || index.#ids.idAt(slot) !== undefined) throw corrupt('id table does not match the index')
      if (index.#ids.has(names[i]!)) throw corrupt('duplicate ids')
      index.#ids.set(names[i]!, slot)
    }
    if (rekey) wasm.eg_rekey()
    if (compact) {
      if (index.quantization !== 'f32') throw memoryError('VALIDATION', 'compactNavigation needs an f32 index')
      index.setCompactNavigation(true)
    }
    return index
  }

  get size(): number {
    return this.#ids.size
  }

  /** Candidate list size used by searches (HNSW ef): higher is slower and more exact. */
  get expansionSearch(): number {
    return this.#live().eg_expansion_search()
  }

  setExpansionSearch(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 4096) throw memoryError('VALIDATION', 'expansionSearch must be an integer in 1..4096')
    this.#live().eg_change_expansion_search(n)
  }

  /** Whether searches walk the graph on an i8 copy and re-rank with f32 (see {@link UsearchIndexOptions.compactNavigation}). */
  get compactNavigation(): boolean {
    return this.#live().eg_compact() === 1
  }

  /** Turns compact navigation on (building the i8 copy from the stored vectors) or off (freeing it); f32 only. */
  setCompactNavigation(on: boolean): void {
    if (typeof on !== 'boolean') throw memoryError('VALIDATION', 'compactNavigation must be a boolean')
    if (on && this.quantization !== 'f32') throw memoryError('VALIDATION', 'compactNavigation needs an f32 index')
    const wasm = this.#live()
    const status = this.#call(() => wasm.eg_set_compact(on ? 1 : 0))
    if (status < 0) throw failure(wasm, status, 'Could not change compact navigation')
  }

  add(id: string, vector: Float32Array): void {
    this.addMany([id], [vector])
  }

  addMany(ids: string[], vectors: Float32Array[]): void {
    if (!Array.isArray(ids) || !Array.isArray(vectors) || ids.length !== vectors.length) {
      throw memoryError('VALIDATION', 'ids and vectors must be arrays of the same length')
    }
    const seen = new Set<string>()
    ids.forEach((id, i) => {
      checkId(id)
      checkVector(vectors[i], this.dims)
      if (this.#ids.has(id) || seen.has(id)) throw memoryError('CONFLICT', `Id '${id}' is already in the index`)
      seen.add(id)
    })
    const wasm = this.#live()
    const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (this.dims * 4)))
    const slots = new Float64Array(ids.length)
    for (let start = 0; start < ids.length; start += perBatch) {
      const count = Math.min(perBatch, ids.length - start)
      const slotsAt = align8(count * this.dims * 4)
      const at = wasm.eg_scratch(slotsAt + count * 8)
      if (at === 0) this.#rollback(slots.subarray(0, start), 'Out of memory adding vectors')
      const rows = new Float32Array(wasm.memory.buffer, at, count * this.dims)
      for (let i = 0; i < count; i++) rows.set(vectors[start + i]!, i * this.dims)
      // A failed batch frees what it added itself; the batches before it are undone here.
      const status = this.#call(() => wasm.eg_add_many(count, at, at + slotsAt))
      if (status !== 0) this.#rollback(slots.subarray(0, start), `Could not add vectors (${STATUS[status] ?? status}: ${readError(wasm)})`)
      slots.set(new Float64Array(wasm.memory.buffer, at + slotsAt, count), start)
    }
    ids.forEach((id, i) => {
      this.#ids.set(id, slots[i]!)
    })
  }

  remove(id: string): boolean {
    const slot = this.#ids.slotOf(id)
    if (slot === -1) return false
    const wasm = this.#live()
    const status = this.#call(() => wasm.eg_remove(slot))
    if (status < 0) throw failure(wasm, status, `Could not remove '${id}'`)
    this.#ids.delete(id)
    return true
  }

  has(id: string): boolean {
    return this.#ids.has(id)
  }

  search(vector: Float32Array, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(vector, this.dims)
    checkK(k)
    const wasm = this.#live()
    let allowed: Float64Array | undefined
    if (options.allow !== undefined) {
      const slots: number[] = []
      for (const id of options.allow) {
        const slot = this.#ids.slotOf(id)
        if (slot !== -1) slots.push(slot)
      }
      allowed = Float64Array.from(slots).sort()
    }
    const wanted = Math.min(k, allowed ? allowed.length : this.size)
    if (wanted === 0) return []
    const allowAt = align8(this.dims * 4)
    const keysAt = allowAt + (allowed ? allowed.byteLength : 0)
    const distancesAt = keysAt + wanted * 8
    const at = wasm.eg_scratch(distancesAt + wanted * 4)
    if (at === 0) throw memoryError('VECTOR_INDEX', 'Out of memory searching the index')
    new Float32Array(wasm.memory.buffer, at, this.dims).set(vector)
    if (allowed) new Float64Array(wasm.memory.buffer, at + allowAt, allowed.length).set(allowed)
    const found = this.#call(() => wasm.eg_search(at, wanted, at + allowAt, allowed ? allowed.length : -1, at + keysAt, at + distancesAt))
    if (found < 0) throw failure(wasm, found, 'Search failed')
    const slots = new Float64Array(wasm.memory.buffer, at + keysAt, found)
    const distances = new Float32Array(wasm.memory.buffer, at + distancesAt, found)
    const hits: SearchHit[] = []
    for (let i = 0; i < found; i++) {
      const id = this.#ids.idAt(slots[i]!)
      if (id !== undefined) hits.push({ id, distance: distances[i]! })
    }
    return hits
  }

  /**
   * Bytes this index holds: what usearch reports for its graph and vectors (arena tails included), the
   * compact copy if any, and the id table's typed arrays (see {@link memoryParts}).
   */
  memoryUsage(): number {
    const parts = this.memoryParts()
    return parts.graph + parts.vectors + parts.compact + parts.ids
  }

  /** {@link memoryUsage} in parts; `ids` is the id table's typed arrays (see {@link IdTable}). */
  memoryParts(): { graph: number; vectors: number; compact: number; ids: number } {
    const wasm = this.#live()
    return { graph: wasm.eg_memory_part(0), vectors: wasm.eg_memory_part(1), compact: wasm.eg_memory_part(2), ids: this.#ids.bytes() }
  }

  /** Bytes usearch itself reports for the graph and vectors, plus the compact copy. */
  indexMemoryUsage(): number {
    return this.#live().eg_memory_usage()
  }

  /** Bytes of wasm linear memory the instance has grown to (it never shrinks; untouched pages cost no RAM). */
  linearMemoryBytes(): number {
    return this.#live().memory.buffer.byteLength
  }

  /** The index alone in usearch's file format, as the native addon's `save()` writes it; keys (slots), not ids. */
  usearchBytes(): Uint8Array {
    const out = new Uint8Array(this.#live().eg_serialized_length())
    this.#saveInto(out)
    return out
  }

  /** Header, keys (f64; each is the id's slot), ids (JSON), then the usearch file. Read back with {@link UsearchIndex.load}. */
  serialize(): Uint8Array {
    const entries = [...this.#ids.entries()]
    const keys = Float64Array.from(entries, ([, slot]) => slot)
    const ids = new TextEncoder().encode(JSON.stringify(entries.map(([id]) => id)))
    const bodyLength = this.#live().eg_serialized_length()
    const out = new Uint8Array(HEADER + keys.byteLength + ids.byteLength + bodyLength)
    const view = new DataView(out.buffer)
    view.setUint32(0, MAGIC, true)
    view.setUint16(4, FORMAT_VERSION, true)
    const flags =
      (this.metric === 'cos' && this.quantization !== 'i8' && this.#unitVectors ? FLAG_UNIT : 0) |
      (this.compactNavigation ? FLAG_COMPACT : 0)
    view.setUint16(6, flags, true)
    view.setUint32(8, this.expansionSearch, true)
    view.setUint32(12, keys.length, true)
    view.setUint32(16, ids.byteLength, true)
    view.setUint32(20, bodyLength, true)
    // Bytes 24..31 held the next key to hand out before keys became slots; unused now.
    out.set(new Uint8Array(keys.buffer), HEADER)
    out.set(ids, HEADER + keys.byteLength)
    // The usearch file is streamed straight into its place: at 100k vectors it is most of 170 MB.
    this.#saveInto(out.subarray(HEADER + keys.byteLength + ids.byteLength))
    return out
  }

  /** Streams the usearch file into `out`, which must be exactly its length. */
  #saveInto(out: Uint8Array): void {
    const wasm = this.#live()
    let offset = 0
    this.#stream.write = (chunk) => {
      if (offset + chunk.byteLength > out.byteLength) return false
      out.set(chunk, offset)
      offset += chunk.byteLength
      return true
    }
    try {
      const status = this.#call(() => wasm.eg_save())
      if (status !== 0 || offset !== out.byteLength) throw failure(wasm, status, 'Could not serialize the index')
    } finally {
      this.#stream.write = undefined
    }
  }

  /** Releases the wasm instance; the index is unusable afterwards. */
  dispose(): void {
    this.#wasm = undefined
    this.#ids.clear()
  }

  #live(): Exports {
    if (!this.#wasm) throw memoryError('CLOSED', 'The vector index was disposed')
    return this.#wasm
  }

  /** A trap leaves the instance in an unknown state: drop it rather than answer from it. */
  #call(fn: () => number): number {
    try {
      return fn()
    } catch (e) {
      this.dispose()
      throw memoryError('VECTOR_INDEX', `The vector index crashed and was closed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      })
    }
  }

  /** Frees the slots of batches already added, then throws. */
  #rollback(slots: Float64Array, message: string): never {
    const wasm = this.#live()
    for (const slot of slots) wasm.eg_remove(slot)
    throw memoryError('VECTOR_INDEX', message)
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8
}

function readError(wasm: Exports): string {
  const at = wasm.eg_error()
  if (!at) return ''
  const bytes = new Uint8Array(wasm.memory.buffer, at)
  const end = bytes.indexOf(0)
  return new TextDecoder().decode(bytes.subarray(0, Math.max(end, 0)))
}

function failure(wasm: Exports, status: number, message: string) {
  const why = [STATUS[status] ?? `status ${status}`, readError(wasm)].filter(Boolean).join(': ')
  return memoryError('VECTOR_INDEX', `${message} (${why})`)
}

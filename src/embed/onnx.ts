/**
 * onnxruntime-web (its wasm build, never the bare import that pulls in WebGPU) set up for every runtime:
 * in Node ort's wasm is found beside the installed package, in a browser it is fetched next to ort's
 * script (or from `wasmPaths`), in workerd a precompiled module is handed over (see ort-workerd.ts).
 * ort's configuration is process-wide: the first session decides it.
 */
import type * as Ort from 'onnxruntime-web/wasm'
import { asMemoryError, memoryError } from '../core/errors.js'
import { defaultThreads, embedRuntime } from './env.js'
import { withPrecompiledOrtWasm } from './ort-workerd.js'

export type OrtModule = typeof Ort
export type OrtTensor = Ort.Tensor

/** Where and how onnxruntime-web runs. */
export interface OnnxRuntimeOptions {
  /** Threads for ort. More than one needs shared memory (crossOriginIsolated). @default 1, or up to 4 when crossOriginIsolated */
  threads?: number
  /** URL prefix of ort's .wasm files, for pages that serve them from their own path. @default next to ort's script; in Node, onnxruntime-web/dist */
  wasmPaths?: string
  /** ort's wasm, already compiled: required in Cloudflare Workers, where compiling from bytes is forbidden. */
  wasmModule?: WebAssembly.Module
}

let ortLoading: Promise<OrtModule> | null = null
/** Serializes session creation until ort's wasm is up (its start-up is global and must happen once). */
let startup: Promise<unknown> = Promise.resolve()
let started = false

async function loadOrt(options: OnnxRuntimeOptions): Promise<OrtModule> {
  ortLoading ??= (async () => {
    const ort = await import('onnxruntime-web/wasm')
    const wasm = ort.env.wasm
    wasm.numThreads = options.threads ?? defaultThreads()
    wasm.proxy = false
    if (options.wasmPaths) wasm.wasmPaths = options.wasmPaths
    else if (embedRuntime.isNode && !options.wasmModule) {
      const dist = await nodeOrtDist()
      if (dist) wasm.wasmPaths = dist
    }
    ort.env.logLevel = 'error'
    return ort
  })()
  try {
    return await ortLoading
  } catch (e) {
    ortLoading = null
    throw asMemoryError(e, 'EMBEDDING', 'Could not load onnxruntime-web')
  }
}

/** file:// URL of onnxruntime-web/dist/ in Node (null when it cannot be resolved, e.g. in a bundle). */
async function nodeOrtDist(): Promise<string | null> {
  try {
    const { createRequire } = (await import(/* @vite-ignore */ 'node:module' as string)) as typeof import('node:module')
    const { pathToFileURL } = (await import(/* @vite-ignore */ 'node:url' as string)) as typeof import('node:url')
    const wasmFile = createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')
    return pathToFileURL(wasmFile).href.replace(/[^/]*$/, '')
  } catch {
    return null
  }
}

/** One loaded model. Runs are queued: ort-web runs one inference per session at a time. */
export class OnnxSession {
  readonly inputNames: readonly string[]
  readonly outputNames: readonly string[]
  readonly #session: Ort.InferenceSession
  readonly #ort: OrtModule
  #queue: Promise<unknown> = Promise.resolve()
  #released = false

  constructor(ort: OrtModule, session: Ort.InferenceSession) {
    this.#ort = ort
    this.#session = session
    this.inputNames = session.inputNames
    this.outputNames = session.outputNames
  }

  /** An int64 tensor from plain numbers. */
  int64(values: ArrayLike<number>, dims: readonly number[]): OrtTensor {
    const data = new BigInt64Array(values.length)
    for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!)
    return new this.#ort.Tensor('int64', data, dims)
  }

  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    const result = this.#queue.then(async () => {
      if (this.#released) throw memoryError('CLOSED', 'The embedder was disposed')
      try {
        return (await this.#session.run(feeds)) as Record<string, OrtTensor>
      } catch (e) {
        throw asMemoryError(e, 'EMBEDDING', 'The ONNX model failed to run')
      }
    })
    this.#queue = result.catch(() => undefined)
    return result
  }

  async release(): Promise<void> {
    if (this.#released) return
    this.#released = true
    await this.#queue
    await this.#session.release()
  }
}

/**
 * Creates a session from model bytes. A model that ort cannot parse (truncated, not ONNX) is an
 * EMBEDDING error that says so.
 */
export async function createOnnxSession(bytes: Uint8Array, options: OnnxRuntimeOptions = {}, label = 'model'): Promise<OnnxSession> {
  const ort = await loadOrt(options)
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  }
  const create = () => ort.InferenceSession.create(bytes, sessionOptions)
  const attempt = async (): Promise<Ort.InferenceSession> => {
    if (started) return create()
    const session = options.wasmModule ? await withPrecompiledOrtWasm(ort.env.wasm, options.wasmModule, create) : await create()
    started = true
    return session
  }
  const run = startup.then(attempt, attempt)
  startup = run.catch(() => undefined)
  try {
    return new OnnxSession(ort, await run)
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e)
    throw memoryError('EMBEDDING', `Could not load the ONNX ${label} (${bytes.length} bytes; truncated or not an ONNX model?): ${reason}`, {
      cause: e,
    })
  }
}

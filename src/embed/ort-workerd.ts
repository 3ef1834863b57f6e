/**
 * workerd (Cloudflare Workers) forbids compiling WebAssembly from bytes at run time: a Worker must import
 * the .wasm as a module, which the platform compiles at deploy time. onnxruntime-web 1.30 has no public
 * option to take a compiled `WebAssembly.Module` (only `env.wasm.wasmBinary`, bytes). Its emscripten glue,
 * when given `wasmBinary`, calls `WebAssembly.instantiate(bytes, imports)`. So we give ort a tiny placeholder
 * as `wasmBinary`, and for the duration of ort's start-up route exactly that call to the precompiled module.
 * Any other instantiate call passes through untouched, and the original function is restored afterwards.
 */

/** The 8-byte wasm header: a placeholder that can never be mistaken for a real ort binary. */
const PLACEHOLDER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])

function isPlaceholder(source: unknown): boolean {
  let bytes: Uint8Array | null = null
  if (source instanceof Uint8Array) bytes = source
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source)
  if (!bytes || bytes.length !== PLACEHOLDER.length) return false
  return bytes.every((b, i) => b === PLACEHOLDER[i])
}

/** The part of `ort.env.wasm` this file sets. */
export interface OrtWasmFlags {
  wasmBinary?: ArrayBufferLike | Uint8Array
  numThreads?: number
}

/**
 * Runs `start` (which must trigger ort's wasm initialisation, e.g. the first `InferenceSession.create`) so
 * that ort instantiates `module` instead of compiling bytes.
 * @example
 * import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm'   // a CompiledWasm module in workerd
 * const session = await withPrecompiledOrtWasm(ort.env.wasm, ortWasm, () => ort.InferenceSession.create(bytes))
 */
export async function withPrecompiledOrtWasm<T>(flags: OrtWasmFlags, module: WebAssembly.Module, start: () => Promise<T>): Promise<T> {
  if (!(module instanceof WebAssembly.Module)) throw new TypeError('withPrecompiledOrtWasm needs a WebAssembly.Module')
  const wasm = WebAssembly as { instantiate: typeof WebAssembly.instantiate }
  const original = wasm.instantiate
  const patched = ((source: unknown, imports?: WebAssembly.Imports) => {
    if (isPlaceholder(source)) {
      return original(module, imports).then((instance) => ({ instance, module }))
    }
    return (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports)
  }) as typeof WebAssembly.instantiate
  flags.wasmBinary = PLACEHOLDER.slice()
  // The threaded build would have to start workers from a script URL, which workerd cannot do either.
  flags.numThreads = 1
  wasm.instantiate = patched
  try {
    return await start()
  } finally {
    if (wasm.instantiate === patched) wasm.instantiate = original
  }
}

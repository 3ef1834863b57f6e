import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOnnxSession } from '../../src/embed/onnx.js'
import { makeTinyBert } from '../shared/embed-tiny-bert.js'

// This file must be the first ort user of its worker: ort starts its wasm once per process, and the point
// is to start it the workerd way. Here, as in workerd, instantiating or compiling wasm from bytes throws.
const wasmBytes = readFileSync(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'))
const original = { instantiate: WebAssembly.instantiate, compile: WebAssembly.compile }
let fromBytesAttempts = 0
let compiled: WebAssembly.Module
let forbidding: typeof WebAssembly.instantiate

beforeAll(async () => {
  compiled = await WebAssembly.compile(wasmBytes)
  forbidding = ((source: unknown, imports?: WebAssembly.Imports) => {
    if (source instanceof WebAssembly.Module) return original.instantiate(source, imports)
    fromBytesAttempts++
    return Promise.reject(new Error('Wasm code generation disallowed by embedder'))
  }) as typeof WebAssembly.instantiate
  WebAssembly.instantiate = forbidding
  WebAssembly.compile = () => {
    fromBytesAttempts++
    return Promise.reject(new Error('Wasm code generation disallowed by embedder'))
  }
})
afterAll(() => {
  WebAssembly.instantiate = original.instantiate
  WebAssembly.compile = original.compile
})

describe('ort-workerd: onnxruntime-web from a precompiled WebAssembly.Module', () => {
  it('starts ort and runs a model without compiling wasm from bytes, then restores WebAssembly.instantiate', async () => {
    const tiny = makeTinyBert(50, 4)
    const session = await createOnnxSession(tiny.bytes, { wasmModule: compiled })
    expect(fromBytesAttempts).toBe(0)
    expect(WebAssembly.instantiate).toBe(forbidding)
    const feeds = {
      input_ids: session.int64([1, 2, 3], [1, 3]),
      attention_mask: session.int64([1, 1, 1], [1, 3]),
      token_type_ids: session.int64([0, 0, 0], [1, 3]),
    }
    const out = await session.run(feeds)
    expect(out.last_hidden_state!.dims).toEqual([1, 3, 4])
    await session.release()
  })
})

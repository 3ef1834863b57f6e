// Issue 9: our ONNX USE-lite (fp32) matches the TF.js reference inside workerd too, started the way a
// Worker must start it: onnxruntime's wasm imported as a module (workerd compiles it; a Worker may not
// compile wasm from bytes), and the model files fetched over a binding (a Worker has no disk), checked
// against the built-in checksums by the loader.
import { env } from 'cloudflare:test'
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEmbedder } from '../../src/embed/create.js'
import type { Embedder } from '../../src/embed/embedder.js'
import reference from '../fixtures/embed/use-lite-reference.json' with { type: 'json' }
import { checkUseLiteParity, type UseLiteReference } from '../shared/embed-parity.js'

/** MODEL_FILES (a service binding of vitest.config.ts) serves the package's models/ folder. */
const files = (env as unknown as { MODEL_FILES?: { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> } }).MODEL_FILES
const fetchFiles = ((input: RequestInfo | URL, init?: RequestInit) => {
  if (!files) throw new Error('The MODEL_FILES service binding is missing from test/workers/vitest.config.ts')
  return files.fetch(input, init)
}) as typeof fetch

let fp32: Embedder
const original = WebAssembly.instantiate
beforeAll(async () => {
  fp32 = await createEmbedder({
    model: 'use-lite',
    modelUrl: 'https://models.engram.test/use-lite.onnx',
    vocabUrl: 'https://models.engram.test/use-lite-vocab.json',
    cache: 'none',
    fetch: fetchFiles,
    wasmModule: ortWasm,
  })
})
afterAll(async () => {
  await fp32?.dispose?.()
})

describe('USE-lite parity in workerd (onnxruntime-web from an imported wasm module)', () => {
  it('starts ort from the imported module and leaves WebAssembly.instantiate as it was', () => {
    expect(ortWasm).toBeInstanceOf(WebAssembly.Module)
    expect(WebAssembly.instantiate).toBe(original)
    expect(fp32).toMatchObject({ id: 'use-lite', dims: 512 })
  })

  it('fp32: max abs difference < 1e-4 against the TF.js reference on 100 varied sentences', async () => {
    const result = await checkUseLiteParity((t) => fp32.embed(t), reference as UseLiteReference)
    expect(result.count).toBe(100)
    expect(result.maxAbsDiff, result.worst).toBeLessThan(1e-4)
  })
})

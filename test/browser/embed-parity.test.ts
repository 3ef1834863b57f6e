/**
 * Issue 9 in Chromium: the fp32 USE-lite on onnxruntime-web (its wasm build, loaded by the page) gives the
 * TF.js reference vectors to within 1e-4 on the 100 parity sentences. The model, its vocabulary and ort's
 * .wasm are fetched from the Vite server, as a page would fetch them from its own origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEmbedder } from '../../src/embed/create.js'
import type { Embedder } from '../../src/embed/embedder.js'
import { checkUseLiteParity, compareVectors, type UseLiteReference } from '../shared/embed-parity.js'
import { PARITY_SENTENCES } from '../shared/embed-sentences.js'

let fp32: Embedder
let reference: UseLiteReference

beforeAll(async () => {
  const response = await fetch('/test/fixtures/embed/use-lite-reference.json')
  expect(response.ok).toBe(true)
  reference = (await response.json()) as UseLiteReference
  fp32 = await createEmbedder({ model: 'use-lite', cache: 'none' })
})

afterAll(async () => {
  await fp32?.dispose?.()
})

describe('USE-lite on onnxruntime-web in Chromium matches the TF.js graph', () => {
  it('runs in the page, not in Node', () => {
    expect(typeof window).toBe('object')
    expect(typeof document).toBe('object')
    expect(fp32.id).toBe('use-lite')
    expect(fp32.dims).toBe(512)
  })

  it('fp32: max abs difference < 1e-4 on 100 varied sentences', async () => {
    expect(reference.sentences).toEqual(PARITY_SENTENCES)
    const result = await checkUseLiteParity((t) => fp32.embed(t), reference)
    console.info(`chromium use-lite parity: max abs diff ${result.maxAbsDiff} (${result.worst})`)
    expect(result.count).toBe(100)
    expect(result.maxAbsDiff, result.worst).toBeLessThan(1e-4)
  })

  it('a batch gives the same vectors as one text at a time', async () => {
    const texts = PARITY_SENTENCES.slice(0, 4) as string[]
    const batch = await fp32.embed(texts)
    for (let i = 0; i < texts.length; i++) {
      const [one] = await fp32.embed([texts[i]!])
      expect(compareVectors([texts[i]!], [one!], [batch[i]!]).maxAbsDiff).toBeLessThan(1e-5)
    }
  })
})

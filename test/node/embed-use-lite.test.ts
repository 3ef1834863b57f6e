import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXPECTED_SHA256 } from '../../scripts/convert-use-lite.mjs'
import { isMemoryError } from '../../src/core/errors.js'
import { createEmbedder } from '../../src/embed/create.js'
import type { Embedder } from '../../src/embed/embedder.js'
import { BUILTIN_MODELS, USE_LITE_VOCAB } from '../../src/embed/models.js'
import { chunkTokens, poolChunks } from '../../src/embed/pooling.js'
import { SentencePieceTokenizer, type SentencePieceVocab, UNKNOWN_ID } from '../../src/embed/tokenizers/sentencepiece.js'
import { tfjsModel, tfjsReferenceVectors } from '../fixtures/embed/tfjs-reference.js'
import reference from '../fixtures/embed/use-lite-reference.json' with { type: 'json' }
import { checkUseLiteParity, compareVectors, decodeVectors, type UseLiteReference } from '../shared/embed-parity.js'
import { PARITY_SENTENCES } from '../shared/embed-sentences.js'

const modelsDir = new URL('../../models/', import.meta.url)
const vocab = JSON.parse(readFileSync(new URL(USE_LITE_VOCAB.file, modelsDir), 'utf8')) as SentencePieceVocab
const tokenizer = new SentencePieceTokenizer(vocab)
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0)
const isCode = (code: string) => (e: unknown) => isMemoryError(e, code as never)

let fp32: Embedder
let int8: Embedder
beforeAll(async () => {
  ;[fp32, int8] = await Promise.all([createEmbedder({ model: 'use-lite' }), createEmbedder()])
})
afterAll(async () => {
  await Promise.all([fp32?.dispose?.(), int8?.dispose?.()])
})

describe('USE-lite model files', () => {
  it('built-in checksums equal the converter script checksums and the files on disk', () => {
    const files = {
      ...Object.fromEntries(Object.values(BUILTIN_MODELS).map((m) => [m.file, m.sha256])),
      [USE_LITE_VOCAB.file]: USE_LITE_VOCAB.sha256,
    }
    expect(files).toEqual(EXPECTED_SHA256)
    for (const [file, sha] of Object.entries(files)) {
      expect(
        createHash('sha256')
          .update(readFileSync(new URL(file, modelsDir)))
          .digest('hex'),
      ).toBe(sha)
    }
  })
})

describe('USE-lite SentencePiece tokenizer', () => {
  const tricky = [
    ...PARITY_SENTENCES,
    'I love 🍕 and 😀😀 emoji',
    'naïve ﬁne ＡＢＣ',
    ':30 at 10:30 :-) :(',
    '東京 is big',
    'a\tb\nc',
    '😀',
    '   leading and trailing   ',
  ]

  it('gives the same ids as the TF.js reference tokenizer, unknown runs included', async () => {
    const ref = (await tfjsModel()).tokenizer
    for (const text of tricky) expect(tokenizer.encode(text), text).toEqual(ref.encode(text))
  })

  it('marks words with ▁ and collapses a run of unknown characters to one unknown id', () => {
    const ids = tokenizer.encode('ok 😀😀😀 ok')
    expect(ids.filter((id) => id === UNKNOWN_ID)).toHaveLength(1)
    expect(tokenizer.startsWord(ids[0]!)).toBe(true)
    expect(tokenizer.encode('')).toEqual([])
  })

  it('drops unknown ids for the model, and keeps the bare ▁ for a text of unknown characters only', () => {
    expect(tokenizer.encodeForModel('I love 😀 emoji')).not.toContain(UNKNOWN_ID)
    expect(tokenizer.encodeForModel('😀😀')).toEqual([tokenizer.wordMarkId])
  })

  it('the parity sentences hold no unknown character and fit the 128-token window', () => {
    for (const s of PARITY_SENTENCES) {
      const ids = tokenizer.encode(s)
      expect(ids, s).not.toContain(UNKNOWN_ID)
      expect(ids.length, s).toBeLessThanOrEqual(128)
    }
  })
})

describe('USE-lite on onnxruntime-web matches the TF.js graph', () => {
  it('the stored reference vectors are what TF.js gives today', async () => {
    const ref = reference as UseLiteReference
    expect(ref.sentences).toEqual(PARITY_SENTENCES)
    const live = await tfjsReferenceVectors(ref.sentences)
    expect(compareVectors(ref.sentences, decodeVectors(ref.vectors, ref.dims), live).maxAbsDiff).toBeLessThan(1e-5)
  })

  it('fp32: max abs difference < 1e-4 on 100 varied sentences', async () => {
    const result = await checkUseLiteParity((t) => fp32.embed(t), reference as UseLiteReference)
    expect(result.count).toBe(100)
    expect(result.maxAbsDiff, result.worst).toBeLessThan(1e-4)
  })

  it('the default is int8 with int8 products (use-lite-int8-dynamic)', () => {
    expect(int8.id).toBe('use-lite-int8-dynamic')
    expect(int8.dims).toBe(512)
  })

  it('both int8 variants stay within cosine 0.99 of fp32 on every sentence', async () => {
    const weightOnly = await createEmbedder({ model: 'use-lite-int8' })
    const a = await fp32.embed([...PARITY_SENTENCES])
    for (const variant of [weightOnly, int8]) {
      const b = await variant.embed([...PARITY_SENTENCES])
      for (let i = 0; i < a.length; i++) expect(dot(a[i]!, b[i]!), `${variant.id}: ${PARITY_SENTENCES[i]}`).toBeGreaterThan(0.99)
    }
    await weightOnly.dispose?.()
  })

  it('a batch gives the same vectors as one text at a time', async () => {
    const texts = PARITY_SENTENCES.slice(0, 8) as string[]
    const batch = await fp32.embed(texts)
    for (let i = 0; i < texts.length; i++) {
      const [one] = await fp32.embed([texts[i]!])
      expect(compareVectors([texts[i]!], [one!], [batch[i]!]).maxAbsDiff).toBeLessThan(1e-5)
    }
  })
})

describe('USE-lite long texts are chunked, not cut', () => {
  const pieceText = (ids: number[]) =>
    ids
      .map((id) => vocab[id]![0])
      .join('')
      .replaceAll('▁', ' ')
      .trim()
  const long = Array.from({ length: 12 }, (_, i) => PARITY_SENTENCES[20 + i]).join(' ')

  it('chunkTokens cuts before word starts and keeps every token', () => {
    const ids = tokenizer.encodeForModel(long)
    expect(ids.length).toBeGreaterThan(128)
    const chunks = chunkTokens(ids, 128, (id) => tokenizer.startsWord(id))
    expect(chunks.flat()).toEqual(ids)
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(128)
      expect(tokenizer.startsWord(c[0]!)).toBe(true)
    }
    expect(chunkTokens([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
  })

  it('a long text embeds as the token-weighted mean of its chunks, renormalized', async () => {
    const chunks = chunkTokens(tokenizer.encodeForModel(long), 128, (id) => tokenizer.startsWord(id))
    expect(chunks.length).toBeGreaterThan(1)
    const chunkTexts = chunks.map(pieceText)
    for (const [i, t] of chunkTexts.entries()) expect(tokenizer.encodeForModel(t)).toEqual(chunks[i])
    const [whole] = await fp32.embed([long])
    const parts = await fp32.embed(chunkTexts)
    const expected = poolChunks(
      parts,
      chunks.map((c) => c.length),
    )
    expect(compareVectors([long], [whole!], [expected]).maxAbsDiff).toBeLessThan(1e-5)
    // Not the first 128 tokens alone: the tail counts.
    expect(dot(whole!, parts[0]!)).toBeLessThan(0.999)
    expect(Math.abs(dot(whole!, whole!) - 1)).toBeLessThan(1e-5)
  })
})

describe('USE-lite bad input', () => {
  it('rejects non-strings, empty and whitespace-only texts with VALIDATION, and embeds nothing', async () => {
    for (const bad of [[null], [42], [''], [' \n\t '], 'text'])
      await expect(int8.embed(bad as string[])).rejects.toSatisfy(isCode('VALIDATION'))
  })

  it('rejects a text over maxTextLength with TOO_LARGE', async () => {
    await expect(int8.embed(['a '.repeat(100_001)])).rejects.toSatisfy(isCode('TOO_LARGE'))
  })

  it('embeds a text of unknown characters only, and an empty list', async () => {
    const [v] = await int8.embed(['😀🙂'])
    expect(Math.abs(dot(v!, v!) - 1)).toBeLessThan(1e-5)
    expect(await int8.embed([])).toEqual([])
  })

  it('honours an aborted signal with ABORTED', async () => {
    const ctrl = new AbortController()
    ctrl.abort()
    await expect(int8.embed(['hi'], { signal: ctrl.signal })).rejects.toSatisfy(isCode('ABORTED'))
  })

  it('rejects an unknown model name and bad options with VALIDATION', async () => {
    await expect(createEmbedder({ model: 'use-huge' as never })).rejects.toSatisfy(isCode('VALIDATION'))
    await expect(createEmbedder({ batchSize: 0 })).rejects.toSatisfy(isCode('VALIDATION'))
    await expect(createEmbedder({ threads: 1.5 })).rejects.toSatisfy(isCode('VALIDATION'))
  })

  it('a truncated or altered built-in model file is an EMBEDDING checksum error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-embed-'))
    const bytes = readFileSync(new URL(BUILTIN_MODELS['use-lite-int8'].file, modelsDir))
    const truncated = join(dir, 'truncated.onnx')
    writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1))
    await expect(createEmbedder({ model: 'use-lite-int8', modelUrl: truncated })).rejects.toSatisfy(
      (e: unknown) => isMemoryError(e, 'EMBEDDING') && /checksum/.test((e as Error).message),
    )
    const missing = join(dir, 'missing.onnx')
    await expect(createEmbedder({ modelUrl: missing })).rejects.toSatisfy(
      (e: unknown) => isMemoryError(e, 'EMBEDDING') && (e as Error).message.includes(missing),
    )
  })
})

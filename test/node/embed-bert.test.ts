import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import { createEmbedder } from '../../src/embed/create.js'
import type { DownloadProgress, ModelCache } from '../../src/embed/model-loader.js'
import { wordPieceFromTokenizerJson } from '../../src/embed/tokenizers/wordpiece.js'
import { makeTinyBert } from '../shared/embed-tiny-bert.js'

const tokenizerPath = join(new URL('../../..', import.meta.url).pathname, 'shared/data/tokenizers/all-MiniLM-L6-v2/tokenizer.json')
const tokenizerBytes = readFileSync(tokenizerPath)
const tokenizer = wordPieceFromTokenizerJson(JSON.parse(tokenizerBytes.toString('utf8')))
const vocabLines = readFileSync(tokenizerPath.replace('tokenizer.json', 'vocab.txt'), 'utf8').split('\n')
const tiny = makeTinyBert(vocabLines.length - 1)
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const isEmbeddingError = (pattern: RegExp) => (e: unknown) => isMemoryError(e, 'EMBEDDING') && pattern.test((e as Error).message)

describe('WordPiece tokenizer from the real all-MiniLM-L6-v2 tokenizer.json', () => {
  it('agrees with vocab.txt on the special tokens', () => {
    expect([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.unkId]).toEqual(
      ['[CLS]', '[SEP]', '[PAD]', '[UNK]'].map((t) => vocabLines.indexOf(t)),
    )
  })

  it('lowercases, strips accents and splits punctuation as BERT does', () => {
    // Every output token is checked against vocab.txt, the file the ids come from.
    expect(tokenizer.tokenize('Hello World')).toEqual(['hello', 'world'])
    expect(tokenizer.encode('hello world')).toEqual([vocabLines.indexOf('hello'), vocabLines.indexOf('world')])
    expect(tokenizer.tokenize("Don't stop, HÉLLO naïve café!")).toEqual(['don', "'", 't', 'stop', ',', 'hello', 'naive', 'cafe', '!'])
    expect(tokenizer.tokenize('e-mail: x@y.com $5')).toEqual(['e', '-', 'mail', ':', 'x', '@', 'y', '.', 'com', '$', '5'])
  })

  it('splits unknown words greedily into the longest pieces with ## continuations', () => {
    // Greedy longest-match-first: "una" is in the vocabulary, so it wins over "un".
    expect(tokenizer.tokenize('unaffable')).toEqual(['una', '##ffa', '##ble'])
    const pieces = tokenizer.tokenize('supercalifragilisticexpialidocious')
    expect(pieces[0]).toBe('super')
    expect(pieces.slice(1).every((p) => p.startsWith('##'))).toBe(true)
    expect(pieces.map((p) => p.replace(/^##/, '')).join('')).toBe('supercalifragilisticexpialidocious')
    for (const p of pieces) expect(vocabLines).toContain(p)
  })

  it('puts spaces around CJK characters, drops control characters, and maps unknowns to [UNK]', () => {
    expect(tokenizer.tokenize('東京 ok')).toEqual(['東', '京', 'ok'])
    expect(tokenizer.tokenize('a\u0000b\u200bc')).toEqual(['abc'])
    expect(tokenizer.tokenize('🙂 ok')).toEqual(['[UNK]', 'ok'])
    expect(tokenizer.tokenize('x'.repeat(101))).toEqual(['[UNK]'])
  })

  it('rejects a tokenizer.json that is not WordPiece', () => {
    expect(() => wordPieceFromTokenizerJson({ model: { type: 'BPE', vocab: {} } })).toThrow(/WordPiece/)
  })
})

describe('BERT-family embedder, end to end on a tiny generated model served over loopback HTTP', () => {
  let server: Server
  let base = ''
  const hits = new Map<string, number>()
  let closedPort = 0

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/'
      hits.set(path, (hits.get(path) ?? 0) + 1)
      const send = (body: Uint8Array, type = 'application/octet-stream') => {
        res.writeHead(200, { 'content-type': type, 'content-length': body.length })
        res.end(body)
      }
      if (path === '/model.onnx') return send(tiny.bytes)
      if (path === '/tokenizer.json') return send(tokenizerBytes, 'application/json')
      if (path === '/short.onnx') return send(tiny.bytes.subarray(0, 200))
      if (path === '/broken.onnx') {
        res.writeHead(200, { 'content-length': tiny.bytes.length })
        res.write(tiny.bytes.subarray(0, 1000))
        setTimeout(() => res.destroy(), 20)
        return
      }
      res.writeHead(404).end('not found')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    closedPort = (probe.address() as AddressInfo).port
    await new Promise((r) => probe.close(r))
  })
  afterAll(() => new Promise((r) => server.close(r)))

  const config = (extra: Record<string, unknown> = {}) => ({
    family: 'bert' as const,
    url: `${base}/model.onnx`,
    tokenizerUrl: `${base}/tokenizer.json`,
    dims: tiny.dims,
    maxTokens: 16,
    ...extra,
  })

  it('embeds with mean pooling over real tokens and L2 norm, the same alone or padded in a batch', async () => {
    const embedder = await createEmbedder({ model: config(), cache: 'none' })
    expect(embedder.dims).toBe(8)
    expect(embedder.id).toBe(`bert:${base}/model.onnx`)
    const texts = ['hello world', 'a somewhat longer sentence about morning meetings']
    const [short, long] = await embedder.embed(texts)
    const [alone] = await embedder.embed([texts[0]!])
    const wrap = (t: string) => [tokenizer.clsId, ...tokenizer.encode(t), tokenizer.sepId]
    for (const [got, want] of [
      [short!, tiny.expected(wrap(texts[0]!))],
      [alone!, tiny.expected(wrap(texts[0]!))],
      [long!, tiny.expected(wrap(texts[1]!))],
    ] as const) {
      for (let i = 0; i < 8; i++) expect(got[i]).toBeCloseTo(want[i]!, 5)
    }
    await embedder.dispose?.()
  })

  it('chunks a text longer than maxTokens and pools the chunks', async () => {
    const embedder = await createEmbedder({ model: config(), cache: 'none' })
    const text = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen'
    const ids = tokenizer.encode(text)
    expect(ids.length).toBeGreaterThan(14)
    const [v] = await embedder.embed([text])
    const first = tiny.expected([tokenizer.clsId, ...ids.slice(0, 14), tokenizer.sepId])
    const second = tiny.expected([tokenizer.clsId, ...ids.slice(14), tokenizer.sepId])
    const mixed = first.map((x, i) => x * 16 + second[i]! * (ids.length - 14 + 2))
    const norm = Math.hypot(...mixed)
    for (let i = 0; i < 8; i++) expect(v![i]).toBeCloseTo(mixed[i]! / norm, 5)
    await embedder.dispose?.()
  })

  it('applies query and passage prefixes', async () => {
    const embedder = await createEmbedder({ model: config({ queryPrefix: 'query: ', passagePrefix: 'passage: ' }), cache: 'none' })
    const [q] = await embedder.embed(['hello'], { kind: 'query' })
    const [p] = await embedder.embed(['hello'])
    const want = tiny.expected([tokenizer.clsId, ...tokenizer.encode('query: hello'), tokenizer.sepId])
    for (let i = 0; i < 8; i++) expect(q![i]).toBeCloseTo(want[i]!, 5)
    expect(Array.from(q!)).not.toEqual(Array.from(p!))
    await embedder.dispose?.()
  })

  it('reports download progress and verifies sha256', async () => {
    const events: DownloadProgress[] = []
    const embedder = await createEmbedder({
      model: config({ sha256: sha256(tiny.bytes), tokenizerSha256: sha256(tokenizerBytes) }),
      cache: 'none',
      onProgress: (p) => events.push(p),
    })
    const model = events.filter((e) => e.url.endsWith('/model.onnx'))
    expect(model.at(-1)).toMatchObject({ done: true, loaded: tiny.bytes.length, total: tiny.bytes.length, fromCache: false })
    for (let i = 1; i < model.length; i++) expect(model[i]!.loaded).toBeGreaterThanOrEqual(model[i - 1]!.loaded)
    await embedder.dispose?.()
  })

  it('caches downloads in a directory: the second load makes no model request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-bert-cache-'))
    const before = hits.get('/model.onnx') ?? 0
    const first = await createEmbedder({ model: config({ sha256: sha256(tiny.bytes) }), cache: dir })
    const events: DownloadProgress[] = []
    const second = await createEmbedder({ model: config({ sha256: sha256(tiny.bytes) }), cache: dir, onProgress: (p) => events.push(p) })
    expect((hits.get('/model.onnx') ?? 0) - before).toBe(1)
    expect(events.find((e) => e.url.endsWith('/model.onnx'))?.fromCache).toBe(true)
    expect(await second.embed(['hi'])).toEqual(await first.embed(['hi']))
    await Promise.all([first.dispose?.(), second.dispose?.()])
  })

  it('uses an R2-like { get, put } cache', async () => {
    const store = new Map<string, Uint8Array>()
    const cache: ModelCache = {
      get: async (k) => store.get(k) ?? null,
      put: async (k, v) => {
        store.set(k, v)
      },
    }
    const before = hits.get('/tokenizer.json') ?? 0
    await (await createEmbedder({ model: config(), cache })).dispose?.()
    await (await createEmbedder({ model: config(), cache })).dispose?.()
    expect((hits.get('/tokenizer.json') ?? 0) - before).toBe(1)
    expect(store.size).toBe(2)
  })

  it('a wrong checksum is an EMBEDDING error and is not cached', async () => {
    const store = new Map<string, Uint8Array>()
    const cache: ModelCache = { get: async (k) => store.get(k) ?? null, put: async (k, v) => void store.set(k, v) }
    await expect(createEmbedder({ model: config({ sha256: 'ab'.repeat(32) }), cache })).rejects.toSatisfy(isEmbeddingError(/checksum/))
    expect([...store.keys()].some((k) => k.includes('model.onnx'))).toBe(false)
  })

  it('an unreachable URL, a 404 and a broken-off download are clear EMBEDDING errors', async () => {
    await expect(createEmbedder({ model: config({ url: `http://127.0.0.1:${closedPort}/model.onnx` }), cache: 'none' })).rejects.toSatisfy(
      isEmbeddingError(/Could not download the model from http:\/\/127\.0\.0\.1/),
    )
    await expect(createEmbedder({ model: config({ url: `${base}/missing.onnx` }), cache: 'none' })).rejects.toSatisfy(
      isEmbeddingError(/HTTP 404/),
    )
    await expect(createEmbedder({ model: config({ url: `${base}/broken.onnx` }), cache: 'none' })).rejects.toSatisfy(
      isEmbeddingError(/truncated|broke off/),
    )
  })

  it('a truncated model file (complete download, no checksum) is an EMBEDDING error from the model load', async () => {
    await expect(createEmbedder({ model: config({ url: `${base}/short.onnx` }), cache: 'none' })).rejects.toSatisfy(
      isEmbeddingError(/Could not load the ONNX model \(200 bytes/),
    )
  })

  it('a dims that does not match the model is an EMBEDDING error at embed time', async () => {
    const embedder = await createEmbedder({ model: config({ dims: 16 }), cache: 'none' })
    await expect(embedder.embed(['hello'])).rejects.toSatisfy(isEmbeddingError(/8-dimensional/))
  })

  it('rejects a malformed configuration with VALIDATION', async () => {
    for (const bad of [config({ url: '' }), config({ dims: 0 }), config({ maxTokens: 2 }), config({ sha256: 'xyz' })]) {
      await expect(createEmbedder({ model: bad, cache: 'none' })).rejects.toSatisfy((e: unknown) => isMemoryError(e, 'VALIDATION'))
    }
  })
})

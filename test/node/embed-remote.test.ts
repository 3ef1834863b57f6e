import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import { createOpenAIEmbedder, createWorkersAIEmbedder, type WorkersAIBinding } from '../../src/embed/remote.js'

const isEmbeddingError = (pattern: RegExp) => (e: unknown) => isMemoryError(e, 'EMBEDDING') && pattern.test((e as Error).message)
const norm = (v: Float32Array) => Math.hypot(...v)

describe('OpenAI-compatible /v1/embeddings embedder against a loopback server', () => {
  let server: Server
  let base = ''
  const requests: { auth: string | undefined; body: { model: string; input: string[]; dimensions?: number } }[] = []
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let s = ''
      req.on('data', (c) => (s += c))
      req.on('end', () => resolve(s))
    })

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const body = JSON.parse(await readBody(req)) as { model: string; input: string[]; dimensions?: number }
      requests.push({ auth: req.headers.authorization, body })
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
      if (req.url === '/fail/v1/embeddings') return json(429, { error: { message: 'Rate limit reached' } })
      if (req.url === '/short/v1/embeddings') return json(200, { data: body.input.map((_, index) => ({ index, embedding: [1, 2] })) })
      if (req.url !== '/v1/embeddings') return json(404, { error: { message: 'no route' } })
      // Unnormalized vectors, returned in reverse order with their index, as the API allows.
      const data = body.input.map((text, index) => ({ index, embedding: [text.length, 1, 0, index] }))
      return json(200, { object: 'list', data: data.reverse(), model: body.model })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise((r) => server.close(r)))

  it('posts the model and texts with the key, and returns unit vectors in input order', async () => {
    const embedder = createOpenAIEmbedder({ baseUrl: `${base}/v1`, model: 'test-model', dims: 4, apiKey: 'sk-test', batchSize: 2 })
    expect(embedder.id).toBe('openai:test-model')
    const texts = ['a', 'bbb', 'cc', 'dddd', 'e']
    const out = await embedder.embed(texts)
    expect(out).toHaveLength(5)
    out.forEach((v, i) => {
      expect(norm(v)).toBeCloseTo(1, 6)
      expect(v[0]! / v[1]!).toBeCloseTo(texts[i]!.length, 5)
    })
    const mine = requests.slice(-3)
    expect(mine.map((r) => r.body.input)).toEqual([['a', 'bbb'], ['cc', 'dddd'], ['e']])
    expect(mine.every((r) => r.auth === 'Bearer sk-test' && r.body.model === 'test-model' && r.body.dimensions === undefined)).toBe(true)
  })

  it('applies prefixes by kind and sends dimensions when asked', async () => {
    const embedder = createOpenAIEmbedder({ baseUrl: `${base}/v1/`, model: 'm', dims: 4, queryPrefix: 'query: ', sendDimensions: true })
    await embedder.embed(['x'], { kind: 'query' })
    expect(requests.at(-1)!.body).toMatchObject({ input: ['query: x'], dimensions: 4 })
  })

  it('turns HTTP errors, wrong dimensions and an unreachable server into EMBEDDING errors', async () => {
    await expect(createOpenAIEmbedder({ baseUrl: `${base}/fail/v1`, model: 'm', dims: 4 }).embed(['x'])).rejects.toSatisfy(
      isEmbeddingError(/HTTP 429: Rate limit reached/),
    )
    await expect(createOpenAIEmbedder({ baseUrl: `${base}/short/v1`, model: 'm', dims: 4 }).embed(['x'])).rejects.toSatisfy(
      isEmbeddingError(/2 dimensions, expected 4/),
    )
    await expect(createOpenAIEmbedder({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', dims: 4 }).embed(['x'])).rejects.toSatisfy(
      isEmbeddingError(/unreachable/),
    )
  })

  it('validates input before any request', async () => {
    const before = requests.length
    const embedder = createOpenAIEmbedder({ baseUrl: `${base}/v1`, model: 'm', dims: 4 })
    await expect(embedder.embed(['ok', ''])).rejects.toSatisfy((e: unknown) => isMemoryError(e, 'VALIDATION'))
    expect(requests.length).toBe(before)
    expect(() => createOpenAIEmbedder({ model: 'm', dims: 0 })).toThrow(/dims/)
  })
})

describe('Workers AI binding embedder', () => {
  // The binding is an object with run(); this checks our adapter's request and response handling only.
  const calls: { model: string; text: string[] }[] = []
  const ai: WorkersAIBinding = {
    async run(model, input) {
      calls.push({ model, text: input.text })
      return { shape: [input.text.length, 3], data: input.text.map((t) => [t.length, 2, 2]) }
    },
  }

  it('sends batches of texts to the model and normalizes the vectors', async () => {
    const embedder = createWorkersAIEmbedder({ ai, model: '@cf/baai/bge-small-en-v1.5', dims: 3, batchSize: 2 })
    expect(embedder.id).toBe('workers-ai:@cf/baai/bge-small-en-v1.5')
    const out = await embedder.embed(['a', 'bb', 'ccc'])
    expect(calls.map((c) => c.text)).toEqual([['a', 'bb'], ['ccc']])
    expect(out.map((v) => Math.round((v[0]! / v[1]!) * 2))).toEqual([1, 2, 3])
    for (const v of out) expect(norm(v)).toBeCloseTo(1, 6)
  })

  it('reports a failing or malformed binding as EMBEDDING', async () => {
    const failing: WorkersAIBinding = { run: async () => Promise.reject(new Error('3010: model not found')) }
    await expect(createWorkersAIEmbedder({ ai: failing, model: 'x', dims: 3 }).embed(['a'])).rejects.toSatisfy(
      isEmbeddingError(/model not found/),
    )
    const malformed: WorkersAIBinding = { run: async () => ({ data: [] }) }
    await expect(createWorkersAIEmbedder({ ai: malformed, model: 'x', dims: 3 }).embed(['a'])).rejects.toSatisfy(
      isEmbeddingError(/0 vectors/),
    )
  })
})

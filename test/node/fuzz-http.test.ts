/**
 * Hostile input over the REST routes (src/edge/http.ts): random methods, paths, tokens, query strings,
 * headers and bodies (valid, half-valid, malformed, oversized). No request may get a 5xx: every bad
 * request is the client's error (4xx with a JSON `{ error: { code } }`). After each sequence the
 * namespace's memory must still be consistent. About 2k requests with a fixed seed.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemory, type EngramMemory } from '../../src/core/memory.js'
import { MEMORY_TIERS } from '../../src/core/types.js'
import { signToken, tokenAuth } from '../../src/edge/auth.js'
import { createHttpHandler } from '../../src/edge/http.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'

const RUNS = 20
const REQUESTS = 100
const SEED = Number(process.env.FUZZ_SEED ?? 20261121)
const SECRET = 'fuzz-secret-of-at-least-32-characters!!'
const NOW = 1_800_000_000_000

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
})

interface Tokens {
  [name: string]: string
}

async function tokens(): Promise<Tokens> {
  const now = () => NOW
  return {
    admin: await signToken(SECRET, { namespace: 'fz', scopes: ['read', 'write', 'admin'], now }),
    reader: await signToken(SECRET, { namespace: 'fz', scopes: ['read'], now }),
    other: await signToken(SECRET, { namespace: 'elsewhere', scopes: ['read', 'write'], now }),
    expired: await signToken(SECRET, { namespace: 'fz', scopes: ['read', 'write'], ttlSeconds: 1, now: () => NOW - 10_000 }),
    forged: await signToken('another-secret-of-at-least-32-chars!!!', { namespace: 'fz', scopes: ['read', 'write'], now }),
  }
}

const ids = ['a1', 'b2', 'zz', '..', '%2e%2e', 'x'.repeat(200)]
const jsonText = fc.oneof(
  fc.constantFrom(
    '{"content":"Ann likes tea","metadata":{"n":1},"scope":{"userId":"u1"}}',
    '{"items":[{"content":"one"},{"content":"two","type":"preference"}]}',
    '{"items":[]}',
    '{"content":""}',
    '{"content":"x","id":"a1"}',
    '{"content":"bob@example.org","tier":"working"}',
    '{"filter":{"n":{"$gt":0}}}',
    '{"ids":["a1"]}',
    '{"importance":0.9}',
    '{"content":"updated"}',
    '{"windowHours":24}',
    '{"conversationId":"c1"}',
    '{"__proto__":{"polluted":true},"content":"proto"}',
    '[1,2,3]',
    'null',
    '{',
    '{"content":"\\ud800"}',
    '',
  ),
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 80 }),
  fc.constant(`{"content":"${'a'.repeat(70_000)}"}`),
)
const query = fc.oneof(
  fc.constantFrom('', '?q=tea', '?q=tea&k=3', '?q=tea&k=0', '?q=tea&k=abc', '?q=', '?q=tea&filter={"n":1}', '?q=tea&filter={bad'),
  fc.constantFrom('?q=tea&mode=keyword', '?q=tea&types=preference,bogus', '?limit=2', '?limit=-4&cursor=zz', '?embeddings=true'),
  fc
    .dictionary(
      fc.constantFrom('q', 'k', 'filter', 'types', 'tiers', 'limit', 'cursor', 'minRelevance', 'mode', 'namespace'),
      fc.string({ maxLength: 30 }),
      { maxKeys: 4 },
    )
    .map((d) => `?${new URLSearchParams(d).toString()}`),
)
const path = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      '/store',
      '/recall',
      '/list',
      '/forget',
      '/stats',
      '/health',
      '/export',
      '/consolidate',
      '/summarize',
      '/dashboard/data',
    ),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.constantFrom('/get/', '/history/', '/update/', '/forget/'), fc.constantFrom(...ids)).map(([p, id]) => p + id),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '/', '/nope', '/get/', '/store/extra', '/dashboard') },
  { weight: 1, arbitrary: fc.webPath() },
)
/** The route table: most requests aim at a real route with the right method, so they get past routing. */
const ROUTES: [string, string][] = [
  ['POST', '/store'],
  ['POST', '/store'],
  ['POST', '/store'],
  ['GET', '/recall'],
  ['GET', '/recall'],
  ['GET', '/get/:id'],
  ['GET', '/history/:id'],
  ['GET', '/list'],
  ['PATCH', '/update/:id'],
  ['DELETE', '/forget/:id'],
  ['POST', '/forget'],
  ['DELETE', '/forget'],
  ['GET', '/stats'],
  ['GET', '/health'],
  ['GET', '/export'],
  ['POST', '/consolidate'],
  ['POST', '/summarize'],
  ['GET', '/dashboard/data'],
]
const routed = fc
  .tuple(fc.constantFrom(...ROUTES), fc.constantFrom(...ids))
  .map(([[method, template], id]) => ({ method, path: template.replace(':id', id) }))
const unrouted = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD'),
  path,
})
const request = fc
  .record({
    target: fc.oneof({ weight: 4, arbitrary: routed }, { weight: 1, arbitrary: unrouted }),
    base: fc.oneof({ weight: 19, arbitrary: fc.constant('/memory') }, { weight: 1, arbitrary: fc.constantFrom('/memorix', '', '/api') }),
    query,
    token: fc.oneof(
      { weight: 12, arbitrary: fc.constant('admin') },
      { weight: 2, arbitrary: fc.constant('reader') },
      { weight: 3, arbitrary: fc.constantFrom('other', 'expired', 'forged', 'garbage', 'none') },
    ),
    body: fc.option(jsonText, { nil: undefined, freq: 6 }),
    contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', undefined),
    namespaceHeader: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('fz', 'elsewhere', '../x') },
    ),
  })
  .map(({ target, ...rest }) => ({ ...rest, ...target }))

async function consistent(mem: EngramMemory): Promise<void> {
  await mem.flush()
  expect((await mem.health()).issues.filter((i) => i.code === 'INDEX_MISMATCH')).toEqual([])
  const page = await mem.list({ limit: 10_000, tiers: [...MEMORY_TIERS] })
  expect(await mem.count({ tiers: [...MEMORY_TIERS] })).toBe(page.items.length)
  expect((await mem.verifyAudit()).problems).toEqual([])
}

describe('fuzzing the REST routes', () => {
  it(`${RUNS * REQUESTS} random requests: no 5xx, JSON errors with a code, a consistent memory after`, async () => {
    const tok = await tokens()
    const statuses = new Map<number, number>()
    let sent = 0
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: REQUESTS, maxLength: REQUESTS }), async (requests) => {
        const memories = new Map<string, EngramMemory>()
        const handle = createHttpHandler({
          auth: tokenAuth({ secret: SECRET, now: () => NOW }),
          limits: { maxBodyBytes: 64 * 1024, rateLimitPerMinute: false },
          now: () => NOW,
          resolveMemory: async (ns) => {
            let mem = memories.get(ns)
            if (!mem) {
              mem = await createMemory({ namespace: ns, store: memoryDriver(), embedder: createTestEmbedder({ dims: 16 }), now: () => NOW })
              memories.set(ns, mem)
            }
            return mem
          },
        })
        const problems: string[] = []
        for (const r of requests) {
          const headers = new Headers()
          if (r.token !== 'none') headers.set('authorization', `Bearer ${tok[r.token] ?? 'eg1.garbage.token'}`)
          if (r.contentType) headers.set('content-type', r.contentType)
          if (r.namespaceHeader) headers.set('x-engram-namespace', r.namespaceHeader)
          const hasBody = r.body !== undefined && !['GET', 'HEAD'].includes(r.method)
          let url: string
          try {
            url = new URL(`http://engram.test${r.base}${r.path}${r.query}`).toString()
          } catch {
            continue
          }
          const response = await handle(new Request(url, { method: r.method, headers, ...(hasBody ? { body: r.body as string } : {}) }))
          sent++
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
          const text = await response.text()
          const label = `${r.method} ${r.base}${r.path}${r.query.slice(0, 60)} [${r.token}] -> ${response.status} ${text.slice(0, 200)}`
          if (response.status >= 500) problems.push(label)
          if (response.status >= 400 && r.method !== 'HEAD') {
            let code: unknown
            try {
              code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code
            } catch {
              code = undefined
            }
            if (typeof code !== 'string') problems.push(`no JSON error code: ${label}`)
          }
        }
        expect(problems).toEqual([])
        for (const mem of memories.values()) {
          await consistent(mem)
          await mem.close()
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    )
    if (process.env.FUZZ_DEBUG) console.log([...statuses].sort())
    expect(sent).toBeGreaterThan(RUNS * REQUESTS * 0.9)
    // The sequences reached the routes and the memory, not only routing and the auth check.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS * REQUESTS * 0.1)
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS * REQUESTS * 0.05)
    expect(unhandled).toEqual([])
  }, 120_000)
})

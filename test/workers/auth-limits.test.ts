// Tokens, the per-namespace rate limit and request size limits, under workerd (its WebCrypto and streams).
import { describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import { createMemory } from '../../src/core/memory.js'
import { signToken, tokenAuth, verifyToken } from '../../src/edge/auth.js'
import { createHttpHandler } from '../../src/edge/http.js'
import { createRateLimiter } from '../../src/edge/rate-limit.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { expectError } from './helpers.js'

const SECRET = 'a-secret-of-sufficient-length'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
}

describe('tokens', () => {
  it('round-trip namespace, scopes, subject and expiry', async () => {
    const now = () => 1_700_000_000_000
    const token = await signToken(SECRET, { namespace: 'user-42', scopes: ['read', 'write'], ttlSeconds: 60, subject: 'alice', now })
    expect(token).toMatch(/^eg1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    expect(await verifyToken(SECRET, token, { now })).toEqual({
      namespace: 'user-42',
      scopes: ['read', 'write'],
      subject: 'alice',
      issuedAt: now(),
      expiresAt: now() + 60_000,
    })
  })

  it('refuse a wrong secret, a changed payload, expiry and garbage with UNAUTHORIZED', async () => {
    let t = 1_000_000
    const now = () => t
    const token = await signToken(SECRET, { namespace: 'ns', scopes: ['read'], ttlSeconds: 10, now })
    const [head, payload, sig] = token.split('.') as [string, string, string]
    const admin = btoa(atob(payload.replace(/-/g, '+').replace(/_/g, '/')).replace('"read"', '"admin"')).replace(/=+$/, '')
    const bad = [
      verifyToken('another-secret-of-good-length', token, { now }),
      verifyToken(SECRET, `${head}.${admin}.${sig}`, { now }),
      verifyToken(SECRET, `${head}.${payload}`, { now }),
      verifyToken(SECRET, `eg2.${payload}.${sig}`, { now }),
      verifyToken(SECRET, `${head}.${payload}.${sig}!`, { now }),
      verifyToken(SECRET, 'x'.repeat(5000), { now }),
      verifyToken(SECRET, '', { now }),
    ]
    for (const p of bad) expect(isMemoryError(await rejection(p), 'UNAUTHORIZED')).toBe(true)
    t += 9_999
    await expect(verifyToken(SECRET, token, { now })).resolves.toMatchObject({ namespace: 'ns' })
    t += 1
    const expired = await rejection(verifyToken(SECRET, token, { now }))
    expect(isMemoryError(expired, 'UNAUTHORIZED')).toBe(true)
    expect((expired as Error).message).toMatch(/expired/)
  })

  it('signing refuses a short secret, a bad namespace, unknown scopes and a bad lifetime', async () => {
    const cases = [
      signToken('short', { namespace: 'ns', scopes: ['read'] }),
      signToken(SECRET, { namespace: '../other', scopes: ['read'] }),
      signToken(SECRET, { namespace: '', scopes: ['read'] }),
      signToken(SECRET, { namespace: 'ns', scopes: [] }),
      signToken(SECRET, { namespace: 'ns', scopes: ['root' as 'read'] }),
      signToken(SECRET, { namespace: 'ns', scopes: ['read'], ttlSeconds: -1 }),
    ]
    for (const p of cases) expect(isMemoryError(await rejection(p), 'VALIDATION')).toBe(true)
    expect(() => tokenAuth({ secret: '' })).toThrow(/secret/)
  })
})

describe('rate limit', () => {
  it('a namespace gets its burst, then waits; other namespaces are not affected', () => {
    let t = 0
    const limiter = createRateLimiter({ perMinute: 60, burst: 3, now: () => t })
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true])
    const refused = limiter.take('a')
    expect(refused.ok).toBe(false)
    expect(!refused.ok && refused.retryAfterMs).toBe(1000)
    expect(limiter.take('b').ok).toBe(true)
    t += 1000
    expect(limiter.take('a').ok).toBe(true)
    expect(limiter.take('a').ok).toBe(false)
  })

  it('the HTTP handler answers 429 with Retry-After and touches nothing', async () => {
    const memories = new Map<string, Awaited<ReturnType<typeof createMemory>>>()
    const resolveMemory = async (ns: string) => {
      let m = memories.get(ns)
      if (!m) memories.set(ns, (m = await createMemory({ namespace: ns, store: memoryDriver(), embedder: createTestEmbedder() })))
      return m
    }
    const handle = createHttpHandler({
      resolveMemory,
      auth: tokenAuth({ secret: SECRET }),
      rateLimiter: createRateLimiter({ perMinute: 6, burst: 2 }),
    })
    const tokenA = await signToken(SECRET, { namespace: 'a', scopes: ['read', 'write'] })
    const tokenB = await signToken(SECRET, { namespace: 'b', scopes: ['read', 'write'] })
    const store = (token: string, content: string) =>
      handle(
        new Request('http://x/memory/store', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ content }),
        }),
      )
    expect((await store(tokenA, 'one')).status).toBe(200)
    expect((await store(tokenA, 'two')).status).toBe(200)
    const limited = await store(tokenA, 'three')
    expect(limited.headers.get('retry-after')).toBe('10')
    await expectError(limited, 429, 'RATE_LIMITED')
    expect((await store(tokenB, 'other namespace')).status).toBe(200)
    expect(await (await resolveMemory('a')).count()).toBe(2)
  })
})

describe('request size limit', () => {
  it('a body over maxBodyBytes is refused with 413 whether or not it declares its length', async () => {
    const mem = await createMemory({ namespace: 'size', store: memoryDriver(), embedder: createTestEmbedder() })
    const handle = createHttpHandler({
      resolveMemory: async () => mem,
      auth: tokenAuth({ secret: SECRET }),
      limits: { maxBodyBytes: 1000 },
    })
    const token = await signToken(SECRET, { namespace: 'size', scopes: ['write'] })
    const body = JSON.stringify({ content: 'y'.repeat(2000) })
    const declared = await handle(
      new Request('http://x/memory/store', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body }),
    )
    await expectError(declared, 413, 'TOO_LARGE')
    const bytes = new TextEncoder().encode(body)
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 300) controller.enqueue(bytes.slice(i, i + 300))
        controller.close()
      },
    })
    const chunked = new Request('http://x/memory/store', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: streamed })
    expect(chunked.headers.get('content-length')).toBeNull()
    await expectError(await handle(chunked), 413, 'TOO_LARGE')
    expect(await mem.count()).toBe(0)
    const ok = await handle(
      new Request('http://x/memory/store', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{"content":"fits"}' }),
    )
    expect(ok.status).toBe(200)
  })
})

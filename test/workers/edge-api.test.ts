// The REST API as deployed: Worker -> Durable Object per namespace -> DO storage + R2, under workerd.
import { abortAllDurableObjects } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { EngramMemory } from '../../src/core/memory.js'
import { call, callJson, expectError, freshNamespace, type RecallBody, tokenFor } from './helpers.js'

interface Stats {
  total: number
  logSeq: number
  byTier: Record<string, number>
}
const stats = (token: string) => callJson<Stats>('GET', '/memory/stats', { token })

describe('routes', () => {
  it('POST /memory/store stores one memory and answers { id }', async () => {
    const token = await tokenFor(freshNamespace('store'))
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', {
      token,
      body: { content: 'User prefers morning meetings', type: 'preference', importance: 0.8, metadata: { category: 'scheduling' } },
    })
    expect(typeof id).toBe('string')
    const { memory } = await callJson<{ memory: Record<string, unknown> }>('GET', `/memory/get/${id}`, { token })
    expect(memory).toMatchObject({
      id,
      content: 'User prefers morning meetings',
      type: 'preference',
      importance: 0.8,
      metadata: { category: 'scheduling' },
    })
  })

  it('POST /memory/store with { items } stores a batch and answers { ids }', async () => {
    const token = await tokenFor(freshNamespace('batch'))
    const items = ['alpha apples', 'bravo bananas', 'charlie cherries'].map((content) => ({ content, type: 'semantic' }))
    const { ids } = await callJson<{ ids: string[] }>('POST', '/memory/store', { token, body: { items } })
    expect(ids).toHaveLength(3)
    expect(new Set(ids).size).toBe(3)
    expect((await stats(token)).total).toBe(3)
  })

  it('GET /memory/recall answers { results: [{ memory, score }] }, best first, honouring k and types', async () => {
    const token = await tokenFor(freshNamespace('recall'))
    await callJson('POST', '/memory/store', {
      token,
      body: {
        items: [
          { content: 'The user likes green tea in the morning', type: 'preference' },
          { content: 'The quarterly report is due on Friday', type: 'episodic' },
          { content: 'Green tea has less caffeine than coffee', type: 'semantic' },
        ],
      },
    })
    const body = await callJson<RecallBody>('GET', `/memory/recall?q=${encodeURIComponent('green tea')}&k=2`, { token })
    expect(body.results).toHaveLength(2)
    for (const hit of body.results) {
      expect(hit.memory.content).toMatch(/green tea/i)
      expect(typeof hit.score).toBe('number')
    }
    expect(body.results[0]!.score).toBeGreaterThanOrEqual(body.results[1]!.score)
    const prefs = await callJson<RecallBody>('GET', '/memory/recall?q=green+tea&types=preference', { token })
    expect(prefs.results.map((r) => r.memory.type)).toEqual(['preference'])
    const filtered = await callJson<RecallBody>(
      'GET',
      `/memory/recall?q=tea&filter=${encodeURIComponent('{"type":{"$in":["semantic"]}}')}`,
      { token },
    )
    expect(filtered.results.map((r) => r.memory.content)).toEqual(['Green tea has less caffeine than coffee'])
  })

  it('PATCH /memory/update/:id updates and versions; GET /memory/history/:id shows both versions', async () => {
    const token = await tokenFor(freshNamespace('update'))
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', { token, body: { content: 'Meeting at 9' } })
    const { memory } = await callJson<{ memory: { content: string; version: number; importance: number } }>(
      'PATCH',
      `/memory/update/${id}`,
      {
        token,
        body: { content: 'Meeting at 10', importance: 0.9 },
      },
    )
    expect(memory).toMatchObject({ content: 'Meeting at 10', version: 2, importance: 0.9 })
    const { history } = await callJson<{ history: { version: number }[] }>('GET', `/memory/history/${id}`, { token })
    expect(history.map((h) => h.version)).toEqual([1, 2])
  })

  it('DELETE /memory/forget/:id forgets one memory; a second time is 404', async () => {
    const token = await tokenFor(freshNamespace('forget'))
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', { token, body: { content: 'temporary thought' } })
    expect(await callJson('DELETE', `/memory/forget/${id}`, { token })).toEqual({ forgotten: 1 })
    await expectError(await call('GET', `/memory/get/${id}`, { token }), 404, 'NOT_FOUND')
    await expectError(await call('DELETE', `/memory/forget/${id}`, { token }), 404, 'NOT_FOUND')
  })

  it('POST and DELETE /memory/forget forget by filter', async () => {
    const token = await tokenFor(freshNamespace('forget-filter'))
    await callJson('POST', '/memory/store', {
      token,
      body: {
        items: [
          { content: 'work note one', metadata: { project: 'a' } },
          { content: 'work note two', metadata: { project: 'a' } },
          { content: 'home note', metadata: { project: 'b' } },
        ],
      },
    })
    expect(await callJson('POST', '/memory/forget', { token, body: { filter: { project: 'a' } } })).toEqual({ forgotten: 2 })
    expect(await callJson('DELETE', '/memory/forget', { token, body: { filter: { project: { $eq: 'b' } } } })).toEqual({ forgotten: 1 })
    expect((await stats(token)).total).toBe(0)
  })

  it('GET /memory/list pages through memories', async () => {
    const token = await tokenFor(freshNamespace('list'))
    await callJson('POST', '/memory/store', { token, body: { items: Array.from({ length: 5 }, (_, i) => ({ content: `note ${i}` })) } })
    const first = await callJson<{ items: unknown[]; cursor?: string }>('GET', '/memory/list?limit=3', { token })
    expect(first.items).toHaveLength(3)
    expect(first.cursor).toBeDefined()
    const second = await callJson<{ items: unknown[]; cursor?: string }>(
      'GET',
      `/memory/list?limit=3&cursor=${encodeURIComponent(first.cursor!)}`,
      { token },
    )
    expect(second.items).toHaveLength(2)
  })

  it('GET /memory/stats and /memory/health describe the namespace', async () => {
    const namespace = freshNamespace('stats')
    const token = await tokenFor(namespace)
    await callJson('POST', '/memory/store', { token, body: { items: [{ content: 'a b c' }, { content: 'd e f', tier: 'short-term' }] } })
    const s = await callJson<Stats & { namespace: string }>('GET', '/memory/stats', { token })
    expect(s).toMatchObject({ namespace, total: 2 })
    expect(s.byTier['short-term']).toBe(1)
    const health = await callJson<{ ok: boolean }>('GET', '/memory/health', { token })
    expect(typeof health.ok).toBe('boolean')
  })

  it('GET /memory/export streams NDJSON, one record per line', async () => {
    const token = await tokenFor(freshNamespace('export'))
    await callJson('POST', '/memory/store', { token, body: { items: [{ content: 'one' }, { content: 'two' }] } })
    const response = await call('GET', '/memory/export', { token })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/ndjson/)
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { content: string })
    expect(lines.map((l) => l.content).sort()).toEqual(['one', 'two'])
  })

  it('POST /memory/consolidate and /memory/summarize run when the memory has them, else answer 501 UNSUPPORTED', async () => {
    const token = await tokenFor(freshNamespace('maintain'))
    await callJson('POST', '/memory/store', {
      token,
      body: { items: [{ content: 'the sky is blue' }, { content: 'the sky is blue today' }] },
    })
    for (const verb of ['consolidate', 'summarize'] as const) {
      const response = await call('POST', `/memory/${verb}`, { token, body: {} })
      if (typeof (EngramMemory.prototype as unknown as Record<string, unknown>)[verb] === 'function') {
        expect(response.status, await response.clone().text()).toBe(200)
      } else await expectError(response, 501, 'UNSUPPORTED')
    }
  })

  it('GET /memory/dashboard is an HTML page; /memory/dashboard/data feeds its charts', async () => {
    const page = await call('GET', '/memory/dashboard')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    const html = await page.text()
    expect(html).toContain('Memories per tier over time')
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/)

    const token = await tokenFor(freshNamespace('dash'))
    await callJson('POST', '/memory/store', {
      token,
      body: {
        items: [
          { content: 'apple pie recipe', type: 'procedural' },
          { content: 'likes apples', type: 'preference' },
        ],
      },
    })
    await callJson('GET', '/memory/recall?q=apple', { token })
    const data = await callJson<{
      series: { at: number[]; byType: Record<string, number[]> }
      recall: { count: number }
      top: { accessCount: number }[]
    }>('GET', '/memory/dashboard/data', { token })
    expect(data.series.at).toHaveLength(24)
    expect(data.series.byType.procedural!.at(-1)).toBe(1)
    expect(data.recall.count).toBe(1)
    expect(data.top.length).toBeGreaterThan(0)
  })

  it('GET /memory/events streams memory events as server-sent events', async () => {
    const token = await tokenFor(freshNamespace('events'))
    const response = await call('GET', '/memory/events', { token })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/)
    const reader = response.body!.getReader()
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', { token, body: { content: 'an event-worthy memory' } })
    let text = ''
    while (!text.includes('event: stored')) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    await reader.cancel()
    const data = /event: stored\ndata: (.*)\n/.exec(text)
    expect(data).not.toBeNull()
    expect(JSON.parse(data![1]!)).toMatchObject({ type: 'stored', ids: [id] })
  })
})

describe('auth', () => {
  const protectedRoutes: [string, string, unknown?][] = [
    ['POST', '/memory/store', { content: 'x' }],
    ['GET', '/memory/recall?q=x'],
    ['GET', '/memory/get/abc'],
    ['GET', '/memory/history/abc'],
    ['GET', '/memory/list'],
    ['PATCH', '/memory/update/abc', { content: 'y' }],
    ['DELETE', '/memory/forget/abc'],
    ['POST', '/memory/forget', { ids: ['abc'] }],
    ['GET', '/memory/stats'],
    ['GET', '/memory/health'],
    ['GET', '/memory/export'],
    ['POST', '/memory/consolidate', {}],
    ['POST', '/memory/summarize', {}],
    ['GET', '/memory/dashboard/data'],
    ['GET', '/memory/events'],
  ]

  it('no token, a bad signature, an expired token or a malformed header get 401 on every route', async () => {
    const namespace = freshNamespace('auth')
    const good = await tokenFor(namespace)
    const tampered = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
    const expired = await tokenFor(namespace, ['read', 'write'], 0.001)
    await new Promise((r) => setTimeout(r, 20))
    const [head, , sig] = good.split('.')
    const forged = `${head}.${btoa(JSON.stringify({ namespace: 'other', scopes: ['admin'], expiresAt: Date.now() + 1e6, issuedAt: 0 })).replace(/=+$/, '')}.${sig}`
    for (const [method, path, body] of protectedRoutes) {
      for (const token of [null, tampered, expired, forged, 'not-a-token']) {
        await expectError(await call(method, path, { token, body }), 401, 'UNAUTHORIZED')
      }
      await expectError(await call(method, path, { headers: { authorization: `Basic ${btoa('a:b')}` }, body }), 401, 'UNAUTHORIZED')
    }
    expect((await stats(good)).total).toBe(0)
  })

  it('a read-only token cannot write; a write-only token cannot read', async () => {
    const namespace = freshNamespace('scopes')
    const reader = await tokenFor(namespace, ['read'])
    const writer = await tokenFor(namespace, ['write'])
    await expectError(await call('POST', '/memory/store', { token: reader, body: { content: 'x' } }), 403, 'FORBIDDEN')
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', { token: writer, body: { content: 'written' } })
    await expectError(await call('GET', '/memory/recall?q=written', { token: writer }), 403, 'FORBIDDEN')
    await expectError(await call('DELETE', `/memory/forget/${id}`, { token: reader }), 403, 'FORBIDDEN')
    expect((await stats(reader)).total).toBe(1)
    const admin = await tokenFor(namespace, ['admin'])
    expect((await callJson<RecallBody>('GET', '/memory/recall?q=written', { token: admin })).results).toHaveLength(1)
  })

  it('a token naming another namespace than the one asked for gets 403', async () => {
    const a = freshNamespace('ns-a')
    const token = await tokenFor(a)
    await expectError(await call('GET', '/memory/stats', { token, headers: { 'x-engram-namespace': 'someone-else' } }), 403, 'FORBIDDEN')
    await expectError(await call('GET', '/memory/recall?q=x&namespace=someone-else', { token }), 403, 'FORBIDDEN')
    expect((await callJson<Stats>('GET', '/memory/stats', { token, headers: { 'x-engram-namespace': a } })).total).toBe(0)
  })
})

describe('tenant isolation', () => {
  it('a token for A can neither read, list, recall, export, update, forget nor watch B’s memories', async () => {
    const tokenA = await tokenFor(freshNamespace('tenant-a'))
    const tokenB = await tokenFor(freshNamespace('tenant-b'))
    const secret = 'B’s secret: the vault code is 4711'
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', {
      token: tokenB,
      body: { content: secret, metadata: { owner: 'b' } },
    })
    await callJson('POST', '/memory/store', { token: tokenA, body: { content: 'A’s own note about a vault' } })

    await expectError(await call('GET', `/memory/get/${id}`, { token: tokenA }), 404, 'NOT_FOUND')
    await expectError(await call('GET', `/memory/history/${id}`, { token: tokenA }), 404, 'NOT_FOUND')
    await expectError(
      await call('PATCH', `/memory/update/${id}`, { token: tokenA, body: { content: 'overwritten by A' } }),
      404,
      'NOT_FOUND',
    )
    await expectError(await call('DELETE', `/memory/forget/${id}`, { token: tokenA }), 404, 'NOT_FOUND')
    expect(await callJson('POST', '/memory/forget', { token: tokenA, body: { ids: [id] } })).toEqual({ forgotten: 0 })
    expect(await callJson('POST', '/memory/forget', { token: tokenA, body: { filter: { owner: 'b' } } })).toEqual({ forgotten: 0 })
    const recalled = await callJson<RecallBody>('GET', '/memory/recall?q=vault+code+4711&k=50', { token: tokenA })
    expect(recalled.results.map((r) => r.memory.content)).toEqual(['A’s own note about a vault'])
    const listed = await callJson<{ items: { id: string }[] }>('GET', '/memory/list', { token: tokenA })
    expect(listed.items.map((m) => m.id)).not.toContain(id)
    const exported = await (await call('GET', '/memory/export', { token: tokenA })).text()
    expect(exported).not.toContain('4711')
    const dash = await (await call('GET', '/memory/dashboard/data', { token: tokenA })).text()
    expect(dash).not.toContain('4711')
    expect((await stats(tokenA)).total).toBe(1)
    await expectError(
      await call('GET', '/memory/stats', { token: tokenA, headers: { 'x-engram-namespace': 'tenant-b' } }),
      403,
      'FORBIDDEN',
    )

    const { memory } = await callJson<{ memory: { content: string; version: number } }>('GET', `/memory/get/${id}`, { token: tokenB })
    expect(memory).toMatchObject({ content: secret, version: 1 })
    expect((await stats(tokenB)).total).toBe(1)

    // A's event stream carries A's events only.
    const events = await call('GET', '/memory/events', { token: tokenA })
    const reader = events.body!.getReader()
    const { id: bId } = await callJson<{ id: string }>('POST', '/memory/store', { token: tokenB, body: { content: 'another secret of B' } })
    const { id: aId } = await callJson<{ id: string }>('POST', '/memory/store', { token: tokenA, body: { content: 'A again' } })
    let text = ''
    while (!text.includes(aId)) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    await reader.cancel()
    expect(text).toContain(aId)
    expect(text).not.toContain(bId)
    expect(text).not.toContain(id)
  })
})

describe('bad input gets a 4xx JSON error and changes nothing', () => {
  it('malformed JSON, wrong types, unknown fields, huge bodies, unknown filter operators and bad ids', async () => {
    const token = await tokenFor(freshNamespace('bad-input'))
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', { token, body: { content: 'the original', metadata: { n: 1 } } })
    const before = await stats(token)
    const huge = 'x'.repeat(1024 * 1024 + 10)
    const cases: [string, string, { body?: unknown; raw?: string }, number, string][] = [
      ['POST', '/memory/store', { raw: '{"content": "unterminated' }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { raw: '' }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { raw: 'null' }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: ['content'] }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { content: 42 } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { content: '   ' } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { content: 'x', type: 'gossip' } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { content: 'x', tier: 'forever' } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { content: 'x', importance: 'high' } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { content: 'x', importance: 7 } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { content: 'x', metadata: 'flat' } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { content: 'x', colour: 'red' } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { items: [] } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { items: [{ content: 'fine' }, { content: 5 }] } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { body: { items: 'nope' } }, 400, 'VALIDATION'],
      ['POST', '/memory/store', { raw: JSON.stringify({ content: huge }) }, 413, 'TOO_LARGE'],
      ['POST', '/memory/store', { body: { items: Array.from({ length: 1001 }, () => ({ content: 'x' })) } }, 413, 'TOO_LARGE'],
      ['GET', '/memory/recall', {}, 400, 'VALIDATION'],
      ['GET', '/memory/recall?q=x&k=0', {}, 400, 'VALIDATION'],
      ['GET', '/memory/recall?q=x&k=ten', {}, 400, 'VALIDATION'],
      ['GET', '/memory/recall?q=x&types=gossip', {}, 400, 'VALIDATION'],
      ['GET', `/memory/recall?q=x&filter=${encodeURIComponent('{"n":{"$regex":"1"}}')}`, {}, 400, 'VALIDATION'],
      ['GET', `/memory/recall?q=x&filter=${encodeURIComponent('{not json')}`, {}, 400, 'VALIDATION'],
      ['GET', '/memory/recall?q=x&minRelevance=2', {}, 400, 'VALIDATION'],
      ['POST', '/memory/forget', { body: { filter: { n: { $regex: '1' } } } }, 400, 'VALIDATION'],
      ['POST', '/memory/forget', { body: {} }, 400, 'VALIDATION'],
      ['POST', '/memory/forget', { body: { everything: true } }, 400, 'VALIDATION'],
      ['PATCH', `/memory/update/${id}`, { body: { content: 17 } }, 400, 'VALIDATION'],
      ['PATCH', `/memory/update/${id}`, { body: {} }, 400, 'VALIDATION'],
      ['PATCH', `/memory/update/${id}`, { raw: '{"content":' }, 400, 'VALIDATION'],
      ['PATCH', `/memory/update/${id}`, { body: { version: 9 } }, 400, 'VALIDATION'],
      ['PATCH', '/memory/update/no%20spaces%20allowed', { body: { content: 'y' } }, 400, 'VALIDATION'],
      ['GET', `/memory/get/${'x'.repeat(200)}`, {}, 400, 'VALIDATION'],
      ['GET', '/memory/get/%E0%A4%A', {}, 400, 'VALIDATION'],
      ['DELETE', '/memory/forget/..%2F..%2Fetc', {}, 400, 'VALIDATION'],
      ['DELETE', '/memory/forget/unknown-id-123', {}, 404, 'NOT_FOUND'],
      ['GET', '/memory/nope', {}, 404, 'NOT_FOUND'],
      ['PUT', '/memory/store', { body: { content: 'x' } }, 405, 'VALIDATION'],
    ]
    for (const [method, path, options, status, code] of cases) {
      await expectError(await call(method, path, { token, ...options }), status, code)
    }
    const after = await stats(token)
    expect(after.total).toBe(before.total)
    expect(after.logSeq).toBe(before.logSeq)
    const { memory } = await callJson<{ memory: { content: string; version: number } }>('GET', `/memory/get/${id}`, { token })
    expect(memory).toMatchObject({ content: 'the original', version: 1 })
  })
})

describe('consistency', () => {
  it('100 concurrent stores to one namespace give exactly 100 records, all recallable', async () => {
    const token = await tokenFor(freshNamespace('concurrent'))
    const words = Array.from({ length: 100 }, (_, i) => `zq${i.toString(36)}x${(i * 7919).toString(36)}`)
    const ids = await Promise.all(
      words.map((w, i) =>
        callJson<{ id: string }>('POST', '/memory/store', { token, body: { content: `memory number ${i} tagged ${w}` } }).then((r) => r.id),
      ),
    )
    expect(new Set(ids).size).toBe(100)
    const s = await stats(token)
    expect(s.total).toBe(100)
    // peek: verify without 100 access-count writes (recall's bookkeeping is benchmarked, not tested here).
    const recalled = await Promise.all(
      words.map((w) => callJson<RecallBody>('GET', `/memory/recall?q=${w}&k=1&mode=keyword&peek=1`, { token })),
    )
    expect(recalled.map((r) => r.results[0]?.memory.id)).toEqual(ids)
    let listed = 0
    let cursor: string | undefined
    do {
      const page: { items: unknown[]; cursor?: string } = await callJson(
        'GET',
        `/memory/list?limit=40${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token },
      )
      listed += page.items.length
      cursor = page.cursor
    } while (cursor)
    expect(listed).toBe(100)
  })

  it('a restarted Durable Object (new instance) loses nothing', async () => {
    const token = await tokenFor(freshNamespace('restart'))
    const { ids } = await callJson<{ ids: string[] }>('POST', '/memory/store', {
      token,
      body: { items: Array.from({ length: 30 }, (_, i) => ({ content: `durable fact number ${i} about topic${i}` })) },
    })
    const { id: updated } = await callJson<{ id: string }>('POST', '/memory/store', { token, body: { content: 'version one' } })
    await callJson('PATCH', `/memory/update/${updated}`, { token, body: { content: 'version two' } })
    await callJson('DELETE', `/memory/forget/${ids[0]}`, { token })
    const before = await stats(token)

    await abortAllDurableObjects()

    const after = await stats(token)
    expect(after.total).toBe(before.total)
    expect(after.logSeq).toBe(before.logSeq)
    const recalled = await callJson<RecallBody>('GET', '/memory/recall?q=topic17&k=1&mode=keyword', { token })
    expect(recalled.results[0]?.memory.content).toBe('durable fact number 17 about topic17')
    expect(
      (await callJson<{ memory: { content: string; version: number } }>('GET', `/memory/get/${updated}`, { token })).memory,
    ).toMatchObject({
      content: 'version two',
      version: 2,
    })
    await expectError(await call('GET', `/memory/get/${ids[0]}`, { token }), 404, 'NOT_FOUND')
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', { token, body: { content: 'written after the restart' } })
    expect(ids).not.toContain(id)
    expect((await stats(token)).total).toBe(before.total + 1)
  })

  it('short-term memories expire after their TTL', async () => {
    const token = await tokenFor(freshNamespace('ttl'))
    const { id } = await callJson<{ id: string }>('POST', '/memory/store', {
      token,
      body: { content: 'fleeting parking spot B7', tier: 'short-term', ttlMs: 1500 },
    })
    await callJson('POST', '/memory/store', { token, body: { content: 'permanent parking preference B7' } })
    const { memory } = await callJson<{ memory: { tier: string; expiresAt: number } }>('GET', `/memory/get/${id}`, { token })
    expect(memory.tier).toBe('short-term')
    expect(memory.expiresAt).toBeGreaterThan(Date.now() - 1000)
    await new Promise((r) => setTimeout(r, 1800))
    await expectError(await call('GET', `/memory/get/${id}`, { token }), 404, 'NOT_FOUND')
    const recalled = await callJson<RecallBody>('GET', '/memory/recall?q=parking+B7&peek=1', { token })
    expect(recalled.results.map((r) => r.memory.content)).toEqual(['permanent parking preference B7'])
  })
})

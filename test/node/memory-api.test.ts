import { afterEach, describe, expect, it } from 'vitest'
import { createMemory, type EngramMemory } from '../../src/core/memory.js'
import type { CreateMemoryOptions, MemoryEvent, MemoryEventHandler } from '../../src/core/types.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { expectCode } from '../shared/expect-error.js'

const opened: EngramMemory[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()))
})

async function open(options: CreateMemoryOptions = {}) {
  const mem = await createMemory({ embedder: createTestEmbedder(), ...options })
  opened.push(mem)
  return mem
}

function clock(start = Date.parse('2025-06-01T12:00:00Z')) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('store and get', () => {
  it('stores a memory with defaults and reads it back', async () => {
    const mem = await open()
    const id = await mem.store('User prefers morning meetings')
    expect(typeof id).toBe('string')
    const record = await mem.get(id)
    expect(record).toMatchObject({
      id,
      content: 'User prefers morning meetings',
      type: 'episodic',
      tier: 'long-term',
      importance: 0.5,
      accessCount: 0,
      version: 1,
      metadata: {},
      scope: {},
      embeddingModel: 'test-hashing-v1',
      dims: 64,
    })
    expect(record.contentHash).toMatch(/^[0-9a-f]{16}$/)
  })

  it('keeps every option given', async () => {
    const mem = await open()
    const id = await mem.store('Likes tea', {
      type: 'preference',
      importance: 0.8,
      metadata: { category: 'food', tags: ['drink'] },
      scope: { userId: 'u42', conversationId: 'c1' },
      id: 'pref-tea',
      pinned: true,
    })
    expect(id).toBe('pref-tea')
    expect(await mem.get(id)).toMatchObject({
      type: 'preference',
      importance: 0.8,
      metadata: { category: 'food', tags: ['drink'] },
      scope: { userId: 'u42', conversationId: 'c1' },
      pinned: true,
    })
  })

  it('returns copies: mutating a result does not change the memory', async () => {
    const mem = await open()
    const id = await mem.store('original', { metadata: { a: 1 } })
    const record = await mem.get(id)
    record.content = 'changed'
    record.metadata.a = 2
    expect(await mem.get(id)).toMatchObject({ content: 'original', metadata: { a: 1 } })
  })

  it('get of an unknown id is NOT_FOUND and find resolves to null', async () => {
    const mem = await open()
    await expectCode(() => mem.get('nope'), 'NOT_FOUND')
    expect(await mem.find('nope')).toBeNull()
  })

  it('storeBatch stores all items in order and reports progress', async () => {
    const mem = await open()
    const progress: number[] = []
    const items = Array.from({ length: 150 }, (_, i) => ({ content: `fact number ${i}`, metadata: { i } }))
    const results = await mem.storeBatch(items, { onProgress: (p) => progress.push(p.done) })
    expect(results).toHaveLength(150)
    expect(results.every((r) => r.deduplicated === false)).toBe(true)
    expect(progress.at(-1)).toBe(150)
    expect(await mem.count()).toBe(150)
    expect((await mem.get(results[42]!.id)).metadata).toEqual({ i: 42 })
  })

  it('a batch with one bad item stores nothing', async () => {
    const mem = await open()
    await expectCode(() => mem.storeBatch([{ content: 'fine' }, { content: '' }]), 'VALIDATION', /batch item 1/)
    expect(await mem.count()).toBe(0)
  })

  it('an id that exists already is a CONFLICT and changes nothing', async () => {
    const mem = await open()
    await mem.store('first', { id: 'x1' })
    await expectCode(() => mem.store('second', { id: 'x1' }), 'CONFLICT')
    expect((await mem.get('x1')).content).toBe('first')
    await expectCode(
      () =>
        mem.storeBatch([
          { content: 'a', id: 'y' },
          { content: 'b', id: 'y' },
        ]),
      'CONFLICT',
    )
    expect(await mem.count()).toBe(1)
  })
})

describe('bad input is a VALIDATION error that changes nothing', () => {
  const bad: [string, (m: EngramMemory) => Promise<unknown>][] = [
    ['empty content', (m) => m.store('')],
    ['whitespace content', (m) => m.store('   \n ')],
    ['non-string content', (m) => m.store(42 as unknown as string)],
    ['content over the limit', (m) => m.store('x'.repeat(101))],
    ['NaN importance', (m) => m.store('a', { importance: Number.NaN })],
    ['Infinity importance', (m) => m.store('a', { importance: Number.POSITIVE_INFINITY })],
    ['importance above 1', (m) => m.store('a', { importance: 1.5 })],
    ['unknown type', (m) => m.store('a', { type: 'dream' as never })],
    ['unknown tier', (m) => m.store('a', { tier: 'forever' as never })],
    ['storing into archived', (m) => m.store('a', { tier: 'archived' })],
    ['metadata not an object', (m) => m.store('a', { metadata: [] as never })],
    ['metadata with a function', (m) => m.store('a', { metadata: { f: (() => 1) as never } })],
    ['metadata with NaN', (m) => m.store('a', { metadata: { n: Number.NaN } })],
    ['unknown scope key', (m) => m.store('a', { scope: { tenant: 'x' } as never })],
    ['bad id', (m) => m.store('a', { id: 'has space' })],
    ['ttl on long-term', (m) => m.store('a', { ttlMs: 1000 })],
    ['negative ttl', (m) => m.store('a', { tier: 'short-term', ttlMs: -1 })],
    ['batch not an array', (m) => m.storeBatch('x' as never)],
    ['empty query', (m) => m.recall('')],
    ['k zero', (m) => m.recall('a', { k: 0 })],
    ['k fractional', (m) => m.recall('a', { k: 1.5 })],
    ['k over the limit', (m) => m.recall('a', { k: 100_000 })],
    ['minRelevance NaN', (m) => m.recall('a', { minRelevance: Number.NaN })],
    ['unknown filter operator', (m) => m.recall('a', { filter: { a: { $regex: 'x' } } })],
    ['malformed filter', (m) => m.recall('a', { filter: 'x' as never })],
    ['unknown type in recall', (m) => m.recall('a', { types: ['dream' as never] })],
    ['unknown mode', (m) => m.recall('a', { mode: 'magic' as never })],
    ['empty update', (m) => m.update('keep', {})],
    ['unknown update field', (m) => m.update('keep', { colour: 'red' } as never)],
    ['update importance NaN', (m) => m.update('keep', { importance: Number.NaN })],
    ['update empty content', (m) => m.update('keep', { content: '' })],
    ['forget everything by accident', (m) => m.forget({})],
    ['forget unknown criterion', (m) => m.forget({ colour: 'red' } as never)],
    ['list limit zero', (m) => m.list({ limit: 0 })],
    ['import malformed line', (m) => m.import('{"id":"z"')],
  ]

  it.each(bad)('%s', async (_name, run) => {
    const mem = await open({ limits: { maxContentLength: 100 } })
    await mem.store('keep this', { id: 'keep' })
    const before = await mem.stats()
    await expectCode(() => run(mem), 'VALIDATION')
    const after = await mem.stats()
    expect(after.total).toBe(before.total)
    expect(after.logSeq).toBe(before.logSeq)
    expect((await mem.get('keep')).content).toBe('keep this')
  })

  it('a wrong-dimension vector from the embedder is an EMBEDDING error', async () => {
    const embedder = { id: 'broken', dims: 8, embed: async (t: string[]) => t.map(() => new Float32Array(4)) }
    const mem = await open({ embedder })
    await expectCode(() => mem.store('anything'), 'EMBEDDING')
    expect(await mem.count()).toBe(0)
  })

  it('a failing embedder is an EMBEDDING error and nothing is stored', async () => {
    const embedder = {
      id: 'down',
      dims: 8,
      embed: async () => {
        throw new Error('model not loaded')
      },
    }
    const mem = await open({ embedder })
    await expectCode(() => mem.store('anything'), 'EMBEDDING', /model not loaded/)
    expect(await mem.count()).toBe(0)
  })

  it('every method of a closed memory rejects with CLOSED', async () => {
    const mem = await open()
    const id = await mem.store('x')
    await mem.close()
    await expectCode(() => mem.store('y'), 'CLOSED')
    await expectCode(() => mem.recall('x'), 'CLOSED')
    await expectCode(() => mem.get(id), 'CLOSED')
    await expectCode(() => mem.update(id, { importance: 1 }), 'CLOSED')
    await expectCode(() => mem.forget(id), 'CLOSED')
    await expectCode(() => mem.list(), 'CLOSED')
    await expectCode(() => mem.stats(), 'CLOSED')
  })
})

describe('recall', () => {
  const corpus = [
    { id: 'meet', content: 'User prefers morning meetings before ten', type: 'preference' as const, metadata: { category: 'scheduling' } },
    { id: 'cat', content: 'The cat is named Whiskers and likes tuna', type: 'semantic' as const, metadata: { category: 'pets' } },
    { id: 'lunch', content: 'Had lunch with Bob at the Italian place', type: 'episodic' as const, metadata: { category: 'food' } },
    {
      id: 'deploy',
      content: 'To deploy run npm run build then wrangler deploy',
      type: 'procedural' as const,
      metadata: { category: 'work' },
    },
    { id: 'sad', content: 'User felt sad about missing the morning train', type: 'emotional' as const, metadata: { category: 'mood' } },
  ]

  async function withCorpus(options: CreateMemoryOptions = {}) {
    const mem = await open(options)
    await mem.storeBatch(corpus)
    return mem
  }

  it('ranks the hand-checked corpus: the memory sharing the most query words comes first', async () => {
    const mem = await withCorpus()
    expect((await mem.recall('morning meetings', { k: 3 }))[0]!.memory.id).toBe('meet')
    expect((await mem.recall('what is the cat named', { k: 3 }))[0]!.memory.id).toBe('cat')
    expect((await mem.recall('how do I deploy with wrangler', { k: 3 }))[0]!.memory.id).toBe('deploy')
    const morning = await mem.recall('morning', { k: 5 })
    expect(morning.map((h) => h.memory.id).sort()).toEqual(['meet', 'sad'])
  })

  it('every hit carries explain, and scores are sorted', async () => {
    const mem = await withCorpus()
    const hits = await mem.recall('morning meetings train', { k: 5 })
    expect(hits.length).toBeGreaterThan(1)
    for (const hit of hits) {
      expect(Object.keys(hit.explain).sort()).toEqual(['access', 'importance', 'keyword', 'recency', 'relevance', 'vector'])
      expect(hit.score).toBeGreaterThan(0)
      expect(hit.score).toBeLessThanOrEqual(hit.explain.relevance)
    }
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a))
  })

  it('honours k, types, tiers, filter and scope', async () => {
    const mem = await withCorpus()
    await mem.store('Morning meetings in the other conversation', { scope: { conversationId: 'c2' }, id: 'scoped' })
    expect(await mem.recall('morning', { k: 1 })).toHaveLength(1)
    expect((await mem.recall('morning', { types: ['emotional'] })).map((h) => h.memory.id)).toEqual(['sad'])
    expect((await mem.recall('morning', { filter: { category: { $in: ['scheduling'] } } })).map((h) => h.memory.id)).toEqual(['meet'])
    expect((await mem.recall('morning', { scope: { conversationId: 'c2' } })).map((h) => h.memory.id)).toEqual(['scoped'])
    expect(await mem.recall('morning', { tiers: ['working'] })).toEqual([])
    expect(await mem.recall('morning', { filter: { category: 'nothing-here' } })).toEqual([])
  })

  it('minRelevance drops weak hits', async () => {
    const mem = await withCorpus()
    const all = await mem.recall('morning meetings before ten', { k: 5 })
    const strong = await mem.recall('morning meetings before ten', { k: 5, minRelevance: all[0]!.explain.relevance - 1e-9 })
    expect(strong.map((h) => h.memory.id)).toEqual([all[0]!.memory.id])
    expect(await mem.recall('morning', { minRelevance: 1 })).toEqual([])
  })

  it('keyword and vector modes use only their own signal', async () => {
    const mem = await withCorpus()
    for (const hit of await mem.recall('whiskers tuna', { mode: 'keyword' })) expect(hit.explain.vector).toBe(0)
    const vector = await mem.recall('whiskers tuna', { mode: 'vector' })
    expect(vector[0]!.memory.id).toBe('cat')
    for (const hit of vector) expect(hit.explain.keyword).toBe(0)
  })

  it('importance and recency reorder equally relevant memories', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    await mem.store('project alpha status update', { id: 'old', importance: 0.5 })
    c.advance(90 * 24 * 3600_000)
    await mem.store('project alpha status update', { id: 'new', importance: 0.5 })
    await mem.store('project alpha status update', { id: 'vital', importance: 1 })
    const ids = (await mem.recall('project alpha', { k: 3, peek: true })).map((h) => h.memory.id)
    expect(ids).toEqual(['vital', 'new', 'old'])
  })

  it('recall counts accesses, and peek does not', async () => {
    const mem = await withCorpus()
    await mem.recall('whiskers', { k: 1 })
    const hits = await mem.recall('whiskers', { k: 1 })
    expect(hits[0]!.memory.accessCount).toBe(2)
    await mem.flush()
    expect((await mem.get('cat')).accessCount).toBe(2)
    await mem.recall('whiskers', { k: 1, peek: true })
    expect((await mem.get('cat')).accessCount).toBe(2)
    expect((await mem.get('cat')).lastAccessedAt).toBeGreaterThanOrEqual((await mem.get('cat')).createdAt)
  })

  it('concurrent recalls share bookkeeping transactions and count every access', async () => {
    const inner = memoryDriver()
    let transactions = 0
    const store = {
      ...inner,
      transaction: (ops: Parameters<NonNullable<typeof inner.transaction>>[0]) => {
        transactions++
        return inner.transaction!(ops)
      },
    }
    const mem = await withCorpus({ store })
    transactions = 0
    await Promise.all(Array.from({ length: 20 }, () => mem.recall('whiskers', { k: 1 })))
    await mem.flush()
    expect((await mem.get('cat')).accessCount).toBe(20)
    expect(transactions).toBeGreaterThan(0)
    expect(transactions).toBeLessThan(20)
    const again = await createMemory({ store: inner, embedder: createTestEmbedder() })
    opened.push(again)
    expect((await again.get('cat')).accessCount).toBe(20)
  })

  it('recall on an empty memory returns nothing', async () => {
    const mem = await open()
    expect(await mem.recall('anything')).toEqual([])
  })
})

describe('tiers', () => {
  it('short-term memories expire after their TTL and are never returned afterwards', async () => {
    const c = clock()
    const mem = await open({ now: c.now, shortTermTtlMs: 60_000 })
    const id = await mem.store('parking spot is B12', { tier: 'short-term' })
    expect((await mem.get(id)).expiresAt).toBe(c.now() + 60_000)
    c.advance(59_000)
    expect(await mem.recall('parking spot', { peek: true })).toHaveLength(1)
    c.advance(2_000)
    expect(await mem.recall('parking spot')).toEqual([])
    expect(await mem.find(id)).toBeNull()
    expect(await mem.count()).toBe(0)
    expect((await mem.list()).items).toEqual([])
    await mem.flush()
    expect((await mem.stats()).total).toBe(0)
  })

  it('access refreshes the TTL', async () => {
    const c = clock()
    const mem = await open({ now: c.now, shortTermTtlMs: 60_000 })
    const id = await mem.store('parking spot is B12', { tier: 'short-term' })
    c.advance(50_000)
    await mem.recall('parking spot')
    c.advance(50_000)
    expect((await mem.get(id)).content).toBe('parking spot is B12')
    c.advance(11_000)
    expect(await mem.find(id)).toBeNull()
  })

  it('a per-memory ttlMs overrides the default', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    const id = await mem.store('brief', { tier: 'short-term', ttlMs: 1000 })
    c.advance(1001)
    expect(await mem.find(id)).toBeNull()
  })

  it('working memories live in RAM only', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ store, embedder: createTestEmbedder() })
    const id = await mem.store('scratch note about the current task', { tier: 'working' })
    await mem.store('durable fact about tasks')
    expect((await mem.recall('current task')).map((h) => h.memory.id)).toContain(id)
    const keys = (await store.list('')).keys
    expect(keys.some((k) => k.includes(id))).toBe(false)
    await mem.close()
    const reopened = await createMemory({ store, embedder: createTestEmbedder() })
    opened.push(reopened)
    expect(await reopened.find(id)).toBeNull()
    expect(await reopened.count()).toBe(1)
  })

  it('working memories cannot move into persistent tiers', async () => {
    const mem = await open()
    const id = await mem.store('scratch', { tier: 'working' })
    await expectCode(() => mem.update(id, { tier: 'long-term' }), 'VALIDATION')
  })

  it('archived memories are out of default recall but reachable by tier', async () => {
    const mem = await open()
    const id = await mem.store('old archived project notes')
    await mem.update(id, { tier: 'archived' })
    expect(await mem.recall('project notes')).toEqual([])
    expect((await mem.recall('project notes', { tiers: ['archived'] })).map((h) => h.memory.id)).toEqual([id])
  })
})

describe('update, history, forget', () => {
  it('update is versioned and history lists the versions oldest first', async () => {
    const mem = await open()
    const id = await mem.store('favourite colour is blue', { metadata: { v: 1 } })
    const v2 = await mem.update(id, { content: 'favourite colour is green' })
    expect(v2.version).toBe(2)
    await mem.update(id, { importance: 0.9, metadata: { v: 3 } })
    const history = await mem.history(id)
    expect(history.map((h) => [h.op, h.version, h.record?.content])).toEqual([
      ['store', 1, 'favourite colour is blue'],
      ['update', 2, 'favourite colour is green'],
      ['update', 3, 'favourite colour is green'],
    ])
    expect(history[2]!.record?.metadata).toEqual({ v: 3 })
    expect((await mem.recall('colour green', { k: 1 }))[0]!.memory.id).toBe(id)
    expect(await mem.recall('blue', { mode: 'keyword' })).toEqual([])
  })

  it('update of an unknown id is NOT_FOUND', async () => {
    const mem = await open()
    await expectCode(() => mem.update('ghost', { importance: 1 }), 'NOT_FOUND')
  })

  it('forget by id removes the memory from reads and recall, and keeps its history', async () => {
    const mem = await open()
    const id = await mem.store('temporary secret plan')
    expect(await mem.forget(id)).toBe(1)
    expect(await mem.find(id)).toBeNull()
    expect(await mem.recall('secret plan')).toEqual([])
    expect((await mem.history(id)).map((h) => h.op)).toEqual(['store', 'forget'])
    await expectCode(() => mem.forget(id), 'NOT_FOUND')
  })

  it('forget by filter, tier, type, age, importance and access count', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    await mem.store('old and unimportant', { id: 'old', importance: 0.1 })
    c.advance(10 * 24 * 3600_000)
    await mem.store('work item', { id: 'work', metadata: { category: 'work' }, importance: 0.9 })
    await mem.store('short', { id: 'short', tier: 'short-term', importance: 0.9 })
    await mem.store('a preference', { id: 'pref', type: 'preference', importance: 0.9 })
    await mem.recall('preference', { k: 1 })
    expect(await mem.forget({ olderThan: 5 * 24 * 3600_000 })).toBe(1)
    expect(await mem.forget({ filter: { category: 'work' } })).toBe(1)
    expect(await mem.forget({ tier: 'short-term' })).toBe(1)
    await mem.store('low importance', { id: 'low', importance: 0.2 })
    expect(await mem.forget({ maxImportance: 0.3 })).toBe(1)
    await mem.store('never read', { id: 'unread', importance: 0.9 })
    expect(await mem.forget({ maxAccessCount: 0, types: ['episodic'] })).toBe(1)
    expect((await mem.list()).items.map((r) => r.id)).toEqual(['pref'])
  })
})

describe('list and count', () => {
  it('pages with a cursor through every memory exactly once', async () => {
    const mem = await open()
    await mem.storeBatch(
      Array.from({ length: 25 }, (_, i) => ({ content: `item ${i}`, type: i % 2 ? ('semantic' as const) : ('episodic' as const) })),
    )
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await mem.list(cursor === undefined ? { limit: 10 } : { limit: 10, cursor })
      seen.push(...page.items.map((r) => r.id))
      cursor = page.cursor
    } while (cursor)
    expect(seen).toHaveLength(25)
    expect(new Set(seen).size).toBe(25)
    expect(await mem.count({ types: ['semantic'] })).toBe(12)
    expect(await mem.count({ filter: { type: 'episodic' } })).toBe(13)
  })
})

describe('export, import, snapshot, rollback', () => {
  it('export → import into a fresh memory round-trips exactly', async () => {
    // One fixed clock for both memories: scores include recency, which must not drift between the recalls.
    const c = clock()
    const mem = await open({ now: c.now })
    await mem.storeBatch([
      { content: 'alpha fact', type: 'semantic', metadata: { n: 1, nested: { deep: [1, 'two', null] } }, scope: { userId: 'u' } },
      { content: 'beta preference', type: 'preference', importance: 0.9, pinned: true },
      { content: 'gamma short', tier: 'short-term' },
    ])
    await mem.recall('alpha', { k: 1 })
    await mem.flush()
    const exported = []
    for await (const r of mem.export()) exported.push(r)
    expect(exported).toHaveLength(3)
    expect(exported[0]!.embedding).toHaveLength(64)

    const jsonl = exported.map((r) => JSON.stringify(r)).join('\n')
    const copy = await open({ now: c.now })
    expect(await copy.import(jsonl)).toEqual({ imported: 3 })
    const again = []
    for await (const r of copy.export()) again.push(r)
    expect(again).toEqual(exported)
    const [a, b] = [await mem.recall('alpha fact', { peek: true }), await copy.recall('alpha fact', { peek: true })]
    expect(b.map((h) => [h.memory.id, h.score])).toEqual(a.map((h) => [h.memory.id, h.score]))
  })

  it('import of a malformed record names it and imports nothing', async () => {
    const mem = await open()
    const lines = [
      JSON.stringify({ id: 'ok1', content: 'fine', type: 'semantic', tier: 'long-term', importance: 0.5, createdAt: 1, updatedAt: 1 }),
      JSON.stringify({ id: 'bad', content: 'x', type: 'nonsense', tier: 'long-term', importance: 0.5, createdAt: 1, updatedAt: 1 }),
    ]
    const error = await expectCode(() => mem.import(lines.join('\n')), 'VALIDATION', /record 2/)
    expect((error as { details?: { line?: number } }).details?.line).toBe(2)
    expect(await mem.count()).toBe(0)
  })

  it('rollback restores every memory to the snapshot and keeps the history', async () => {
    const mem = await open()
    const a = await mem.store('apple version one')
    const b = await mem.store('banana stays')
    const snap = await mem.snapshot('before changes')
    await mem.update(a, { content: 'apple version two' })
    await mem.forget(b)
    const c = await mem.store('cherry added later')
    expect((await mem.snapshots()).map((s) => s.label)).toEqual(['before changes'])
    const { restored } = await mem.rollback(snap.id)
    expect(restored).toBe(3)
    expect((await mem.get(a)).content).toBe('apple version one')
    expect((await mem.get(b)).content).toBe('banana stays')
    expect(await mem.find(c)).toBeNull()
    expect((await mem.recall('apple version', { k: 1 }))[0]!.memory.content).toBe('apple version one')
    expect((await mem.history(a)).map((h) => h.op)).toEqual(['store', 'update', 'rollback'])
    await expectCode(() => mem.rollback('s000000000000-nope'), 'NOT_FOUND')
  })
})

describe('events, stats, health', () => {
  it('emits an event for every kind of change', async () => {
    const mem = await open()
    const events: MemoryEvent[] = []
    const off = mem.on('*', (e) => events.push(e))
    const id = await mem.store('something to remember')
    await mem.recall('remember')
    await mem.update(id, { importance: 0.9 })
    await mem.forget(id)
    off()
    await mem.store('after unsubscribe')
    expect(events.map((e) => e.type)).toEqual(['stored', 'recalled', 'updated', 'forgotten'])
    expect(events[0]).toMatchObject({ ids: [id], deduplicated: false })
  })

  it('refuses a handler that is not a function (VALIDATION), keeping the others', async () => {
    const mem = await open()
    const events: string[] = []
    mem.on('stored', (e) => events.push(e.type))
    await expectCode(async () => mem.on('stored', 'not a function' as unknown as MemoryEventHandler), 'VALIDATION', /handler/)
    await mem.store('still heard')
    expect(events).toEqual(['stored'])
  })

  it('a throwing handler does not break the operation', async () => {
    const mem = await open()
    mem.on('stored', () => {
      throw new Error('handler bug')
    })
    const id = await mem.store('still stored')
    expect((await mem.get(id)).content).toBe('still stored')
  })

  it('stats count by tier and type and report retrieval figures; health is ok', async () => {
    const mem = await open()
    await mem.storeBatch([
      { content: 'a', type: 'semantic' },
      { content: 'b', tier: 'short-term' },
      { content: 'c', tier: 'working' },
    ])
    await mem.recall('a')
    const stats = await mem.stats()
    expect(stats.total).toBe(3)
    expect(stats.byTier).toEqual({ working: 1, 'short-term': 1, 'long-term': 1, archived: 0 })
    expect(stats.byType.semantic).toBe(1)
    expect(stats.byType.episodic).toBe(2)
    expect(stats.retrieval.count).toBe(1)
    expect(stats.index.size).toBe(3)
    const health = await mem.health()
    expect(health.ok).toBe(true)
    expect(health.score).toBe(1)
  })
})

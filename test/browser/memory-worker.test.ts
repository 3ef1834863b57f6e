/** The Memory API from the page, with the engine in a real Web Worker over IndexedDB (Chromium). */
import { afterEach, describe, expect, it } from 'vitest'
import { type BrowserMemory, type BrowserMemoryOptions, createMemory } from '../../src/browser/client.js'
import { isMemoryError } from '../../src/core/errors.js'
import type { ExportedRecord, MemoryEvent } from '../../src/core/types.js'

const open: BrowserMemory[] = []
let counter = 0
const freshDatabase = () => `engram-api-${Date.now()}-${++counter}`

async function memory(options: BrowserMemoryOptions = {}): Promise<BrowserMemory> {
  const mem = await createMemory({ worker: true, database: freshDatabase(), embedder: { kind: 'test' }, ...options })
  open.push(mem)
  return mem
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  )

describe('createMemory({ worker: true })', () => {
  afterEach(async () => {
    for (const mem of open.splice(0)) await mem.close()
  })

  it('starts lazily: resolves before the memory is open, and calls wait for it', async () => {
    const mem = await memory()
    let opened = false
    void mem.ready.then(() => {
      opened = true
    })
    expect(opened).toBe(false)
    const id = await mem.store('The first call waits for the worker to open the store')
    expect(opened).toBe(true)
    const info = await mem.ready
    expect(info).toMatchObject({ namespace: 'default', created: true, evicted: false, embedder: { id: 'test-hashing-v1', dims: 64 } })
    expect((await mem.get(id)).content).toBe('The first call waits for the worker to open the store')
  })

  it('stores and recalls with type, metadata, scope and tier filters', async () => {
    const mem = await memory()
    const ids = {
      pref: await mem.store('User prefers morning meetings before ten', {
        type: 'preference',
        importance: 0.9,
        metadata: { category: 'scheduling' },
        scope: { userId: 'u1', conversationId: 'c1' },
      }),
      fact: await mem.store('User has weekly meetings with the design team', {
        type: 'semantic',
        metadata: { category: 'work' },
        scope: { userId: 'u1', conversationId: 'c2' },
      }),
      other: await mem.store('Meetings of another user happen in the evening', {
        type: 'preference',
        metadata: { category: 'scheduling' },
        scope: { userId: 'u2' },
      }),
      short: await mem.store('Short-term note about meetings today', { tier: 'short-term', ttlMs: 60_000 }),
    }
    const all = await mem.recall('meetings', { k: 10 })
    expect(new Set(all.map((h) => h.memory.id))).toEqual(new Set(Object.values(ids)))
    for (const hit of all)
      expect(Object.keys(hit.explain).sort()).toEqual(['access', 'importance', 'keyword', 'recency', 'relevance', 'vector'])

    const prefs = await mem.recall('meetings', { types: ['preference'] })
    expect(prefs.map((h) => h.memory.id).sort()).toEqual([ids.pref, ids.other].sort())
    const scheduling = await mem.recall('meetings', { filter: { category: { $in: ['scheduling'] } }, scope: { userId: 'u1' } })
    expect(scheduling.map((h) => h.memory.id)).toEqual([ids.pref])
    const longTerm = await mem.recall('meetings', { tiers: ['long-term'], filter: { category: { $ne: 'scheduling' } } })
    expect(longTerm.map((h) => h.memory.id)).toEqual([ids.fact])
    expect(await mem.count({ types: ['preference'] })).toBe(2)

    const error = await errorOf(mem.recall('meetings', { filter: { category: { $regex: 'x' } } }))
    expect(isMemoryError(error, 'VALIDATION')).toBe(true)
  })

  it('updates with versions and history, and forgets by id and by query', async () => {
    const mem = await memory()
    const id = await mem.store('Favourite colour is blue', { type: 'preference', importance: 0.4 })
    const updated = await mem.update(id, { content: 'Favourite colour is green', importance: 0.7 })
    expect(updated).toMatchObject({ id, content: 'Favourite colour is green', importance: 0.7, version: 2 })
    expect((await mem.recall('colour green'))[0]?.memory.id).toBe(id)
    const history = await mem.history(id)
    expect(history.map((h) => h.op)).toEqual(['store', 'update'])
    expect(history.map((h) => h.record?.content)).toEqual(['Favourite colour is blue', 'Favourite colour is green'])

    const keep = await mem.store('Lives in Lisbon', { importance: 0.9 })
    const low = await mem.store('Mentioned a cloudy afternoon', { importance: 0.1 })
    expect(await mem.forget(id)).toBe(1)
    expect(await mem.find(id)).toBeNull()
    expect(await mem.forget({ maxImportance: 0.2 })).toBe(1)
    expect(await mem.find(low)).toBeNull()
    expect((await mem.get(keep)).content).toBe('Lives in Lisbon')
    expect(isMemoryError(await errorOf(mem.get(id)), 'NOT_FOUND')).toBe(true)
    expect(isMemoryError(await errorOf(mem.update(id, { content: 'x' })), 'NOT_FOUND')).toBe(true)
  })

  it('short-term memories expire after their TTL', async () => {
    const mem = await memory()
    const id = await mem.store('Temporary parking spot is level three', { tier: 'short-term', ttlMs: 300 })
    const kept = await mem.store('Permanent parking preference is level one')
    expect((await mem.recall('parking level', { peek: true })).map((h) => h.memory.id).sort()).toEqual([id, kept].sort())
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect((await mem.recall('parking level')).map((h) => h.memory.id)).toEqual([kept])
    expect(await mem.find(id)).toBeNull()
  })

  it('exports and imports across memories (records and vectors, exactly)', async () => {
    const source = await memory()
    const items = Array.from({ length: 300 }, (_, i) => ({
      content: `Exported memory number ${i} about topic ${i % 7}`,
      metadata: { n: i },
      type: i % 2 ? ('semantic' as const) : ('episodic' as const),
    }))
    await source.storeBatch(items)
    const exported: ExportedRecord[] = []
    for await (const record of source.export({ includeEmbeddings: true })) exported.push(record)
    expect(exported).toHaveLength(300)
    expect(exported[0]?.embedding).toHaveLength(64)

    const target = await memory()
    const progress: number[] = []
    async function* stream() {
      yield* exported
    }
    const result = await target.import(stream(), { onProgress: (p) => progress.push(p.done) })
    expect(result.imported).toBe(300)
    expect(progress.length).toBeGreaterThan(0)
    expect(await target.count()).toBe(300)
    const again: ExportedRecord[] = []
    for await (const record of target.export({ includeEmbeddings: true })) again.push(record)
    const byId = new Map(again.map((r) => [r.id, r]))
    for (const r of exported) {
      expect(byId.get(r.id)?.content).toBe(r.content)
      expect(byId.get(r.id)?.embedding).toEqual(r.embedding)
    }
    // Breaking out of an export early releases it in the worker.
    let seen = 0
    for await (const _ of source.export()) if (++seen === 3) break
    expect(seen).toBe(3)
    expect(await source.count()).toBe(300)
  })

  it('exports the audit trail from the worker, a page at a time, and checks its options there', async () => {
    const mem = await memory()
    const ids = (await mem.storeBatch(Array.from({ length: 300 }, (_, i) => ({ content: `Audited memory ${i}` })))).map((r) => r.id)
    await mem.forget(ids[7]!)
    await mem.flush()
    const events = []
    for await (const event of mem.exportAudit()) events.push(event)
    // Every log entry (one per memory stored, then the forget), oldest first, over two pages of the stream.
    expect(events).toHaveLength(301)
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    const last = events[events.length - 1]!
    expect(last).toMatchObject({ op: 'forget', ids: [ids[7]] })
    expect(new Set(events.flatMap((e) => e.ids)).size).toBeGreaterThanOrEqual(300)
    expect(JSON.stringify(events)).not.toContain('Audited memory')
    const tail = []
    for await (const event of mem.exportAudit({ fromSeq: last.seq })) tail.push(event)
    expect(tail).toEqual([last])
    const bad = await errorOf(
      (async () => {
        for await (const _ of mem.exportAudit({ fromSeq: 0 })) break
      })(),
    )
    expect(isMemoryError(bad) && bad.code).toBe('VALIDATION')
    expect((await mem.verifyAudit()).ok).toBe(true)
  })

  it('storeBatch reports progress, honours an AbortSignal, and events reach the page', async () => {
    const mem = await memory()
    const events: MemoryEvent[] = []
    mem.on('*', (e) => events.push(e))
    const stored: MemoryEvent[] = []
    mem.on('stored', (e) => stored.push(e))
    const progress: number[] = []
    const results = await mem.storeBatch(
      Array.from({ length: 20 }, (_, i) => ({ content: `Batch item ${i} with unique words w${i}` })),
      { onProgress: (p) => progress.push(p.done) },
    )
    expect(results).toHaveLength(20)
    await expect.poll(() => stored.flatMap((e) => e.ids).length).toBe(20)
    expect(progress.length).toBeGreaterThan(0)
    expect(events.some((e) => e.type === 'stored')).toBe(true)

    const aborted = new AbortController()
    aborted.abort()
    const error = await errorOf(mem.storeBatch([{ content: 'never stored' }], { signal: aborted.signal }))
    expect(isMemoryError(error, 'ABORTED')).toBe(true)
    expect(await mem.count()).toBe(20)
  })

  it('bad input is a VALIDATION MemoryError on the page and changes nothing', async () => {
    const mem = await memory()
    await mem.store('Something valid')
    for (const bad of [
      () => mem.store(''),
      () => mem.store('x', { importance: 3 }),
      () => mem.store('x', { type: 'unknown' as never }),
      () => mem.storeBatch('nope' as never),
      () => mem.store('x', { metadata: { fn: (() => 1) as never } }),
      () => mem.recall('x', { k: -1 }),
    ]) {
      const error = await errorOf(bad())
      expect(isMemoryError(error, 'VALIDATION'), String(error)).toBe(true)
    }
    expect(await mem.count()).toBe(1)
  })

  it('keeps memories across a new worker (reopen from IndexedDB), and reports storage', async () => {
    const database = freshDatabase()
    const first = await createMemory({ worker: true, database, embedder: { kind: 'test' } })
    const id = await first.store('Remember me after the worker is gone', { type: 'semantic' })
    await first.close()
    expect(isMemoryError(await errorOf(first.get(id)), 'CLOSED')).toBe(true)

    const second = await memory({ database })
    expect((await second.ready).created).toBe(false)
    expect((await second.get(id)).content).toBe('Remember me after the worker is gone')
    expect((await second.recall('remember the worker'))[0]?.memory.id).toBe(id)
    const storage = await second.storage()
    expect(storage.usage).toBeGreaterThan(0)
    expect(storage.quota).toBeGreaterThan(0)
    expect(storage.evicted).toBe(false)
    const vectors = await second.embed(['one text', 'another text'])
    expect(vectors.map((v) => v.constructor.name)).toEqual(['Float32Array', 'Float32Array'])
    expect(vectors[0]).toHaveLength(64)
  })

  it('says so when the browser evicted the store since the last visit', async () => {
    const database = freshDatabase()
    const first = await createMemory({ worker: true, database, embedder: { kind: 'test' }, lazy: false })
    await first.store('This will be evicted')
    await first.close()
    // What eviction under storage pressure does: the database is gone, cookies stay.
    await new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(database)
      request.onsuccess = resolve
      request.onerror = () => reject(request.error)
    })
    const second = await memory({ database })
    expect(await second.ready).toMatchObject({ created: true, evicted: true })
    expect((await second.storage()).evicted).toBe(true)
    expect(await second.count()).toBe(0)
    // A first visit to another store is not an eviction.
    const other = await memory()
    expect(await other.ready).toMatchObject({ created: true, evicted: false })
  })

  it('runs the same API in the page itself with worker: false', async () => {
    const mem = await memory({ worker: false })
    const id = await mem.store('In-page memory works too')
    expect((await mem.recall('in-page memory'))[0]?.memory.id).toBe(id)
  })

  it('a worker that cannot open the store says why, on ready and on every call', async () => {
    const mem = await memory({ bucket: { name: 'Not A Valid Bucket Name!' } })
    const error = await errorOf(mem.ready)
    expect(isMemoryError(error)).toBe(true)
    expect(isMemoryError(await errorOf(mem.store('x')))).toBe(true)
  })
})

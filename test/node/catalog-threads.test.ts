// The catalog's per-thread index must answer exactly what a scan of every record answers, through any
// sequence of stores, updates (including moving a memory to another conversation) and forgets.
import { describe, expect, it } from 'vitest'
import { RecordCatalog } from '../../src/core/catalog.js'
import { byCreatedAt, threadLayout, threadOf } from '../../src/core/ranking.js'
import type { MemoryRecord } from '../../src/core/types.js'

const rec = (id: string, createdAt: number, scope: MemoryRecord['scope'], content = id) =>
  ({ id, createdAt, scope, content }) as MemoryRecord

/** What a full scan says: the thread's records in catalog order, stably sorted by time. */
const scanned = (catalog: RecordCatalog, thread: string) => [...catalog.values()].filter((r) => threadOf(r) === thread).sort(byCreatedAt)

function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('RecordCatalog.inThread', () => {
  it('orders a thread oldest first, equal times in catalog order, and leaves other threads out', () => {
    const c = new RecordCatalog()
    c.set('b', rec('b', 20, { conversationId: 'x' }))
    c.set('a', rec('a', 10, { conversationId: 'x' }))
    c.set('t1', rec('t1', 20, { conversationId: 'x' }))
    c.set('s', rec('s', 5, { sessionId: 'x' }))
    c.set('o', rec('o', 1, { conversationId: 'y' }))
    expect(c.inThread('c:x').records.map((r) => r.id)).toEqual(['a', 'b', 't1'])
    expect(c.inThread('s:x').records.map((r) => r.id)).toEqual(['s'])
    expect(c.inThread('c:none').records).toEqual([])
  })

  it('follows updates, moves between threads and forgets after it was first asked', () => {
    const c = new RecordCatalog()
    c.set('a', rec('a', 1, { conversationId: 'x' }))
    c.set('b', rec('b', 2, { conversationId: 'x' }))
    expect(c.inThread('c:x').records.map((r) => r.id)).toEqual(['a', 'b'])
    c.set('a', rec('a', 1, { conversationId: 'x' }, 'edited'))
    expect(c.inThread('c:x').records.map((r) => r.content)).toEqual(['edited', 'b'])
    c.set('b', rec('b', 2, { conversationId: 'y' }))
    expect(c.inThread('c:x').records.map((r) => r.id)).toEqual(['a'])
    expect(c.inThread('c:y').records.map((r) => r.id)).toEqual(['b'])
    c.delete('a')
    expect(c.inThread('c:x').records).toEqual([])
    c.clear()
    expect(c.inThread('c:y').records).toEqual([])
  })

  it('agrees with a full scan through 3,000 random stores, updates, moves and forgets', () => {
    const random = rng(7)
    const c = new RecordCatalog()
    const threads = ['c:t0', 'c:t1', 'c:t2', 's:t0']
    const scopeOf = (t: string) => (t.startsWith('c:') ? { conversationId: t.slice(2) } : { sessionId: t.slice(2) })
    for (let step = 0; step < 3000; step++) {
      const roll = random()
      const id = `m${Math.floor(random() * 200)}`
      const r = random()
      const scope = r < 0.1 ? {} : scopeOf(threads[Math.floor(r * threads.length)]!)
      // Few distinct times, so equal timestamps (and their order) are exercised.
      if (roll < 0.75) c.set(id, rec(id, Math.floor(random() * 20), scope, `v${step}`))
      else c.delete(id)
      if (step % 7 === 0) {
        for (const t of threads) expect(c.inThread(t).records).toEqual(scanned(c, t))
      }
    }
    const ids = [...c.keys()].slice(0, 50)
    const get = (id: string) => c.get(id)
    const indexed = threadLayout(ids, get, c)
    const scan = threadLayout(ids, get, () => c.values())
    const asked = [...c.keys(), 'missing']
    expect(asked.map((id) => indexed.neighbours.get(id))).toEqual(asked.map((id) => scan.neighbours.get(id)))
    expect(asked.map((id) => indexed.episodes.get(id))).toEqual(asked.map((id) => scan.episodes.get(id)))
    expect(asked.filter((id) => indexed.episodes.has(id)).length).toBeGreaterThan(0)
  })
})

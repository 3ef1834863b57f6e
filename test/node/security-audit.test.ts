import { describe, expect, it } from 'vitest'
import { type LogEntry, padSeq } from '../../src/core/layout.js'
import { createMemory } from '../../src/core/memory.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { type AuditEvent, canonicalJson } from '../../src/security/audit.js'
import { decodeJson, encodeJson } from '../../src/store/codec.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'

const embedder = createTestEmbedder({ dims: 32 })
const keepOpen = (driver: StoreDriver): StoreDriver => ({ ...driver, close: async () => undefined })

async function collect(iterable: AsyncIterable<AuditEvent>): Promise<AuditEvent[]> {
  const out: AuditEvent[] = []
  for await (const e of iterable) out.push(e)
  return out
}

async function populated(actor = 'agent:planner') {
  const raw = memoryDriver()
  const mem = await createMemory({ namespace: 'a', store: keepOpen(raw), embedder, actor })
  const id = await mem.store('The user prefers tea over coffee', { metadata: { drink: 'tea' } })
  await mem.storeBatch([{ content: 'Meeting with Bob on Friday' }, { content: 'Allergic to peanuts' }])
  await mem.update(id, { importance: 0.9 })
  await mem.recall('what does the user drink?', { k: 2 })
  await mem.recall('nothing matches zzz', { k: 2, peek: true })
  await mem.forget(id)
  await mem.flush()
  return { raw, mem, id }
}

describe('audit trail', () => {
  it('records who, what and when for every mutation and every recall, without content', async () => {
    const { mem, id } = await populated()
    const events = await collect(mem.exportAudit())
    expect(events.map((e) => e.op)).toEqual(['store', 'store', 'store', 'update', 'access', 'access', 'forget'])
    expect(events.every((e) => e.actor === 'agent:planner' && typeof e.at === 'number' && typeof e.hash === 'string')).toBe(true)
    expect(events[0]!.ids).toEqual([id])
    const recalls = events.filter((e) => e.op === 'access').map((e) => e.detail?.recall as { k: number; mode: string; ids: string[] })
    expect(recalls[0]).toMatchObject({ k: 2, mode: 'hybrid' })
    expect(recalls[0]!.ids.length).toBeGreaterThan(0)
    expect(recalls[1]!.ids).toEqual([])
    const text = JSON.stringify(events)
    for (const secret of ['tea over coffee', 'peanuts', 'what does the user drink', 'zzz']) expect(text).not.toContain(secret)
    expect((await collect(mem.exportAudit({ fromSeq: 5 }))).map((e) => e.seq)).toEqual([5, 6, 7])
    await mem.close()
  })

  it('verifies an untouched chain, and the head anchors it', async () => {
    const { mem } = await populated()
    const report = await mem.verifyAudit()
    expect(report).toMatchObject({ ok: true, entries: 7, lastSeq: 7, tombstones: 0, unchained: 0, problems: [] })
    expect(report.headHash).toMatch(/^[0-9a-f]{64}$/)
    await mem.close()
  })

  it('catches an edited entry, a deleted entry and a reordered pair', async () => {
    const edit = async (mutate: (raw: StoreDriver) => Promise<void>) => {
      const { raw, mem } = await populated()
      await mem.close()
      await mutate(raw)
      // A damaged log does not stop the memory from opening (records are the source of truth).
      const verifier = await createMemory({ namespace: 'a', store: keepOpen(raw), embedder })
      const report = await verifier.verifyAudit()
      await verifier.close()
      return report
    }
    const key = (seq: number) => `a/log/${padSeq(seq)}`

    const edited = await edit(async (raw) => {
      const entry = decodeJson<LogEntry>((await raw.get(key(4)))!)
      entry.actor = 'someone-else'
      await raw.set(key(4), encodeJson(entry))
    })
    expect(edited.ok).toBe(false)
    expect(edited.problems.map((p) => [p.seq, p.problem])).toContainEqual([4, 'bad-hash'])

    const deleted = await edit(async (raw) => raw.delete(key(3)))
    expect(deleted.ok).toBe(false)
    expect(deleted.problems.map((p) => p.problem)).toContain('missing')

    const swapped = await edit(async (raw) => {
      const [a, b] = [(await raw.get(key(2)))!, (await raw.get(key(3)))!]
      await raw.set(key(2), b)
      await raw.set(key(3), a)
    })
    expect(swapped.ok).toBe(false)
    expect(swapped.problems.map((p) => p.problem)).toEqual(expect.arrayContaining(['seq-mismatch']))

    const truncated = await edit(async (raw) => raw.delete(key(7)))
    expect(truncated.problems.map((p) => p.problem)).toContain('head-mismatch')
  })

  it('hashes canonical JSON (key order does not matter)', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }], e: undefined })).toBe('{"a":[{"c":null,"d":2}],"b":1}')
  })

  it('continues the chain across reopen and across writers', async () => {
    const raw = memoryDriver()
    const store = keepOpen(raw)
    const a = await createMemory({ namespace: 'c', store, embedder, actor: 'tab-1' })
    await a.store('first')
    const b = await createMemory({ namespace: 'c', store, embedder, actor: 'tab-2' })
    await a.close()
    await b.refresh()
    await b.store('second')
    const report = await b.verifyAudit()
    expect(report).toMatchObject({ ok: true, entries: 2 })
    expect((await collect(b.exportAudit())).map((e) => e.actor)).toEqual(['tab-1', 'tab-2'])
    await b.close()
  })
})

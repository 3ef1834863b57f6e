/**
 * Hostile input over the public API: random sequences of calls (valid, half-valid and garbage
 * arguments) against one memory. Every call must resolve or reject with a MemoryError whose code says
 * the caller was wrong; nothing may throw a TypeError, reject unhandled, or leave the store
 * inconsistent. After each sequence the store is checked and reopened from its bytes.
 *
 * Bounded: RUNS × 80-100 calls (about 9k in all) with a fixed seed (FUZZ_SEED overrides it).
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isMemoryError, type MemoryErrorCode } from '../../src/core/errors.js'
import { createMemory, type EngramMemory } from '../../src/core/memory.js'
import { MEMORY_TIERS, MEMORY_TYPES, type MemoryRecord } from '../../src/core/types.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'

/** Plain stores, then stores with encryption and redaction on: RUNS sequences in all. */
const CONFIGS = [
  { name: 'a plain memory', runs: 80, extra: {} },
  { name: 'an encrypted, redacting memory', runs: 20, extra: { encryption: { passphrase: 'fuzz', iterations: 10_000 }, redact: true } },
] as const
const STEPS = 100
const SEED = Number(process.env.FUZZ_SEED ?? 20261121)
/** Codes that mean "your input was wrong" (or a legitimate state conflict), not "we broke". */
const CLIENT_CODES = new Set<MemoryErrorCode>(['VALIDATION', 'NOT_FOUND', 'CONFLICT', 'TOO_LARGE', 'ABORTED', 'UNSUPPORTED'])

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
})

// ---------------------------------------------------------------- arbitraries

const ids = ['a1', 'a2', 'b1', 'x', 'no-such-id']
const text = fc.oneof(
  { weight: 6, arbitrary: fc.lorem({ maxCount: 12 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '   ',
      '\u0000',
      '__proto__',
      'constructor',
      '🙂'.repeat(50),
      'mail jane@example.org or call +1 415 555 0132',
      'x'.repeat(100_001),
    ),
  },
)
const junk = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.constantFrom(null, undefined, Number.NaN, -1, 1e308, [], {}, () => 1),
)
const idArb = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: fc.string({ maxLength: 140 }) })
const scope = fc.record(
  { userId: fc.constantFrom('u1', 'u2', 'u3'), conversationId: fc.constantFrom('c1', 'c2'), agentId: fc.oneof(fc.string(), junk) },
  { requiredKeys: [] },
)
const metadata = fc.oneof(
  { weight: 4, arbitrary: fc.record({ n: fc.integer({ min: 0, max: 9 }), tag: fc.constantFrom('red', 'blue') }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 12 }) },
  { weight: 1, arbitrary: junk },
)
const deepFilter = (depth: number): unknown => (depth === 0 ? { n: 1 } : { $and: [deepFilter(depth - 1)] })
const filter = fc.oneof(
  fc.constantFrom({ n: { $gt: 3 } }, { tag: { $in: ['red'] } }, { $or: [{ n: 1 }, { tag: 'blue' }] }, { n: { $regex: 'x' } }, { $nope: 1 }),
  fc.integer({ min: 10, max: 40 }).map(deepFilter),
  fc.jsonValue({ maxDepth: 4 }),
)
const storeOptions = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        type: fc.oneof(fc.constantFrom(...MEMORY_TYPES), fc.constant('bogus')),
        tier: fc.oneof(fc.constantFrom(...MEMORY_TIERS), fc.constant('cold')),
        importance: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double()),
        metadata,
        scope,
        ttlMs: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constant(-5)),
        id: idArb,
        pinned: fc.boolean(),
        entities: fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }),
        links: fc.array(fc.constantFrom(...ids), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: junk },
)
const recallOptions = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        k: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(0, -1, 1.5, 100_000)),
        types: fc.array(fc.constantFrom(...MEMORY_TYPES, 'bogus'), { maxLength: 2 }),
        tiers: fc.array(fc.constantFrom(...MEMORY_TIERS), { maxLength: 3 }),
        filter,
        scope,
        minRelevance: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(2)),
        mode: fc.constantFrom('hybrid', 'vector', 'keyword', 'psychic'),
        peek: fc.boolean(),
        includeRelated: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: junk },
)
const patch = fc.oneof(
  fc.record({ content: text, metadata, importance: fc.double(), tier: fc.constantFrom(...MEMORY_TIERS), scope }, { requiredKeys: [] }),
  junk,
)

type Call = { name: string; run: (mem: EngramMemory) => Promise<unknown> }
const call = (name: string, run: (mem: EngramMemory) => Promise<unknown>): Call => ({ name, run, [fc.toStringMethod]: () => name }) as Call

const calls: fc.Arbitrary<Call> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(text, storeOptions).map(([c, o]) => call('store', (m) => m.store(c, o as never))) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(text, storeOptions), { maxLength: 6 })
      .map((items) => call('storeBatch', (m) => m.storeBatch(items.map(([content, o]) => ({ ...(o as object), content }) as never)))),
  },
  { weight: 8, arbitrary: fc.tuple(text, recallOptions).map(([q, o]) => call('recall', (m) => m.recall(q, o as never))) },
  { weight: 3, arbitrary: idArb.map((id) => call('get', (m) => m.get(id))) },
  { weight: 3, arbitrary: fc.tuple(idArb, patch).map(([id, p]) => call('update', (m) => m.update(id, p as never))) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(idArb, fc.record({ filter, tier: fc.constantFrom(...MEMORY_TIERS), maxImportance: fc.double() }, { requiredKeys: [] }), junk)
      .map((q) => call('forget', (m) => m.forget(q as never))),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ limit: fc.integer({ min: -1, max: 20 }), filter, cursor: fc.string() }, { requiredKeys: [] })
      .map((o) => call('list', (m) => m.list(o as never))),
  },
  { weight: 2, arbitrary: idArb.map((id) => call('history', (m) => m.history(id))) },
  { weight: 1, arbitrary: fc.oneof(scope, junk).map((s) => call('forgetSubject', (m) => m.forgetSubject(s as never))) },
  { weight: 1, arbitrary: fc.constant(call('snapshot+rollback', async (m) => m.rollback((await m.snapshot()).id))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => call('rollback', (m) => m.rollback(s))) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.string({ maxLength: 80 }), fc.constant('{"id":"zz","content":"hi"}'))
      .map((s) => call('import', (m) => m.import(s))),
  },
  { weight: 1, arbitrary: fc.constant(call('optimize', (m) => m.optimize())) },
  { weight: 1, arbitrary: fc.constant(call('consolidate', (m) => m.consolidate())) },
)

// ---------------------------------------------------------------- the consistency check

async function consistent(mem: EngramMemory, label: string): Promise<void> {
  await mem.flush()
  const health = await mem.health()
  expect(
    health.issues.filter((i) => i.code === 'INDEX_MISMATCH'),
    label,
  ).toEqual([])
  const records: MemoryRecord[] = []
  let cursor: string | undefined
  do {
    const page = await mem.list({ limit: 1000, tiers: [...MEMORY_TIERS], ...(cursor ? { cursor } : {}) })
    records.push(...page.items)
    cursor = page.cursor
  } while (cursor)
  expect(await mem.count({ tiers: [...MEMORY_TIERS] }), label).toBe(records.length)
  for (const r of records) {
    if (r.validTo !== undefined) continue
    const hits = await mem.recall(r.content, { k: Math.min(1000, records.length), mode: 'vector', tiers: [...MEMORY_TIERS], peek: true })
    const hit = hits.find((h) => h.memory.id === r.id)
    expect(hit, `${label}: ${r.id} recallable by its exact content`).toBeDefined()
    expect(hit!.explain.vector, label).toBeGreaterThan(0.999)
    if (r.tier === 'working') continue
    const history = await mem.history(r.id)
    expect(history.length, `${label}: history of ${r.id}`).toBeGreaterThan(0)
    expect(
      history.map((h) => h.seq),
      label,
    ).toEqual([...history.map((h) => h.seq)].sort((a, b) => a - b))
  }
  const audit = await mem.verifyAudit()
  expect(audit.problems, label).toEqual([])
}

describe.each(CONFIGS)('fuzzing the public API of $name', ({ runs, extra }) => {
  it(`${runs} random call sequences end with no crash, no unhandled rejection and a consistent store`, async () => {
    let total = 0
    const failures: string[] = []
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(calls, fc.integer({ min: 0, max: 120_000 })), { minLength: STEPS - 20, maxLength: STEPS }),
        async (steps) => {
          const raw = memoryDriver()
          const store: StoreDriver = { ...raw, close: async () => undefined }
          let clock = 1_700_000_000_000
          const options = {
            namespace: 'fuzz',
            store,
            embedder: createTestEmbedder({ dims: 16 }),
            now: () => clock,
            snapshotEvery: 25,
            ...extra,
          }
          const mem = await createMemory(options)
          for (const [c, advance] of steps) {
            clock += advance
            total++
            try {
              await c.run(mem)
            } catch (e) {
              if (!isMemoryError(e) || !CLIENT_CODES.has(e.code)) {
                failures.push(
                  `${c.name}: ${e instanceof Error ? `${e.name} ${(e as { code?: string }).code ?? ''} ${e.message}` : String(e)}`,
                )
                if (process.env.FUZZ_DEBUG) console.log(c.name, e)
              }
            }
          }
          await consistent(mem, 'after the sequence')
          const persisted = await mem.count({ tiers: ['short-term', 'long-term', 'archived'] })
          await mem.close()
          const again = await createMemory(options)
          expect(await again.count({ tiers: ['short-term', 'long-term', 'archived'] })).toBe(persisted)
          await consistent(again, 'after reopening')
          await again.close()
          expect(failures).toEqual([])
        },
      ),
      { numRuns: runs, seed: SEED, endOnFailure: true },
    )
    expect(total).toBeGreaterThanOrEqual(runs * (STEPS - 20))
    expect(unhandled).toEqual([])
  }, 120_000)
})

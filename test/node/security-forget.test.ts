import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { vectorToBytes } from '../../src/core/layout.js'
import { createMemory } from '../../src/core/memory.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { fsDriver } from '../../src/store/drivers/fs.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { expectCode } from '../shared/expect-error.js'
import { dumpDriver, findBytes, findStrings, forgetSubjectScan, type RawDump } from '../shared/raw-scan.js'
import { dumpDirectory } from './security-raw-fs.js'

const embedder = createTestEmbedder({ dims: 32 })
const keepOpen = (driver: StoreDriver): StoreDriver => ({ ...driver, close: async () => undefined })
const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

const ALICE = [
  'Zq7alice keeps her spare key under the zq7gnome',
  'Zq7alice was diagnosed with zq7migraines last spring',
  'zq7alice banks with account zq7ledger',
]
const BOB = ['Bob likes hiking in the Alps', 'Bob drinks oolong tea']
const NEEDLES = ['zq7alice', 'zq7gnome', 'zq7migraines', 'zq7ledger', 'spare key', 'diagnosed']

interface Setup {
  name: string
  make: () => Promise<{ store: StoreDriver; dump: () => Promise<RawDump> }>
  encryption?: { passphrase: string; iterations: number }
}

const setups: Setup[] = [
  {
    name: 'memory driver',
    make: async () => {
      const raw = memoryDriver()
      return { store: keepOpen(raw), dump: () => dumpDriver(raw) }
    },
  },
  {
    name: 'fs driver',
    make: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'engram-forget-'))
      dirs.push(dir)
      const store = fsDriver({ dir })
      return { store: keepOpen(store), dump: () => dumpDirectory(dir) }
    },
  },
  {
    name: 'memory driver, encrypted',
    encryption: { passphrase: 'pw', iterations: 10_000 },
    make: async () => {
      const raw = memoryDriver()
      return { store: keepOpen(raw), dump: () => dumpDriver(raw) }
    },
  },
]

describe.each(setups)('forgetSubject on the $name', (setup) => {
  it('leaves no byte of the subject anywhere, keeps everyone else, and the audit still verifies', async () => {
    const { store, dump } = await setup.make()
    const open = () =>
      createMemory({ namespace: 'f', store, embedder, snapshotEvery: 3, ...(setup.encryption ? { encryption: setup.encryption } : {}) })
    const mem = await open()
    const alice: string[] = []
    for (const text of ALICE) alice.push(await mem.store(text, { scope: { userId: 'alice' }, metadata: { secret: `${text} zq7meta` } }))
    const bob: string[] = []
    for (const text of BOB) bob.push(await mem.store(text, { scope: { userId: 'bob', conversationId: 'c1' }, links: [alice[0]!] }))
    const aliceInC1 = await mem.store('Zq7alice told Bob about the zq7gnome.', { scope: { userId: 'alice', conversationId: 'c1' } })
    await mem.store('zq7alice scratch note', { scope: { userId: 'alice' }, tier: 'working' })
    await mem.update(alice[0]!, { content: `${ALICE[0]} (moved it: zq7gnome2)` })
    await mem.recall('zq7alice key', { k: 3 })
    const onlyAlice = await mem.summarize({ scope: { userId: 'alice' } })
    const shared = await mem.summarize({ conversationId: 'c1' })
    expect(shared.content).toContain('zq7gnome')
    const mark = await mem.snapshot('before forgetting')
    await mem.optimize()

    const report = await mem.forgetSubject({ userId: 'alice' })
    expect(report).toMatchObject({ records: 5, working: 1, derived: { rebuilt: [shared.id], removed: [] }, snapshotRewritten: true })
    expect(await mem.find(onlyAlice.id)).toBeNull()
    expect(await mem.find(aliceInC1)).toBeNull()
    const rebuilt = await mem.get(shared.id)
    expect(rebuilt.sourceIds.sort()).toEqual([...bob].sort())
    expect(rebuilt.content).toContain('Bob likes hiking')
    expect(rebuilt.content).not.toContain('Zq7alice')
    expect(report.unlinked.sort()).toEqual([...bob].sort())
    expect(report.historyPurged).toBeGreaterThanOrEqual(5)
    expect(await mem.find(alice[0]!)).toBeNull()
    expect((await mem.recall('zq7alice spare key gnome', { k: 10 })).map((h) => h.memory.id).filter((id) => !bob.includes(id))).toEqual([])
    expect((await mem.get(bob[0]!)).links).toEqual([])
    expect((await mem.verifyAudit()).ok).toBe(true)
    // Rolling back to a point before the purge cannot bring the subject back.
    await mem.rollback(mark.id)
    expect(await mem.find(alice[0]!)).toBeNull()
    await mem.close()

    const bytes = await dump()
    expect(findStrings(bytes, NEEDLES)).toEqual([])
    if (!setup.encryption) {
      expect(findStrings(bytes, ['Bob likes hiking']).length).toBeGreaterThan(0)
      const [vec] = await embedder.embed([ALICE[1]!])
      expect(findBytes(bytes, vectorToBytes(vec!).subarray(0, 32))).toEqual([])
    }
    const again = await open()
    expect(await again.count()).toBe(3)
    expect((await again.verifyAudit()).ok).toBe(true)
    await expectCode(() => again.history(alice[1]!), 'NOT_FOUND')
    await again.close()
  })
})

describe('forgetSubject input', () => {
  it('rejects an empty or unknown query and reports when nothing matched', async () => {
    const mem = await createMemory({ store: memoryDriver(), embedder })
    await expectCode(() => mem.forgetSubject({}), 'VALIDATION')
    await expectCode(() => mem.forgetSubject({ email: 'x' } as never), 'VALIDATION')
    await expectCode(() => mem.forgetSubject({ userId: '' }), 'VALIDATION')
    await mem.store('someone else', { scope: { userId: 'u1' } })
    const report = await mem.forgetSubject({ userId: 'nobody' })
    expect(report).toMatchObject({ records: 0, working: 0, historyPurged: 0, auditSeq: 0 })
    expect(await mem.count()).toBe(1)
    await mem.close()
  })
})

describe('the shared forgetSubject scan (what the browser and workerd suites call)', () => {
  it('finds nothing of the subject and still sees the control person', async () => {
    const raw = memoryDriver()
    const result = await forgetSubjectScan({ store: keepOpen(raw), dump: () => dumpDriver(raw) })
    expect(result.hits).toEqual([])
    expect(result.control.length).toBeGreaterThan(0)
    expect(result.report).toMatchObject({ records: 3, snapshotRewritten: true })
  })
})

describe('forgetSubject with rotateKey (crypto-shredding)', () => {
  it('re-encrypts everything under a new data key and drops the old one', async () => {
    const raw = memoryDriver()
    const store = keepOpen(raw)
    const encryption = { passphrase: 'pw', iterations: 10_000 }
    const mem = await createMemory({ namespace: 's', store, embedder, encryption })
    await mem.store('Zq7alice secret', { scope: { userId: 'alice' } })
    await mem.store('Bob note', { scope: { userId: 'bob' } })
    const report = await mem.forgetSubject({ userId: 'alice' }, { rotateKey: true })
    expect(report).toMatchObject({ records: 1, keyRotated: 2 })
    await mem.close()
    const meta = JSON.parse(new TextDecoder().decode((await raw.get('s/meta/crypto'))!.subarray(16)))
    expect(meta.deks.map((d: { id: number }) => d.id)).toEqual([2])
    const again = await createMemory({ namespace: 's', store, embedder, encryption })
    expect(await again.count()).toBe(1)
    expect((await again.verifyAudit()).ok).toBe(true)
    await again.close()
  })

  it('is refused on an unencrypted memory before anything is forgotten', async () => {
    const mem = await createMemory({ store: memoryDriver(), embedder })
    await mem.store('kept', { scope: { userId: 'alice' } })
    await expectCode(() => mem.forgetSubject({ userId: 'alice' }, { rotateKey: true }), 'UNSUPPORTED')
    expect(await mem.count()).toBe(1)
    await mem.close()
  })
})

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import { padSeq } from '../../src/core/layout.js'
import { createMemory } from '../../src/core/memory.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { fsDriver } from '../../src/store/drivers/fs.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { expectCode } from '../shared/expect-error.js'
import { dumpDirectory } from './security-raw-fs.js'

const embedder = createTestEmbedder({ dims: 16 })
const keepOpen = (driver: StoreDriver): StoreDriver => ({ ...driver, close: async () => undefined })
const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

const CONTENT = ['alpha apples are red', 'beta bananas are yellow', 'gamma grapes are purple']

async function seeded(encryption?: { passphrase: string; iterations: number }) {
  const raw = memoryDriver()
  const store = keepOpen(raw)
  const open = () => createMemory({ namespace: 'i', store, embedder, ...(encryption ? { encryption } : {}) })
  const mem = await open()
  for (const [n, c] of CONTENT.entries()) await mem.store(c, { id: `r${n}`, metadata: { n } })
  await mem.update('r1', { content: 'beta bananas are yellow and sweet' })
  await mem.close()
  return { raw, open }
}

async function flip(raw: StoreDriver, key: string, at = -5): Promise<void> {
  const bytes = (await raw.get(key))!.slice()
  const i = at < 0 ? bytes.length + at : at
  bytes[i]! ^= 0x40
  await raw.set(key, bytes)
}

describe('corruption is detected and reported; derived state is rebuilt', () => {
  it('a corrupted record rejects the open with CORRUPTED (nothing is guessed)', async () => {
    const { raw, open } = await seeded()
    await flip(raw, 'i/rec/r1')
    await expectCode(open, 'CORRUPTED')
  })

  it('a corrupted vector is re-embedded when the index is rebuilt', async () => {
    const { raw, open } = await seeded()
    await flip(raw, 'i/vec/r0')
    await raw.delete('i/snap/index')
    const mem = await open()
    expect((await mem.recall('alpha apples', { k: 1, mode: 'vector' }))[0]?.memory.id).toBe('r0')
    expect((await mem.health()).ok).toBe(true)
    await mem.close()
  })

  it('a corrupted index snapshot is rebuilt from the records', async () => {
    const { raw, open } = await seeded()
    await flip(raw, 'i/snap/index', 40)
    const mem = await open()
    expect((await mem.recall('gamma grapes', { k: 1 }))[0]?.memory.id).toBe('r2')
    await mem.close()
  })

  it('a corrupted log entry is reported by history() and verifyAudit()', async () => {
    const { raw, open } = await seeded()
    await flip(raw, `i/log/${padSeq(1)}`)
    const mem = await open()
    await expectCode(() => mem.history('r0'), 'CORRUPTED')
    const report = await mem.verifyAudit()
    expect(report.ok).toBe(false)
    expect(report.problems[0]).toMatchObject({ seq: 1, problem: 'corrupted' })
    await mem.close()
  })

  it('a corrupted head rejects the open with CORRUPTED', async () => {
    const { raw, open } = await seeded()
    await flip(raw, 'i/meta/head')
    await expectCode(open, 'CORRUPTED')
  })

  it('flipping any one byte of any blob never yields wrong data (plain and encrypted)', async () => {
    for (const encryption of [undefined, { passphrase: 'p', iterations: 10_000 }]) {
      const { raw, open } = await seeded(encryption)
      const pristine = new Map<string, Uint8Array>()
      for (const key of (await raw.list('i/')).keys) pristine.set(key, (await raw.get(key))!)
      const expected = ['alpha apples are red', 'beta bananas are yellow and sweet', 'gamma grapes are purple']
      let detected = 0
      let repaired = 0
      for (const [key, bytes] of pristine) {
        if (bytes.byteLength < 2) continue // history markers: their key is the data
        for (const at of [0, 5, 13, 17, bytes.byteLength - 1]) {
          const copy = bytes.slice()
          copy[at]! ^= 0x01
          await raw.set(key, copy)
          try {
            const mem = await open()
            const got = []
            for (const id of ['r0', 'r1', 'r2']) got.push((await mem.get(id)).content)
            expect(got, `${key} byte ${at}`).toEqual(expected)
            await mem.close()
            repaired++
          } catch (e) {
            if (!isMemoryError(e, 'CORRUPTED')) throw e
            detected++
          }
          // Put back every key (a repair may have rewritten some).
          for (const [k, v] of pristine) await raw.set(k, v)
        }
      }
      expect(detected).toBeGreaterThan(0)
      expect(repaired).toBeGreaterThan(0)
    }
  })

  it('a byte flipped in an fs store file is caught the same way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'engram-integrity-'))
    dirs.push(dir)
    const a = await createMemory({ namespace: 'i', store: fsDriver({ dir }), embedder })
    await a.store('delta dates are brown', { id: 'd1' })
    await a.close()
    const files = (await dumpDirectory(dir)).filter((c) => !c.where.startsWith('name:'))
    const head = files.find((c) => c.where.includes('meta') && c.where.includes('head'))
    expect(head).toBeDefined()
    const bytes = new Uint8Array(await readFile(head!.where))
    bytes[bytes.length - 3]! ^= 0x10
    await writeFile(head!.where, bytes)
    await expectCode(() => createMemory({ namespace: 'i', store: fsDriver({ dir }), embedder }), 'CORRUPTED')
  })
})

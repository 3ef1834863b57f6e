import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createMemory } from '../../src/core/memory.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { cryptoMetaKey } from '../../src/security/encryption.js'
import { decodeFrame, encodeFrame, FRAME_FLAGS } from '../../src/store/codec.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { fsDriver } from '../../src/store/drivers/fs.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { expectCode } from '../shared/expect-error.js'
import { dumpDriver, dumpSize, encryptedScan, findStrings, SECRET_NEEDLES } from '../shared/raw-scan.js'
import { dumpDirectory } from './security-raw-fs.js'

const embedder = createTestEmbedder({ dims: 32 })
const ITER = 10_000
const pass = (passphrase: string) => ({ passphrase, iterations: ITER })
const dirs: string[] = []
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'engram-sec-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

/** A driver whose close() does nothing, so one instance can be reopened and dumped after a memory closed it. */
function keepOpen(driver: StoreDriver): StoreDriver {
  return { ...driver, name: driver.name, close: async () => undefined }
}

describe('encryption at rest: raw bytes', () => {
  it('the memory driver holds none of the content, metadata values or PII when encrypted', async () => {
    const store = memoryDriver()
    const report = await encryptedScan({ store, dump: () => dumpDriver(store) })
    expect(report.bytes).toBeGreaterThan(2000)
    expect(report.hits).toEqual([])
  })

  it('the fs driver holds none of them in any file (records, log, snapshot, journal, temp)', async () => {
    const dir = await tempDir()
    const report = await encryptedScan({ store: fsDriver({ dir }), dump: () => dumpDirectory(dir) })
    expect(report.chunks).toBeGreaterThan(10)
    expect(report.hits).toEqual([])
  })

  it('the same scan finds every secret in an unencrypted store (the scan can fail)', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ namespace: 'scan', store: keepOpen(store), embedder })
    await mem.store('Zq7flamingo lives at 42 Wobblestone Lane', { metadata: { nickname: 'zq7pangolin' } })
    await mem.close()
    const found = new Set(findStrings(await dumpDriver(store), SECRET_NEEDLES).map((h) => h.needle))
    expect([...found].sort()).toEqual(['Wobblestone', 'zq7flamingo', 'zq7pangolin'])
  })
})

describe('encryption keys', () => {
  it('round-trips through a reopen with the right passphrase', async () => {
    const store = keepOpen(memoryDriver())
    const a = await createMemory({ namespace: 'n', store, embedder, encryption: pass('right') })
    const id = await a.store('secret meeting on Tuesday', { metadata: { room: 'blue' } })
    await a.close()
    const b = await createMemory({ namespace: 'n', store, embedder, encryption: pass('right') })
    expect((await b.get(id)).metadata).toEqual({ room: 'blue' })
    expect((await b.recall('meeting Tuesday', { k: 1 }))[0]?.memory.id).toBe(id)
    expect((await b.history(id)).length).toBe(1)
    expect((await b.verifyAudit()).ok).toBe(true)
    await b.close()
  })

  it('the default 600,000 PBKDF2 iterations are stored as rounds of at most 100,000 (the Workers limit per call)', async () => {
    const raw = memoryDriver()
    const store = keepOpen(raw)
    const a = await createMemory({ namespace: 'd', store, embedder, encryption: { passphrase: 'default cost' } })
    const id = await a.store('opened with the default work factor')
    await a.close()
    const meta = JSON.parse(new TextDecoder().decode(decodeFrame((await raw.get(cryptoMetaKey('d')))!).payload))
    expect(meta.kek).toMatchObject({ type: 'pbkdf2', hash: 'SHA-256', iterations: 100_000, rounds: 6 })
    expect(JSON.stringify(meta)).not.toContain('default cost')
    const b = await createMemory({ namespace: 'd', store, embedder, encryption: { passphrase: 'default cost' } })
    expect((await b.get(id)).content).toBe('opened with the default work factor')
    await b.close()
    await expectCode(() => createMemory({ namespace: 'd', store, embedder, encryption: { passphrase: 'default cosT' } }), 'UNAUTHORIZED')
  })

  it('a wrong passphrase rejects with UNAUTHORIZED and leaves every byte as it was', async () => {
    const raw = memoryDriver()
    const store = keepOpen(raw)
    const a = await createMemory({ namespace: 'n', store, embedder, encryption: pass('right') })
    await a.store('only for the right key')
    await a.close()
    const before = await dumpDriver(raw)
    await expectCode(() => createMemory({ namespace: 'n', store, embedder, encryption: pass('wrong') }), 'UNAUTHORIZED')
    await expectCode(() => createMemory({ namespace: 'n', store, embedder }), 'UNAUTHORIZED')
    expect(await dumpDriver(raw)).toEqual(before)
  })

  it('an app-supplied non-extractable CryptoKey works, and another key is refused', async () => {
    const gen = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const key = await gen()
    const store = keepOpen(memoryDriver())
    const a = await createMemory({ namespace: 'k', store, embedder, encryption: { key } })
    const id = await a.store('keyed content')
    await a.close()
    const b = await createMemory({ namespace: 'k', store, embedder, encryption: { key } })
    expect((await b.get(id)).content).toBe('keyed content')
    await b.close()
    await expectCode(() => createMemory({ namespace: 'k', store, embedder, encryption: { key: gen() as never } }), 'VALIDATION')
    const other = await gen()
    await expectCode(() => createMemory({ namespace: 'k', store, embedder, encryption: { key: other } }), 'UNAUTHORIZED')
    await expectCode(() => createMemory({ namespace: 'k', store, embedder, encryption: pass('x') }), 'UNAUTHORIZED')
  })

  it('rejects bad options with VALIDATION', async () => {
    const store = memoryDriver()
    await expectCode(() => createMemory({ store, embedder, encryption: { passphrase: '' } }), 'VALIDATION')
    await expectCode(() => createMemory({ store, embedder, encryption: { passphrase: 'x', iterations: 5 } }), 'VALIDATION')
    await expectCode(() => createMemory({ store, embedder, encryption: {} as never }), 'VALIDATION')
    const raw = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    await expectCode(() => createMemory({ store, embedder, encryption: { key: raw } }), 'VALIDATION')
  })

  it('one key per namespace: a blob moved to another namespace does not decrypt', async () => {
    const raw = memoryDriver()
    const store = keepOpen(raw)
    const a = await createMemory({ namespace: 'a', store, embedder, encryption: pass('same') })
    const b = await createMemory({ namespace: 'b', store, embedder, encryption: pass('same') })
    const idA = await a.store('from a', { id: 'x1' })
    await b.store('from b', { id: 'x1' })
    await a.close()
    await b.close()
    const metaA = decodeFrame((await raw.get(cryptoMetaKey('a')))!).payload
    const metaB = decodeFrame((await raw.get(cryptoMetaKey('b')))!).payload
    expect(new TextDecoder().decode(metaA)).not.toBe(new TextDecoder().decode(metaB))
    await raw.set('b/rec/x1', (await raw.get(`a/rec/${idA}`))!)
    await expectCode(() => createMemory({ namespace: 'b', store, embedder, encryption: pass('same') }), 'CORRUPTED')
  })

  it('an edited ciphertext with a recomputed checksum is CORRUPTED, never garbage', async () => {
    const raw = memoryDriver()
    const store = keepOpen(raw)
    const a = await createMemory({ namespace: 'n', store, embedder, encryption: pass('p') })
    await a.store('tamper target', { id: 't1' })
    await a.close()
    const frame = decodeFrame((await raw.get('n/rec/t1'))!)
    const payload = frame.payload.slice()
    payload[payload.length - 20]! ^= 0x01
    await raw.set('n/rec/t1', encodeFrame(payload, FRAME_FLAGS.encrypted))
    await expectCode(() => createMemory({ namespace: 'n', store, embedder, encryption: pass('p') }), 'CORRUPTED')
  })
})

describe('key rotation', () => {
  it('re-encrypts everything under a new passphrase without losing a write made meanwhile', async () => {
    const raw = memoryDriver()
    const store = keepOpen(raw)
    const mem = await createMemory({ namespace: 'r', store, embedder, encryption: pass('old') })
    await mem.storeBatch(Array.from({ length: 300 }, (_, i) => ({ content: `memory number ${i}`, id: `m${i}` })))
    const rotation = mem.rotateKey(pass('new'))
    const during = Promise.all(Array.from({ length: 40 }, (_, i) => mem.store(`written during rotation ${i}`, { id: `d${i}` })))
    const updates = Promise.all(Array.from({ length: 20 }, (_, i) => mem.update(`m${i}`, { content: `updated ${i}` })))
    const [report] = await Promise.all([rotation, during, updates])
    expect(report.keyId).toBe(2)
    expect(report.reencrypted).toBeGreaterThan(300)
    await mem.close()
    await expectCode(() => createMemory({ namespace: 'r', store, embedder, encryption: pass('old') }), 'UNAUTHORIZED')
    const again = await createMemory({ namespace: 'r', store, embedder, encryption: pass('new') })
    expect(await again.count()).toBe(340)
    for (let i = 0; i < 40; i++) expect((await again.get(`d${i}`)).content).toBe(`written during rotation ${i}`)
    for (let i = 0; i < 20; i++) expect((await again.get(`m${i}`)).content).toBe(`updated ${i}`)
    expect((await again.verifyAudit()).ok).toBe(true)
    await again.close()
    // Every framed blob of the namespace is now under data key 2.
    for (const chunk of await dumpDriver(raw, 'r/')) {
      if (chunk.where.startsWith('key:') || chunk.where === cryptoMetaKey('r') || chunk.bytes.byteLength < 22) continue
      expect(new DataView(chunk.bytes.buffer, chunk.bytes.byteOffset).getUint32(17, true), chunk.where).toBe(2)
    }
  })

  it('a rotation cut short by a storage failure leaves a store the new passphrase opens, and finishes later', async () => {
    const raw = memoryDriver()
    let failAfter = Number.POSITIVE_INFINITY
    const flaky: StoreDriver = {
      ...raw,
      close: async () => undefined,
      async transaction(ops) {
        if (failAfter-- <= 0) throw new Error('disk unplugged')
        return raw.transaction!(ops)
      },
    }
    const mem = await createMemory({ namespace: 'c', store: flaky, embedder, encryption: pass('old') })
    await mem.storeBatch(Array.from({ length: 120 }, (_, i) => ({ content: `memory ${i}`, id: `m${i}` })))
    failAfter = 1
    await expect(mem.rotateKey(pass('new'))).rejects.toThrow(/disk unplugged/)
    failAfter = Number.POSITIVE_INFINITY
    await mem.close()
    await expectCode(() => createMemory({ namespace: 'c', store: flaky, embedder, encryption: pass('old') }), 'UNAUTHORIZED')
    const again = await createMemory({ namespace: 'c', store: flaky, embedder, encryption: pass('new') })
    expect((await again.get('m119')).content).toBe('memory 119')
    const report = await again.rotateKey()
    expect(report.keyId).toBe(3)
    await again.close()
    const ids = new Set<number>()
    for (const chunk of await dumpDriver(raw, 'c/')) {
      if (chunk.where.startsWith('key:') || chunk.where === cryptoMetaKey('c') || chunk.bytes.byteLength < 22) continue
      ids.add(new DataView(chunk.bytes.buffer, chunk.bytes.byteOffset).getUint32(17, true))
    }
    expect([...ids]).toEqual([3])
  })

  it('encrypts an existing unencrypted namespace in place', async () => {
    const raw = memoryDriver()
    const store = keepOpen(raw)
    const plain = await createMemory({ namespace: 'p', store, embedder })
    await plain.store('Zq7flamingo was here before encryption', { id: 'old1' })
    await plain.close()
    const enc = await createMemory({ namespace: 'p', store, embedder, encryption: pass('now') })
    expect((await enc.get('old1')).content).toContain('Zq7flamingo')
    await enc.rotateKey()
    await enc.store('after', { id: 'new1' })
    await enc.close()
    expect(findStrings(await dumpDriver(raw), ['zq7flamingo'])).toEqual([])
    const again = await createMemory({ namespace: 'p', store, embedder, encryption: pass('now') })
    expect((await again.get('old1')).content).toContain('Zq7flamingo')
    await again.close()
  })

  it('rotateKey on an unencrypted memory is UNSUPPORTED', async () => {
    const mem = await createMemory({ store: memoryDriver(), embedder })
    await expectCode(() => mem.rotateKey(), 'UNSUPPORTED')
    await mem.close()
  })

  it('raw bytes stay sealed after rotation', async () => {
    const store = memoryDriver()
    const mem = await createMemory({ namespace: 'z', store: keepOpen(store), embedder, encryption: pass('one') })
    await mem.store('Zq7flamingo rotates', { metadata: { nickname: 'zq7pangolin' } })
    await mem.rotateKey(pass('two'))
    await mem.close()
    const dump = await dumpDriver(store)
    expect(dumpSize(dump)).toBeGreaterThan(500)
    expect(findStrings(dump, SECRET_NEEDLES)).toEqual([])
  })
})

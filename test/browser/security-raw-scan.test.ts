/**
 * What Chromium's IndexedDB really holds (test/shared/raw-scan.ts): after an encrypted memory wrote
 * content, metadata and PII, no secret appears in any key or value, in UTF-8 or UTF-16; after
 * forgetSubject on an unencrypted memory, the subject's words are gone while another person's stay
 * (proving the scan reads plain bytes). The dump opens the database directly, not through the driver.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createMemory as createWorkerMemory } from '../../src/browser/client.js'
import { isMemoryError } from '../../src/core/errors.js'
import { indexedDBDriver } from '../../src/store/drivers/indexeddb.js'
import {
  encryptedScan,
  findStrings,
  forgetSubjectScan,
  type RawDump,
  SECRET_CONTENT,
  SECRET_NEEDLES,
  SECRET_PII,
} from '../shared/raw-scan.js'

const databases: string[] = []
let counter = 0
function freshName(prefix: string): string {
  const name = `${prefix}-${Date.now()}-${++counter}`
  databases.push(name)
  return name
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

const utf8 = new TextEncoder()

/** Every byte string inside a stored value: Uint8Array/ArrayBuffer as is, strings and numbers as UTF-8. */
function byteStrings(value: unknown, where: string, out: RawDump): void {
  if (value instanceof Uint8Array) out.push({ where, bytes: value })
  else if (value instanceof ArrayBuffer) out.push({ where, bytes: new Uint8Array(value) })
  else if (ArrayBuffer.isView(value)) out.push({ where, bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) })
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) byteStrings(v, `${where}[${i}]`, out)
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push({ where: `${where}.${k}:name`, bytes: utf8.encode(k) })
      byteStrings(v, `${where}.${k}`, out)
    }
  } else if (value !== undefined) out.push({ where, bytes: utf8.encode(String(value)) })
}

/** Every record of every object store of the database, as IndexedDB returns it. */
async function dumpDatabase(name: string): Promise<RawDump> {
  const db = await request(indexedDB.open(name))
  const out: RawDump = []
  try {
    for (const storeName of Array.from(db.objectStoreNames)) {
      const store = db.transaction(storeName, 'readonly').objectStore(storeName)
      const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())])
      expect(keys.length).toBe(values.length)
      keys.forEach((key, i) => {
        byteStrings(key, `${storeName}:key:${String(key)}`, out)
        byteStrings(values[i], `${storeName}:${String(key)}`, out)
      })
    }
  } finally {
    db.close()
  }
  return out
}

afterAll(async () => {
  for (const name of databases) await request(indexedDB.deleteDatabase(name)).catch(() => undefined)
})

describe('raw IndexedDB scan in Chromium', () => {
  it('an encrypted memory leaves no content, metadata value or PII in any key or value', async () => {
    const name = freshName('engram-scan-enc')
    // The default PBKDF2 cost, as a page would use it.
    const report = await encryptedScan({ store: indexedDBDriver({ name }), iterations: 600_000, dump: () => dumpDatabase(name) })
    expect(report.stored).toBe(4)
    expect(report.chunks).toBeGreaterThan(10)
    expect(report.bytes).toBeGreaterThan(2000)
    expect(report.hits).toEqual([])
  })

  it('forgetSubject leaves none of the subject in IndexedDB, and the scan still sees the others', async () => {
    const name = freshName('engram-scan-forget')
    const result = await forgetSubjectScan({ store: indexedDBDriver({ name }), dump: () => dumpDatabase(name) })
    expect(result.report).toMatchObject({ records: 3, snapshotRewritten: true })
    expect(result.bytes).toBeGreaterThan(1000)
    expect(result.control.length).toBeGreaterThan(0)
    expect(result.hits).toEqual([])
  })

  it('through the worker API: encryption and redaction at open, forgetSubject, verifyAudit and rotateKey', async () => {
    const database = freshName('engram-worker-sec')
    const open = (passphrase: string) =>
      createWorkerMemory({
        worker: true,
        database,
        embedder: { kind: 'test' },
        encryption: { passphrase, iterations: 10_000 },
        redact: true,
      })
    const mem = await open('first passphrase')
    for (const content of SECRET_CONTENT) await mem.store(content, { scope: { userId: 'zq7user' } })
    await mem.store(`Contact: ${SECRET_PII.join(', ')}`, { scope: { userId: 'zq7user' } })
    await mem.store('The other person likes kayaking on Sundays', { scope: { userId: 'other' } })
    const contact = (await mem.recall('contact', { k: 10 })).find((h) => h.memory.content.startsWith('Contact:'))
    for (const pii of SECRET_PII) expect(contact?.memory.content).not.toContain(pii)
    const forgotten = await mem.forgetSubject({ userId: 'zq7user' })
    expect(forgotten.records).toBe(SECRET_CONTENT.length + 1)
    expect((await mem.verifyAudit()).ok).toBe(true)
    const rotated = await mem.rotateKey({ passphrase: 'second passphrase', iterations: 10_000 })
    expect(rotated.reencrypted).toBeGreaterThan(0)
    await mem.close()

    const dump = await dumpDatabase(database)
    expect(findStrings(dump, [...SECRET_NEEDLES, 'kayaking'])).toEqual([])
    expect(dump.reduce((n, c) => n + c.bytes.byteLength, 0)).toBeGreaterThan(1000)

    const stale = await open('first passphrase')
    const error = await stale.recall('kayaking').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isMemoryError(error, 'UNAUTHORIZED')).toBe(true)
    await stale.close().catch(() => undefined)
    const reopened = await open('second passphrase')
    const hits = await reopened.recall('kayaking zq7flamingo', { k: 10 })
    expect(hits.map((h) => h.memory.content)).toEqual(['The other person likes kayaking on Sundays'])
    await reopened.close()
  })
})

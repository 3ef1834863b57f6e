/**
 * Look at what a store really holds: dump every raw byte a driver keeps (keys and values, through the
 * driver itself, or files/rows gathered by the caller) and search it for strings. Runtime-agnostic (no
 * vitest, no node:*), so the IndexedDB, KV, R2 and Durable Object tests can call it too:
 *
 *   const report = await encryptedScan({ store: myDriver(), dump: () => dumpDriver(myDriver) })
 *   expect(report.hits).toEqual([])
 *
 * Strings are searched as UTF-8 and UTF-16LE (IndexedDB and some engines keep UTF-16), in their
 * original case and lower-cased (the keyword index keeps lower-case terms).
 */
import { createMemory } from '../../src/core/memory.js'
import type { Embedder } from '../../src/embed/embedder.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import type { StoreDriver } from '../../src/store/driver.js'

export interface RawChunk {
  /** Where the bytes live: a key, a file path, a row. */
  where: string
  bytes: Uint8Array
}

export type RawDump = RawChunk[]

export interface RawHit {
  needle: string
  where: string
  encoding: 'utf-8' | 'utf-16le'
  offset: number
}

const utf8 = new TextEncoder()

/** Every key and value under `prefix`, read through the driver (keys are dumped as bytes too). */
export async function dumpDriver(driver: StoreDriver, prefix = ''): Promise<RawDump> {
  const out: RawDump = []
  let cursor: string | undefined
  do {
    const page = await driver.list(prefix, cursor === undefined ? { limit: 500 } : { limit: 500, cursor })
    const values = await driver.getMany(page.keys)
    page.keys.forEach((key, i) => {
      out.push({ where: `key:${key}`, bytes: utf8.encode(key) })
      const value = values[i]
      if (value) out.push({ where: key, bytes: value })
    })
    cursor = page.cursor
  } while (cursor !== undefined)
  return out
}

function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    out[i * 2] = c & 0xff
    out[i * 2 + 1] = c >> 8
  }
  return out
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0 || needle.length > haystack.length) return -1
  const first = needle[0]
  outer: for (let i = haystack.indexOf(first!); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first!, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

/** Every place a needle occurs (first occurrence per chunk, per form). */
export function findStrings(dump: RawDump, needles: string[]): RawHit[] {
  const hits: RawHit[] = []
  for (const needle of needles) {
    const forms = new Set([needle, needle.toLowerCase()])
    for (const form of forms) {
      const encoded: [RawHit['encoding'], Uint8Array][] = [
        ['utf-8', utf8.encode(form)],
        ['utf-16le', utf16le(form)],
      ]
      for (const chunk of dump) {
        for (const [encoding, bytes] of encoded) {
          const offset = indexOf(chunk.bytes, bytes)
          if (offset >= 0) hits.push({ needle, where: chunk.where, encoding, offset })
        }
      }
    }
  }
  return hits
}

/** Every place these raw bytes occur (for example the float32 bytes of an embedding). */
export function findBytes(dump: RawDump, needle: Uint8Array): { where: string; offset: number }[] {
  const hits: { where: string; offset: number }[] = []
  for (const chunk of dump) {
    const offset = indexOf(chunk.bytes, needle)
    if (offset >= 0) hits.push({ where: chunk.where, offset })
  }
  return hits
}

export function dumpSize(dump: RawDump): number {
  return dump.reduce((n, c) => n + c.bytes.byteLength, 0)
}

/** Content, metadata values and PII the scans look for; each word is distinctive and unstemmed. */
export const SECRET_CONTENT = [
  'Zq7flamingo lives at 42 Wobblestone Lane',
  'The vault code of zq7marigold is 8817-4431',
  'Call zq7heron on +44 20 7946 0958 after lunch',
]
export const SECRET_METADATA = { nickname: 'zq7pangolin', address: { city: 'Zq7Quokkaville' } }
export const SECRET_PII = ['alice.zq7@example.org', '4111 1111 1111 1111', 'GB82 WEST 1234 5698 7654 32', '078-05-1120', '203.0.113.77']
export const SECRET_NEEDLES = [
  'zq7flamingo',
  'Wobblestone',
  'zq7marigold',
  'zq7heron',
  'zq7pangolin',
  'Zq7Quokkaville',
  'alice.zq7@example.org',
  '4111 1111 1111 1111',
  'GB82 WEST',
  '078-05-1120',
  '203.0.113.77',
]

export interface EncryptedScanOptions {
  /** The driver under test (the memory writes through it, then closes it). */
  store: StoreDriver
  /** Dump everything the backend holds, after the memory closed (default: {@link dumpDriver} on `reopen()` or `store`). */
  dump: () => Promise<RawDump>
  namespace?: string
  embedder?: Embedder
  /** PBKDF2 iterations (low keeps tests fast; the default is 600k). @default 10_000 */
  iterations?: number
}

export interface EncryptedScanReport {
  hits: RawHit[]
  /** Bytes looked at (a scan of nothing proves nothing: assert this is well above 0). */
  bytes: number
  chunks: number
  /** The content read back through a reopened memory (empty when `reopen` was not given). */
  stored: number
}

/**
 * Write content, metadata values and PII through an encrypted memory on `store`, close it, dump the
 * backend and search for every secret. `hits` must come back empty.
 */
export async function encryptedScan(options: EncryptedScanOptions): Promise<EncryptedScanReport> {
  const embedder = options.embedder ?? createTestEmbedder()
  const namespace = options.namespace ?? 'scan'
  const mem = await createMemory({
    namespace,
    store: options.store,
    embedder,
    encryption: { passphrase: 'correct horse battery staple', iterations: options.iterations ?? 10_000 },
    snapshotEvery: 2,
  })
  const ids: string[] = []
  for (const content of SECRET_CONTENT) ids.push(await mem.store(content, { metadata: SECRET_METADATA, scope: { userId: 'zq7user' } }))
  ids.push(await mem.store(`Contact: ${SECRET_PII.join(', ')}`, { metadata: { email: SECRET_PII[0]! } }))
  await mem.update(ids[0]!, { content: `${SECRET_CONTENT[0]} (confirmed zq7flamingo)` })
  await mem.recall('zq7flamingo Wobblestone', { k: 3 })
  await mem.snapshot('zq7pangolin label')
  await mem.optimize()
  await mem.close()
  const dump = await options.dump()
  return { hits: findStrings(dump, SECRET_NEEDLES), bytes: dumpSize(dump), chunks: dump.length, stored: ids.length }
}

export interface ForgetScanReport {
  /** Subject strings still found after forgetSubject: must be empty. */
  hits: RawHit[]
  /** Other people's content still found: must not be empty (the scan sees plain content). */
  control: RawHit[]
  bytes: number
  /** The report forgetSubject returned. */
  report: unknown
}

/**
 * Store memories of two people through an unencrypted memory on `store`, forget one with
 * `forgetSubject({ userId })`, close, dump, and search for the subject's words. Without encryption
 * the other person's words stay visible (`control`), which proves the scan reads the real bytes.
 */
export async function forgetSubjectScan(options: Omit<EncryptedScanOptions, 'iterations'>): Promise<ForgetScanReport> {
  const embedder = options.embedder ?? createTestEmbedder()
  const mem = await createMemory({ namespace: options.namespace ?? 'forget', store: options.store, embedder, snapshotEvery: 2 })
  const subject = SECRET_CONTENT
  const ids: string[] = []
  for (const content of subject) ids.push(await mem.store(content, { scope: { userId: 'zq7subject' }, metadata: SECRET_METADATA }))
  await mem.store('Control person enjoys kayaking', { scope: { userId: 'other' }, links: [ids[0]!] })
  await mem.update(ids[1]!, { content: `${subject[1]} (zq7marigold again)` })
  await mem.recall('zq7flamingo', { k: 2 })
  await mem.optimize()
  const report = await mem.forgetSubject({ userId: 'zq7subject' })
  await mem.close()
  const dump = await options.dump()
  return {
    hits: findStrings(dump, ['zq7flamingo', 'Wobblestone', 'zq7marigold', 'zq7heron', 'zq7pangolin', 'Zq7Quokkaville']),
    control: findStrings(dump, ['kayaking']),
    bytes: dumpSize(dump),
    report,
  }
}

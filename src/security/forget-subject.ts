/**
 * The right to be forgotten: `forgetSubject({ userId })` removes a person's memories everywhere the
 * memory keeps them, in this order, inside the write queue:
 *
 * 1. the subject's memories: every record whose scope matches, persisted or working tier;
 * 2. what was built from them: summaries whose `sourceIds` reach a forgotten memory (transitively)
 *    are rebuilt from their remaining sources (the memory's summarizer, else extractive), lowest level
 *    first; summaries with no other source and merged memories are removed;
 * 3. graph links: other memories' `links` to a forgotten memory are dropped (an 'update' entry);
 * 4. history: every log entry about a forgotten memory is replaced by a tombstone that keeps the
 *    audit chain (see audit.ts); removed memories lose their history markers too (a rebuilt summary
 *    keeps them, pointing at tombstones, so rollback leaves it alone); one chained 'system' entry
 *    lists the purged sequences (no content, the subject as a salted digest);
 * 5. derived indexes: the vector and keyword indexes are rebuilt from the remaining records and a
 *    fresh index snapshot overwrites the old one (which held the subject's terms and vectors);
 * 6. every key of the namespace naming a removed id (history markers, archives, side stores of
 *    other features) is deleted.
 *
 * Copies outside the store (a KV/R2 mirror kept by a driver, a backup, an export file) are the
 * driver's or the operator's: the report lists what was checked.
 */

import { splitSentences } from '../core/consolidate.js'
import { memoryError } from '../core/errors.js'
import { keysFor, type LogEntry } from '../core/layout.js'
import { contentHash } from '../core/record.js'
import { selectSentences } from '../core/summarize.js'
import type { MemoryRecord, Scope } from '../core/types.js'
import { parseJsonBytes } from '../store/codec.js'
import type { DriverOp } from '../store/driver.js'
import { sha256Hex, tombstoneOf } from './audit.js'
import { isEncryptionCodec } from './encryption.js'
import { type HostPending, listAll, type SecurityHost } from './host.js'
import { rotateKey } from './rotation.js'

/** Who to forget: every given field must match the memory's scope. */
export type ForgetSubjectQuery = Scope

export interface ForgetSubjectReport {
  /** Salted SHA-256 of the query, as recorded in the audit log. */
  subject: string
  /** Persisted memories of the subject removed. */
  records: number
  /** Working-tier (RAM only) memories removed. */
  working: number
  /** Summaries rebuilt from their remaining sources, and derived memories (merges, summaries of the subject only) removed. */
  derived: { rebuilt: string[]; removed: string[] }
  /** Other memories whose links to a forgotten memory were dropped. */
  unlinked: string[]
  /** Log entries replaced by tombstones (the audit chain still verifies). */
  historyPurged: number
  /** History markers and other keys naming a forgotten memory, deleted. */
  keysDeleted: number
  /** The index snapshot was rebuilt without the subject. */
  snapshotRewritten: boolean
  /** Sequence of the audit entry that records this purge (0 when there was nothing to forget). */
  auditSeq: number
  /** What was checked beyond the records, in words. */
  checked: string[]
  /** With `rotateKey`: the data key everything is now encrypted with. */
  keyRotated?: number
}

const SCOPE_FIELDS = ['userId', 'agentId', 'sessionId', 'conversationId'] as const
const CHUNK = 500

export interface ForgetSubjectOptions {
  /**
   * Encrypted memories only: afterwards, re-encrypt everything under a new data key and drop the old
   * one (crypto-shredding). Bytes a backend keeps after a delete (IndexedDB/LevelDB files before
   * compaction, a journal, an orphaned blob) then stay unreadable even to the passphrase. @default false
   */
  rotateKey?: boolean
}

export async function forgetSubject(
  host: SecurityHost,
  query: ForgetSubjectQuery,
  options: ForgetSubjectOptions = {},
): Promise<ForgetSubjectReport> {
  const wanted = checkQuery(query)
  if (!options || typeof options !== 'object') throw memoryError('VALIDATION', 'forgetSubject options must be an object')
  if (options.rotateKey && !isEncryptionCodec(host.codec)) {
    throw memoryError('UNSUPPORTED', 'rotateKey needs an encrypted memory (open it with `encryption`)')
  }
  const subject = await sha256Hex(`engram/forget/${host.namespace}/${JSON.stringify(wanted)}`)
  const report = await purge(host, wanted, subject)
  if (options.rotateKey) {
    const rotation = await rotateKey(host, undefined)
    report.keyRotated = rotation.keyId
    report.checked.push(`every blob re-encrypted under data key ${rotation.keyId}; the old data key is gone`)
  }
  return report
}

async function purge(host: SecurityHost, wanted: [string, string][], subject: string): Promise<ForgetSubjectReport> {
  return host.exclusive(async () => {
    const persisted = host.records()
    const working = host.workingRecords()
    const all = [...persisted, ...working]
    const byId = new Map(all.map((r) => [r.id, r]))
    const matches = (r: MemoryRecord) => wanted.every(([k, v]) => (r.scope as Record<string, string | undefined>)[k] === v)
    const direct = new Set(all.filter(matches).map((r) => r.id))
    // Everything whose text comes from the subject: follow sourceIds until nothing new joins.
    const tainted = new Set(direct)
    const derived: MemoryRecord[] = []
    for (let grew = true; grew; ) {
      grew = false
      for (const r of all) {
        if (tainted.has(r.id) || !r.sourceIds.some((s) => tainted.has(s))) continue
        tainted.add(r.id)
        derived.push(r)
        grew = true
      }
    }
    // Summaries with other sources left are rebuilt from those (lowest level first); anything else derived goes.
    const removed = new Set(direct)
    const rebuild: { record: MemoryRecord; sources: string[] }[] = []
    for (const r of derived.sort((a, b) => (a.summaryLevel ?? 0) - (b.summaryLevel ?? 0))) {
      const sources = r.sourceIds.filter((id) => byId.has(id) && !removed.has(id))
      if (r.summaryLevel !== undefined && r.tier !== 'working' && sources.length > 0) rebuild.push({ record: r, sources })
      else removed.add(r.id)
    }
    const report: ForgetSubjectReport = {
      subject,
      records: 0,
      working: 0,
      derived: { rebuilt: rebuild.map((b) => b.record.id), removed: derived.filter((r) => removed.has(r.id)).map((r) => r.id) },
      unlinked: [],
      historyPurged: 0,
      keysDeleted: 0,
      snapshotRewritten: false,
      auditSeq: 0,
      checked: [],
    }
    if (tainted.size === 0) {
      report.checked.push('no memory matched the subject')
      return report
    }
    report.working = host.dropWorking([...removed].filter((id) => direct.has(id)))
    host.dropWorking([...removed])
    const persistedRemoved = persisted.filter((r) => removed.has(r.id)).map((r) => r.id)
    report.records = persistedRemoved.filter((id) => direct.has(id)).length
    const now = host.now()
    const unlink: HostPending[] = []
    for (const r of persisted) {
      if (tainted.has(r.id) || !r.links.some((l) => removed.has(l))) continue
      const record: MemoryRecord = { ...r, links: r.links.filter((l) => !removed.has(l)), version: r.version + 1, updatedAt: now }
      unlink.push({ op: 'update', id: r.id, record, detail: { reason: 'forgetSubject' } })
      report.unlinked.push(r.id)
    }
    const removals: HostPending[] = persistedRemoved.map((id) => ({ op: 'forget', id, removed: true, detail: { reason: 'forgetSubject' } }))
    for (let i = 0; i < removals.length; i += CHUNK) await host.commit(removals.slice(i, i + CHUNK))
    for (let i = 0; i < unlink.length; i += CHUNK) await host.commit(unlink.slice(i, i + CHUNK))
    const gone = tainted

    // History: tombstone every entry about a tainted memory, one purge entry per chunk.
    const keys = host.keys
    const markers: { key: string; seq: number }[] = []
    for (const id of gone) {
      for (const key of await listAll(host.store, keys.histPrefix(id)))
        markers.push({ key, seq: Number(key.slice(key.lastIndexOf('/') + 1)) })
    }
    for (let i = 0; i < markers.length; i += CHUNK) {
      const page = markers.slice(i, i + CHUNK)
      const values = await host.store.getMany(page.map((m) => keys.log(m.seq)))
      const extraOps: DriverOp[] = []
      const purged: number[] = []
      for (let j = 0; j < page.length; j++) {
        const bytes = values[j]
        if (!bytes) continue
        const entry = parseJsonBytes<LogEntry>(await host.codec.decode(bytes))
        // The removal entries just written hold no content: keep them readable as the record of the purge.
        if (entry.op === 'forget' && entry.removed && (entry.detail as { reason?: string } | undefined)?.reason === 'forgetSubject') {
          continue
        }
        if (entry.tombstone) continue
        extraOps.push({ type: 'set', key: keys.log(entry.seq), value: await host.codec.encode(jsonOf(await tombstoneOf(entry))) })
        purged.push(entry.seq)
      }
      const [purge] = await host.commit([{ op: 'system', detail: { reason: 'forgetSubject', subject, purged }, extraOps }])
      report.auditSeq = purge?.seq ?? report.auditSeq
      report.historyPurged += purged.length
    }
    report.checked.push(`history markers of ${gone.size} memories and the log entries they point to`)

    const contents = new Map<string, string>()
    for (const { record, sources } of rebuild) {
      try {
        const texts = sources.map((id) => contents.get(id) ?? byId.get(id)!.content)
        const text = await summaryText(host, texts, Math.max(record.content.length, 200))
        const [vector] = await host.embed([text])
        const next: MemoryRecord = {
          ...record,
          content: text,
          contentHash: contentHash(text),
          sourceIds: sources,
          links: record.links.filter((l) => !removed.has(l)),
          version: record.version + 1,
          updatedAt: now,
        }
        await host.commit([
          { op: 'summarize', id: record.id, record: next, vector: vector!, detail: { reason: 'forgetSubject', rebuilt: true } },
        ])
        contents.set(record.id, text)
      } catch (e) {
        // A summary that cannot be rebuilt is removed rather than left holding the subject's words.
        await host.commit([{ op: 'forget', id: record.id, removed: true, detail: { reason: 'forgetSubject', rebuildFailed: String(e) } }])
        removed.add(record.id)
        report.derived.rebuilt = report.derived.rebuilt.filter((id) => id !== record.id)
        report.derived.removed.push(record.id)
      }
    }

    // Any other key naming a forgotten id (archived vectors, side stores of other features).
    const nsKeys = keysFor(host.namespace)
    const skip = [nsKeys.logPrefix]
    const leftovers: string[] = []
    for (const key of await listAll(host.store, `${host.namespace}/`)) {
      if (skip.some((p) => key.startsWith(p))) continue
      const segments = key.split('/').slice(1)
      if (segments.some((s) => removed.has(s))) leftovers.push(key)
    }
    for (const key of leftovers) await host.store.delete(key)
    report.keysDeleted += leftovers.length
    report.checked.push(`every key of namespace '${host.namespace}' for a forgotten id (${leftovers.length} extra deleted)`)

    await host.rebuildAndSnapshot()
    report.snapshotRewritten = true
    report.checked.push('vector and keyword indexes rebuilt; index snapshot rewritten')
    report.checked.push('user snapshots (rollback points) hold no content; rollback cannot restore purged history')
    report.checked.push(`driver '${host.store.name}': copies outside this store (mirrors, backups, exports) are not reachable from here`)
    return report
  })
}

/** The summary of these texts, written the way the memory writes summaries (its summarizer, else extractive). */
async function summaryText(host: SecurityHost, texts: string[], maxChars: number): Promise<string> {
  const policy = host.summaryPolicy
  if (policy.summarizer) {
    const written = await policy.summarizer(texts, { maxChars })
    if (typeof written !== 'string' || written.trim().length === 0) throw memoryError('VALIDATION', 'The summarizer returned no text')
    return written.trim().slice(0, maxChars)
  }
  const sentences = texts.flatMap(splitSentences)
  const vectors = await host.embed(sentences)
  const chosen = selectSentences(sentences, vectors, { lambda: policy.lambda, redundancy: policy.redundancy, maxChars })
  return chosen.map((i) => sentences[i]!).join(' ')
}

function checkQuery(query: unknown): [string, string][] {
  if (!query || typeof query !== 'object' || Array.isArray(query)) {
    throw memoryError('VALIDATION', 'forgetSubject takes a scope such as { userId }')
  }
  const entries = Object.entries(query as Record<string, unknown>).filter(([, v]) => v !== undefined)
  const unknown = entries.filter(([k]) => !(SCOPE_FIELDS as readonly string[]).includes(k)).map(([k]) => k)
  if (unknown.length > 0) throw memoryError('VALIDATION', `Unknown forgetSubject fields: ${unknown.join(', ')}`)
  if (entries.length === 0)
    throw memoryError('VALIDATION', 'forgetSubject needs at least one of userId, agentId, sessionId, conversationId')
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || v.length === 0 || v.length > 256)
      throw memoryError('VALIDATION', `${k} must be a string of 1-256 characters`)
  }
  return entries.sort(([a], [b]) => (a < b ? -1 : 1)) as [string, string][]
}

function jsonOf(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value))
}

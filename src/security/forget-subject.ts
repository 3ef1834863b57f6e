/**
 * The right to be forgotten: `forgetSubject({ userId })` removes a person's memories everywhere the
 * memory keeps them, in this order, inside the write queue:
 *
 * 1. the subject's memories: every record whose scope matches, persisted or working tier;
 * 2. what was built from them: summaries and merged memories whose `sourceIds` reach a forgotten
 *    memory (transitively) are removed too, their text being derived from the subject's;
 * 3. graph links: other memories' `links` to a forgotten memory are dropped (an 'update' entry);
 * 4. history: every log entry about a forgotten memory is replaced by a tombstone that keeps the
 *    audit chain (see audit.ts), and its history markers are deleted; one chained 'system' entry
 *    lists the purged sequences (no content, the subject as a salted digest);
 * 5. derived indexes: the vector and keyword indexes are rebuilt from the remaining records and a
 *    fresh index snapshot overwrites the old one (which held the subject's terms and vectors);
 * 6. any other key of the namespace naming a forgotten id (archives, side stores) is deleted.
 *
 * Copies outside the store (a KV/R2 mirror kept by a driver, a backup, an export file) are the
 * driver's or the operator's: the report lists what was checked.
 */
import { memoryError } from '../core/errors.js'
import { keysFor, type LogEntry } from '../core/layout.js'
import type { MemoryRecord, Scope } from '../core/types.js'
import { parseJsonBytes } from '../store/codec.js'
import type { DriverOp } from '../store/driver.js'
import { sha256Hex, tombstoneOf } from './audit.js'
import { type HostPending, listAll, type SecurityHost } from './host.js'

/** Who to forget: every given field must match the memory's scope. */
export type ForgetSubjectQuery = Scope

export interface ForgetSubjectReport {
  /** Salted SHA-256 of the query, as recorded in the audit log. */
  subject: string
  /** Persisted memories of the subject removed. */
  records: number
  /** Working-tier (RAM only) memories removed. */
  working: number
  /** Summaries and merged memories built from the subject's memories, removed with them. */
  derived: string[]
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
}

const SCOPE_FIELDS = ['userId', 'agentId', 'sessionId', 'conversationId'] as const
const CHUNK = 500

export async function forgetSubject(host: SecurityHost, query: ForgetSubjectQuery): Promise<ForgetSubjectReport> {
  const wanted = checkQuery(query)
  const subject = await sha256Hex(`engram/forget/${host.namespace}/${JSON.stringify(wanted)}`)
  return host.exclusive(async () => {
    const persisted = host.records()
    const working = host.workingRecords()
    const all = [...persisted, ...working]
    const matches = (r: MemoryRecord) => wanted.every(([k, v]) => (r.scope as Record<string, string | undefined>)[k] === v)
    const gone = new Set(all.filter(matches).map((r) => r.id))
    // Derived memories: follow sourceIds until nothing new joins.
    const derived: string[] = []
    for (let grew = true; grew; ) {
      grew = false
      for (const r of all) {
        if (gone.has(r.id) || !r.sourceIds.some((s) => gone.has(s))) continue
        gone.add(r.id)
        derived.push(r.id)
        grew = true
      }
    }
    const report: ForgetSubjectReport = {
      subject,
      records: 0,
      working: 0,
      derived,
      unlinked: [],
      historyPurged: 0,
      keysDeleted: 0,
      snapshotRewritten: false,
      auditSeq: 0,
      checked: [],
    }
    if (gone.size === 0) {
      report.checked.push('no memory matched the subject')
      return report
    }
    report.working = host.dropWorking([...gone])
    const persistedGone = persisted.filter((r) => gone.has(r.id)).map((r) => r.id)
    report.records = persistedGone.filter((id) => !derived.includes(id)).length
    const now = host.now()
    const unlink: HostPending[] = []
    for (const r of persisted) {
      if (gone.has(r.id) || !r.links.some((l) => gone.has(l))) continue
      const record: MemoryRecord = { ...r, links: r.links.filter((l) => !gone.has(l)), version: r.version + 1, updatedAt: now }
      unlink.push({ op: 'update', id: r.id, record, detail: { reason: 'forgetSubject' } })
      report.unlinked.push(r.id)
    }
    const removals: HostPending[] = persistedGone.map((id) => ({ op: 'forget', id, removed: true, detail: { reason: 'forgetSubject' } }))
    for (let i = 0; i < removals.length; i += CHUNK) await host.commit(removals.slice(i, i + CHUNK))
    for (let i = 0; i < unlink.length; i += CHUNK) await host.commit(unlink.slice(i, i + CHUNK))

    // History: tombstone every entry about a forgotten memory, delete its markers, one purge entry per chunk.
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
        extraOps.push({ type: 'delete', key: page[j]!.key })
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
      report.keysDeleted += page.length
    }
    report.checked.push(`history markers of ${gone.size} memories and the log entries they point to`)

    // Any other key naming a forgotten id (archived vectors, side stores of other features).
    const nsKeys = keysFor(host.namespace)
    const skip = [nsKeys.logPrefix, `${host.namespace}/hist/`]
    const leftovers: string[] = []
    for (const key of await listAll(host.store, `${host.namespace}/`)) {
      if (skip.some((p) => key.startsWith(p))) continue
      const segments = key.split('/').slice(1)
      if (segments.some((s) => gone.has(s))) leftovers.push(key)
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

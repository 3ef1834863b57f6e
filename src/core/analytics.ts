/**
 * Analytics: `recent()` and `report()`. A report groups the live memories by type — how many exist, how
 * many were created in [from, to] (both inclusive), their mean importance, accesses, tiers and superseded count — next to
 * the retrieval statistics (recall count, mean top score, mean latency) and the health report.
 */
import { memoryError } from './errors.js'
import type { MemoryHost } from './host.js'
import { checkScope, checkTier, checkTimestamp, checkType } from './record.js'
import {
  type HealthReport,
  MEMORY_TIERS,
  MEMORY_TYPES,
  type MemoryRecord,
  type MemoryReport,
  type MemoryTier,
  type RecentOptions,
  type ReportOptions,
  type TypeReport,
} from './types.js'

const HOUR = 3_600_000

export function recent(host: MemoryHost, options: RecentOptions = {}): MemoryRecord[] {
  const hours = options.hours ?? 24
  if (typeof hours !== 'number' || !(hours > 0)) throw memoryError('VALIDATION', 'hours must be a positive number')
  const limit = options.limit ?? 100
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw memoryError('VALIDATION', 'limit must be an integer in 1..10000')
  const types = options.types === undefined ? undefined : new Set(options.types.map(checkType))
  const tiers = new Set<MemoryTier>(
    options.tiers === undefined ? MEMORY_TIERS.filter((t) => t !== 'archived') : options.tiers.map(checkTier),
  )
  const scope = options.scope === undefined ? [] : Object.entries(checkScope(options.scope))
  const now = host.now()
  const since = now - hours * HOUR
  return host
    .records()
    .filter(
      (r) =>
        r.createdAt >= since &&
        r.validTo === undefined &&
        tiers.has(r.tier) &&
        (r.expiresAt === undefined || r.expiresAt > now) &&
        (types === undefined || types.has(r.type)) &&
        scope.every(([k, v]) => (r.scope as Record<string, string>)[k] === v),
    )
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
    .slice(0, limit)
    .map((r) => structuredClone(r))
}

export function buildReport(
  records: MemoryRecord[],
  options: ReportOptions,
  now: number,
  retrieval: MemoryReport['retrieval'],
  health: HealthReport,
): MemoryReport {
  const from = options.from === undefined ? 0 : checkTimestamp(options.from, 'from')
  const to = options.to === undefined ? now : checkTimestamp(options.to, 'to')
  if (to < from) throw memoryError('VALIDATION', 'to must not be before from')
  const byType = Object.fromEntries(
    MEMORY_TYPES.map((t): [string, TypeReport] => [
      t,
      {
        count: 0,
        created: 0,
        meanImportance: 0,
        accesses: 0,
        byTier: Object.fromEntries(MEMORY_TIERS.map((x) => [x, 0])) as Record<MemoryTier, number>,
        superseded: 0,
      },
    ]),
  ) as MemoryReport['byType']
  let total = 0
  for (const r of records) {
    if (r.expiresAt !== undefined && r.expiresAt <= now) continue
    if (r.createdAt > to) continue
    const t = byType[r.type]
    total++
    t.count++
    if (r.createdAt >= from) t.created++
    t.meanImportance += r.importance
    t.accesses += r.accessCount
    t.byTier[r.tier]++
    if (r.validTo !== undefined) t.superseded++
  }
  for (const t of Object.values(byType)) if (t.count > 0) t.meanImportance /= t.count
  return { from, to, total, byType, retrieval, health }
}

/** Named issues only the self-managing layer can see; merged into the report's health. */
export function policyIssues(
  records: MemoryRecord[],
  now: number,
  limits: { maxEntries: number; maxBytes: number },
): HealthReport['issues'] {
  const issues: HealthReport['issues'] = []
  const persisted = records.filter((r) => r.tier !== 'working')
  const bytes = persisted.reduce((n, r) => n + r.content.length * 2 + JSON.stringify(r.metadata).length, 0)
  if (persisted.length > limits.maxEntries || bytes > limits.maxBytes) {
    issues.push({
      code: 'RETENTION_OVER_LIMIT',
      message: 'More memories than the retention limits allow (optimize() evicts; pinned ones stay)',
      count: persisted.length,
    })
  }
  const dueShortTerm = persisted.filter(
    (r) => r.tier === 'short-term' && r.expiresAt !== undefined && r.expiresAt > now && r.expiresAt - now < 60_000,
  )
  if (dueShortTerm.length > 0)
    issues.push({ code: 'SHORT_TERM_EXPIRING', message: 'Short-term memories expire within a minute', count: dueShortTerm.length })
  return issues
}

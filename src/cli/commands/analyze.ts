/**
 * analyze: what was stored and recalled in a time frame, by type and over time, as terminal bar
 * charts. "Recalled" means a memory whose last recall falls in the frame (records keep their access
 * count and last access, not every access), so counts are memories, with their total recalls beside.
 */
import type { Command } from 'commander'
import { MEMORY_TYPES, type MemoryRecord, type MemoryType } from '../../core/types.js'
import { Context } from '../context.js'
import { clip } from '../output.js'
import { formatDuration, parseDuration } from '../parse.js'
import { allRecords } from './forget.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

export interface Analysis {
  namespace: string
  timeframe: { from: number; to: number; ms: number; label: string }
  total: number
  stored: { total: number; byType: Record<MemoryType, number> }
  recalled: { memories: number; recalls: number; byType: Record<MemoryType, number> }
  buckets: { start: number; label: string; stored: number; recalled: number }[]
  topRecalled: { id: string; type: MemoryType; accessCount: number; content: string }[]
}

function zeroByType(): Record<MemoryType, number> {
  return Object.fromEntries(MEMORY_TYPES.map((t) => [t, 0])) as Record<MemoryType, number>
}

export function analyze(records: MemoryRecord[], namespace: string, ms: number, now: number): Analysis {
  const from = now - ms
  const stored = records.filter((r) => r.createdAt >= from && r.createdAt <= now)
  const recalled = records.filter((r) => r.accessCount > 0 && r.lastAccessedAt >= from && r.lastAccessedAt <= now)
  const storedByType = zeroByType()
  for (const r of stored) storedByType[r.type]++
  const recalledByType = zeroByType()
  for (const r of recalled) recalledByType[r.type]++
  const size = ms <= DAY ? HOUR : ms <= 31 * DAY ? DAY : 7 * DAY
  const count = Math.min(Math.ceil(ms / size), 53)
  const first = now - count * size
  const buckets = Array.from({ length: count }, (_, i) => {
    const start = first + i * size
    const iso = new Date(start + size).toISOString()
    return { start, label: size === HOUR ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : iso.slice(0, 10), stored: 0, recalled: 0 }
  })
  const bucketOf = (t: number) => Math.min(count - 1, Math.floor((t - first) / size))
  for (const r of stored) if (r.createdAt >= first) buckets[bucketOf(r.createdAt)]!.stored++
  for (const r of recalled) if (r.lastAccessedAt >= first) buckets[bucketOf(r.lastAccessedAt)]!.recalled++
  return {
    namespace,
    timeframe: { from, to: now, ms, label: formatDuration(ms) },
    total: records.length,
    stored: { total: stored.length, byType: storedByType },
    recalled: { memories: recalled.length, recalls: recalled.reduce((s, r) => s + r.accessCount, 0), byType: recalledByType },
    buckets,
    topRecalled: recalled
      .sort((a, b) => b.accessCount - a.accessCount || b.lastAccessedAt - a.lastAccessedAt)
      .slice(0, 5)
      .map((r) => ({ id: r.id, type: r.type, accessCount: r.accessCount, content: r.content })),
  }
}

export function registerAnalyzeCommand(program: Command): void {
  program
    .command('analyze')
    .description('What was stored and recalled in a time frame, by type and over time (terminal charts)')
    .option('--timeframe <duration>', 'how far back to look (e.g. 24h, 7d, 4w)', parseDuration, 7 * DAY)
    .action(async (opts, command: Command) => {
      const ctx = new Context(command)
      const { out } = ctx
      const { records, namespace } = await ctx.withBackend(async (b) => ({
        records: await allRecords(b),
        namespace: (await b.stats()).namespace,
      }))
      const a = analyze(records, namespace, opts.timeframe as number, Date.now())
      out.result(a, () => {
        const c = out.color
        out.line(`${c.bold('engram analyze')} · namespace ${c.cyan(a.namespace)} · last ${a.timeframe.label}`)
        out.line(
          `${c.bold(String(a.stored.total))} stored · ${c.bold(String(a.recalled.memories))} recalled (${a.recalled.recalls} recalls all time) · ${a.total} memories held`,
        )
        out.line()
        const maxType = Math.max(1, ...MEMORY_TYPES.map((t) => Math.max(a.stored.byType[t], a.recalled.byType[t])))
        out.line(`${c.bold('by type'.padEnd(12))}${'stored'.padStart(7)}  ${''.padEnd(24)}${'recalled'.padStart(9)}`)
        for (const t of MEMORY_TYPES) {
          out.line(
            `${t.padEnd(12)}${String(a.stored.byType[t]).padStart(7)}  ${out.bar(a.stored.byType[t], maxType, 22)}  ${String(a.recalled.byType[t]).padStart(7)}  ${out.bar(a.recalled.byType[t], maxType, 22)}`,
          )
        }
        out.line()
        const maxBucket = Math.max(1, ...a.buckets.map((b) => Math.max(b.stored, b.recalled)))
        out.line(`${c.bold('over time'.padEnd(12))}${'stored'.padStart(7)}  ${''.padEnd(24)}${'recalled'.padStart(9)}`)
        for (const b of a.buckets) {
          out.line(
            `${b.label.padEnd(12)}${String(b.stored).padStart(7)}  ${out.bar(b.stored, maxBucket, 22)}  ${String(b.recalled).padStart(7)}  ${out.bar(b.recalled, maxBucket, 22)}`,
          )
        }
        if (a.topRecalled.length > 0) {
          out.line()
          out.table(
            ['most recalled', 'type', 'recalls', 'content'],
            a.topRecalled.map((r) => [r.id, r.type, r.accessCount, clip(r.content, 50)]),
          )
        }
      })
    })
}

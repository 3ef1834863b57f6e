/**
 * What the dashboard draws, computed from the namespace's records and the handler's recent recalls:
 * cumulative memories per tier and per type over time, recall latency, the most recalled memories.
 */
import { MEMORY_TIERS, MEMORY_TYPES, type Memory, type MemoryStats, type MemoryTier, type MemoryType } from '../../core/types.js'

export interface RecallSample {
  /** Epoch ms. */
  at: number
  /** Milliseconds the recall took, as the runtime's clock saw it. */
  ms: number
  hits: number
}

/** A bounded ring of the latest recalls. */
export interface RecallLog {
  add(sample: RecallSample): void
  samples(): RecallSample[]
}

export function recallLog(capacity = 500): RecallLog {
  const ring: RecallSample[] = []
  let next = 0
  return {
    add(sample) {
      if (ring.length < capacity) ring.push(sample)
      else ring[next] = sample
      next = (next + 1) % capacity
    },
    samples() {
      return ring.length < capacity ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)]
    },
  }
}

export interface DashboardData {
  namespace: string
  generatedAt: number
  stats: MemoryStats
  /** Bucket end instants and, for each, how many memories (still held) existed by then. */
  series: { at: number[]; byTier: Record<MemoryTier, number[]>; byType: Record<MemoryType, number[]> }
  recall: { samples: RecallSample[]; count: number; p50: number; p95: number; p99: number }
  top: { id: string; content: string; type: MemoryType; tier: MemoryTier; accessCount: number; lastAccessedAt: number }[]
  /** True when the namespace holds more records than the dashboard scans. */
  truncated: boolean
}

const BUCKETS = 24
const MAX_SCAN = 20_000

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

export async function dashboardData(memory: Memory, recalls: RecallLog, now: number): Promise<DashboardData> {
  const stats = await memory.stats()
  const rows: { createdAt: number; tier: MemoryTier; type: MemoryType }[] = []
  const top: DashboardData['top'] = []
  let cursor: string | undefined
  let truncated = false
  do {
    const page = await memory.list(
      cursor === undefined ? { limit: 1000, tiers: [...MEMORY_TIERS] } : { limit: 1000, tiers: [...MEMORY_TIERS], cursor },
    )
    for (const r of page.items) {
      rows.push({ createdAt: r.createdAt, tier: r.tier, type: r.type })
      if (r.accessCount > 0) {
        top.push({
          id: r.id,
          content: r.content.length > 140 ? `${r.content.slice(0, 139)}…` : r.content,
          type: r.type,
          tier: r.tier,
          accessCount: r.accessCount,
          lastAccessedAt: r.lastAccessedAt,
        })
        top.sort((a, b) => b.accessCount - a.accessCount || b.lastAccessedAt - a.lastAccessedAt)
        top.length = Math.min(top.length, 10)
      }
    }
    cursor = page.cursor
    if (rows.length >= MAX_SCAN && cursor !== undefined) {
      truncated = true
      break
    }
  } while (cursor !== undefined)

  const start = rows.reduce((min, r) => Math.min(min, r.createdAt), now)
  const span = Math.max(1, now - start)
  const at = Array.from({ length: BUCKETS }, (_, i) => Math.round(start + (span * (i + 1)) / BUCKETS))
  const zeros = () => new Array<number>(BUCKETS).fill(0)
  const byTier = Object.fromEntries(MEMORY_TIERS.map((t) => [t, zeros()])) as Record<MemoryTier, number[]>
  const byType = Object.fromEntries(MEMORY_TYPES.map((t) => [t, zeros()])) as Record<MemoryType, number[]>
  for (const r of rows) {
    const first = Math.min(BUCKETS - 1, Math.max(0, Math.ceil(((r.createdAt - start) / span) * BUCKETS) - 1))
    for (let i = first; i < BUCKETS; i++) {
      byTier[r.tier][i]!++
      byType[r.type][i]!++
    }
  }

  const samples = recalls.samples()
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b)
  return {
    namespace: memory.namespace,
    generatedAt: now,
    stats,
    series: { at, byTier, byType },
    recall: {
      samples: samples.slice(-200),
      count: samples.length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
    },
    top,
    truncated,
  }
}

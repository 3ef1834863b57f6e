/**
 * Feedback: `feedback(id, { helpful })` moves a memory's importance by `policy.feedback.step` of the
 * distance to its bound — up towards 1 when helpful, down towards the floor when not — so repeated
 * feedback converges instead of overshooting. The floor is `minImportance`, or `pinnedMinImportance` for
 * pinned memories (whose score never decays to nothing); a memory already below the floor is not raised
 * by negative feedback. Helpful feedback also counts as an access (it reinforces like a recall does).
 * Recall-time reinforcement ({@link reinforceAccesses}) turns accesses into importance the same way, at
 * `accessStep` per access, when the lifecycle runs.
 */
import { memoryError } from './errors.js'
import type { MemoryHost } from './host.js'
import type { MemoryPolicy } from './policy.js'
import { checkId } from './record.js'
import type { FeedbackSignal, MemoryRecord } from './types.js'

/** The record after one feedback (pure). */
export function applyFeedback(record: MemoryRecord, helpful: boolean, policy: MemoryPolicy['feedback'], now: number): MemoryRecord {
  const next = structuredClone(record)
  const floor = record.pinned ? Math.max(policy.minImportance, policy.pinnedMinImportance) : policy.minImportance
  const current = record.importance
  if (helpful) {
    next.importance = Math.min(1, Math.max(current + policy.step * (1 - current), floor))
    next.accessCount = record.accessCount + 1
    next.lastAccessedAt = Math.max(record.lastAccessedAt, now)
  } else {
    next.importance = current <= floor ? current : Math.max(floor, current - policy.step * (current - floor))
  }
  next.version = record.version + 1
  next.updatedAt = now
  return next
}

/**
 * Recall-time reinforcement: memories accessed since the last run (accessCount above
 * `creditedAccessCount`) gain importance, `accessStep` of the way to 1 per access (at most 50 counted per
 * run). Returns the changed records, version unchanged (the caller's log entry sets it).
 */
export function reinforceAccesses(records: MemoryRecord[], policy: MemoryPolicy['feedback']): Map<string, MemoryRecord> {
  const out = new Map<string, MemoryRecord>()
  if (policy.accessStep <= 0) return out
  for (const r of records) {
    if (r.tier === 'working') continue
    const fresh = r.accessCount - (r.creditedAccessCount ?? 0)
    if (fresh <= 0) continue
    let importance = r.importance
    for (let i = 0; i < Math.min(fresh, 50); i++) importance += policy.accessStep * (1 - importance)
    const next = structuredClone(r)
    next.importance = Math.min(1, importance)
    next.creditedAccessCount = r.accessCount
    out.set(r.id, next)
  }
  return out
}

export async function feedback(host: MemoryHost, id: string, signal: FeedbackSignal): Promise<MemoryRecord> {
  checkId(id)
  if (!signal || typeof signal !== 'object' || typeof signal.helpful !== 'boolean') {
    throw memoryError('VALIDATION', 'feedback takes { helpful: boolean }')
  }
  return host.write(async () => {
    const now = host.now()
    const current = host.get(id)
    if (!current || (current.expiresAt !== undefined && current.expiresAt <= now))
      throw memoryError('NOT_FOUND', `No memory with id '${id}'`)
    if (current.tier === 'working') throw memoryError('UNSUPPORTED', 'Feedback applies to persisted memories, not the working tier')
    const next = applyFeedback(current, signal.helpful, host.policy.feedback, now)
    await host.commit([
      { op: 'feedback', id, record: next, detail: { helpful: signal.helpful, from: current.importance, to: next.importance } },
    ])
    host.emit('feedback', [id], { helpful: signal.helpful, importance: next.importance })
    return structuredClone(next)
  })
}

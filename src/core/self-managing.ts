/**
 * The self-managing layer as one object the memory delegates to: dedup and supersession events after a
 * store, the background supersession callback, archived-tier search, related hits, the lifecycle run,
 * and the public verbs (consolidate, summarize, context, recallMany, recent, feedback, related, report).
 * Each piece lives in its own module and works alone; this file only wires them to a {@link MemoryHost}.
 */
import { buildReport, policyIssues, recent } from './analytics.js'
import { consolidate } from './consolidate.js'
import { buildContext } from './context.js'
import { sameScope } from './dedup.js'
import { memoryError } from './errors.js'
import { feedback, reinforceAccesses } from './feedback.js'
import { fillEntities, related, relatedHits } from './graph.js'
import type { HostChange, MemoryHost } from './host.js'
import type { Candidate } from './ranking.js'
import { recallMany } from './recall-many.js'
import { summarize } from './summarize.js'
import { markSuperseded } from './supersede.js'
import { planLifecycle, searchArchived } from './tiers.js'
import type {
  ConsolidateOptions,
  ConsolidationResult,
  ContextOptions,
  ContextResult,
  FeedbackSignal,
  HealthReport,
  MemoryRecord,
  MemoryReport,
  RecallHit,
  RecallManyOptions,
  RecentOptions,
  RelatedMemory,
  RelatedOptions,
  ReportOptions,
  SummarizeOptions,
} from './types.js'
import type { WritePlan } from './write-plan.js'

export interface LifecycleResult {
  /** Memories whose new accesses raised their importance. */
  reinforced: number
  promoted: number
  archived: number
  evicted: number
  /** Retention limits still exceeded (only pinned memories were left to evict). */
  overLimit: boolean
}

export class SelfManaging {
  readonly #host: MemoryHost
  /** Background work started after a store (the supersession callback); `settled()` waits for it. */
  readonly #pending = new Set<Promise<void>>()

  constructor(host: MemoryHost) {
    this.#host = host
  }

  /** The `schedule` option as milliseconds (undefined when off). */
  static scheduleInterval(schedule: unknown): number | undefined {
    if (schedule === undefined) return undefined
    const ms = typeof schedule === 'number' ? schedule : (schedule as { intervalMs?: unknown } | null)?.intervalMs
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 1000) {
      throw memoryError('VALIDATION', 'schedule must be an interval of at least 1000 ms (a number or { intervalMs })')
    }
    return ms
  }

  fillEntities(records: MemoryRecord[]): Promise<void> {
    const { enabled, extract } = this.#host.policy.entities
    return enabled ? fillEntities(records, extract) : Promise.resolve()
  }

  /** Events for a committed store plan; queue the supersession callback when the policy has one. */
  afterStore(plan: WritePlan): void {
    const host = this.#host
    const fresh = plan.results.filter((r) => !r.deduplicated).map((r) => r.id)
    const deduplicated = [...new Set(plan.results.filter((r) => r.deduplicated).map((r) => r.id))]
    if (fresh.length > 0) host.emit('stored', fresh, { deduplicated: false })
    if (deduplicated.length > 0) host.emit('stored', deduplicated, { deduplicated: true })
    for (const s of plan.superseded) host.emit('superseded', [s.oldId], { by: s.newId, validTo: s.at })
    const decide = host.policy.supersede.decide
    if (host.policy.supersede.enabled && decide && fresh.length > 0) {
      // The callback (maybe an LLM) runs outside the write queue: later stores never wait for it.
      const job: Promise<void> = this.#decideSupersession(fresh, decide)
        .catch((e) => host.warn('supersession callback failed', { error: String(e) }))
        .finally(() => this.#pending.delete(job))
      this.#pending.add(job)
    }
  }

  /** Resolves once background work started so far (and any it started) has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending])
  }

  async #decideSupersession(ids: string[], decide: NonNullable<MemoryHost['policy']['supersede']['decide']>): Promise<void> {
    const host = this.#host
    const vectors = await host.vectorsOf(ids)
    for (const id of ids) {
      const incoming = host.get(id)
      const vector = vectors.get(id)
      if (!incoming || !vector || incoming.validTo !== undefined) continue
      const candidates = host
        .nearest(vector, host.policy.supersede.candidates * 4)
        .map((h) => host.get(h.id))
        .filter(
          (r): r is MemoryRecord =>
            r !== undefined &&
            r.id !== id &&
            r.validTo === undefined &&
            r.createdAt <= incoming.createdAt &&
            sameScope(r.scope, incoming.scope),
        )
        .slice(0, host.policy.supersede.candidates)
      if (candidates.length === 0) continue
      const chosen = await decide(
        structuredClone(incoming),
        candidates.map((c) => structuredClone(c)),
      )
      if (!Array.isArray(chosen)) throw memoryError('VALIDATION', 'The supersession callback must return an array of ids')
      const picked = candidates.filter((c) => chosen.includes(c.id)).map((c) => c.id)
      if (picked.length === 0) continue
      await host.write(async () => {
        // The memories may have changed while the callback ran: close only what is still current.
        if (!host.get(id)) return
        const now = host.now()
        const changes: HostChange[] = picked
          .map((cid) => host.get(cid))
          .filter((c): c is MemoryRecord => c !== undefined && c.validTo === undefined)
          .map((c) => ({
            op: 'supersede',
            id: c.id,
            record: markSuperseded(c, id, incoming.createdAt, now),
            detail: { by: id, decidedBy: 'callback' },
          }))
        if (changes.length === 0) return
        await host.commit(changes)
        for (const c of changes) host.emit('superseded', [c.id], { by: id, validTo: incoming.createdAt })
      })
    }
  }

  /** When an update moves a memory into or out of the archive, the stored vector travels with it. */
  async vectorForTierMove(current: MemoryRecord, next: MemoryRecord): Promise<Float32Array | undefined> {
    if ((current.tier === 'archived') === (next.tier === 'archived')) return undefined
    return (await this.#host.vectorsOf([current.id])).get(current.id)
  }

  /** Recall over `tiers: ['archived']`: brute force over the archived memories, vectors loaded on demand. */
  async addArchivedCandidates(
    query: string,
    mode: 'hybrid' | 'vector' | 'keyword',
    fanout: number,
    visible: (r: MemoryRecord) => boolean,
    candidates: Map<string, Candidate>,
    signal?: AbortSignal,
  ): Promise<void> {
    const host = this.#host
    const records = host.records().filter((r) => r.tier === 'archived' && visible(r))
    if (records.length === 0) return
    const vector = mode === 'keyword' ? undefined : (await host.embed([query], 'query', signal))[0]
    const found = await searchArchived({ records, query, vector, loadVectors: (ids) => host.vectorsOf(ids), fanout })
    for (const c of found) {
      if (mode === 'keyword' && c.keyword === undefined) continue
      if (mode === 'vector' && c.vectorRank === undefined) continue
      candidates.set(c.id, c)
    }
  }

  relatedHits(hits: RecallHit[], maxDepth: unknown, visible: (r: MemoryRecord) => boolean): RecallHit[] {
    return relatedHits(this.#host, hits, maxDepth, visible)
  }

  /** Promote, archive and evict under the policy; one transaction per 500 changes, an event per action. */
  lifecycle(): Promise<LifecycleResult> {
    const host = this.#host
    return host.write(async () => {
      const now = host.now()
      const stored = host.records().filter((r) => r.tier !== 'working')
      const reinforced = reinforceAccesses(stored, host.policy.feedback)
      const persisted = stored.map((r) => reinforced.get(r.id) ?? r)
      const plan = planLifecycle(persisted, now, host.policy.lifecycle)
      const planned = new Set([...plan.promote, ...plan.archive].map((r) => r.id).concat(plan.evict))
      const vectors = await host.vectorsOf(plan.archive.map((r) => r.id))
      const changes: HostChange[] = [
        ...[...reinforced.values()]
          .filter((r) => !planned.has(r.id))
          .map((r): HostChange => {
            const from = host.get(r.id)?.importance
            return {
              op: 'reinforce',
              id: r.id,
              record: { ...r, version: r.version + 1, updatedAt: now },
              detail: { reason: 'access', from, to: r.importance },
            }
          }),
        ...plan.promote.map((record): HostChange => ({ op: 'promote', id: record.id, record, detail: { from: 'short-term' } })),
        ...plan.archive.map((record): HostChange => {
          const change: HostChange = { op: 'archive', id: record.id, record, detail: { from: host.get(record.id)?.tier } }
          const vector = vectors.get(record.id)
          if (vector) change.vector = vector
          return change
        }),
        ...plan.evict.map((id): HostChange => ({ op: 'evict', id, removed: true, detail: { reason: 'retention' } })),
      ]
      for (let i = 0; i < changes.length; i += 500) await host.commit(changes.slice(i, i + 500))
      if (plan.promote.length > 0)
        host.emit(
          'promoted',
          plan.promote.map((r) => r.id),
        )
      if (plan.archive.length > 0)
        host.emit(
          'archived',
          plan.archive.map((r) => r.id),
        )
      if (plan.evict.length > 0) host.emit('evicted', plan.evict, { reason: 'retention' })
      if (plan.overLimit) host.warn('retention limits exceeded by pinned memories alone', { namespace: host.namespace })
      return {
        reinforced: reinforced.size,
        promoted: plan.promote.length,
        archived: plan.archive.length,
        evicted: plan.evict.length,
        overLimit: plan.overLimit,
      }
    })
  }

  consolidate(options: ConsolidateOptions): Promise<ConsolidationResult> {
    return consolidate(this.#host, options)
  }

  summarize(options: SummarizeOptions): Promise<MemoryRecord> {
    return summarize(this.#host, options)
  }

  context(options: ContextOptions): Promise<ContextResult> {
    return buildContext(this.#host, options)
  }

  recallMany(queries: string[], options: RecallManyOptions): Promise<RecallHit[]> {
    return recallMany(this.#host, queries, options)
  }

  async recent(options: RecentOptions): Promise<MemoryRecord[]> {
    return recent(this.#host, options)
  }

  feedback(id: string, signal: FeedbackSignal): Promise<MemoryRecord> {
    return feedback(this.#host, id, signal)
  }

  async related(id: string, options: RelatedOptions): Promise<RelatedMemory[]> {
    return related(this.#host, id, options)
  }

  async report(options: ReportOptions, health: HealthReport): Promise<MemoryReport> {
    const host = this.#host
    const now = host.now()
    const records = host.records()
    const extra = policyIssues(records, now, host.policy.lifecycle)
    const issues = [...health.issues, ...extra]
    const merged: HealthReport = { ...health, issues, score: Math.max(0, health.score - 0.1 * extra.length) }
    return buildReport(records, options, now, host.retrieval(), merged)
  }
}

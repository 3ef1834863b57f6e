/**
 * The memory's record catalog: a Map from id to record that also answers, without scanning, "which
 * records have this dedup key", "which state this fact (subject + attribute)" and "which belong to this
 * conversation". Write-time dedup and supersession use it so a store costs O(1) lookups, and recall's
 * conversation context reads one thread instead of every memory.
 *
 * Every change to the catalog goes through `set`/`delete`/`clear`, so the secondary indexes cannot drift.
 * They are built lazily on the first lookup (opening a store pays nothing for them) and then maintained
 * on each change. In-place edits of access counters (recall bookkeeping) do not affect either key.
 */
import { dedupKey } from './dedup.js'
import { byCreatedAt, type ThreadView, threadOf, threadView } from './ranking.js'
import { factKeyOf } from './supersede.js'
import type { MemoryRecord } from './types.js'

/** What write-time dedup and supersession ask of the records. */
export interface RecordLookup {
  withDedupKey(key: string): MemoryRecord[]
  withFactKey(key: string): MemoryRecord[]
}

/** A throwaway catalog over `records` (for callers that hold a plain list). */
export function catalogOf(records: Iterable<MemoryRecord>): RecordCatalog {
  const catalog = new RecordCatalog()
  for (const r of records) catalog.set(r.id, r)
  return catalog
}

export class RecordCatalog extends Map<string, MemoryRecord> implements RecordLookup {
  #byDedup: Map<string, Set<string>> | undefined
  #byFact: Map<string, Set<string>> | undefined
  /** The keys each indexed record was filed under (content may change on update). */
  #keysOf: Map<string, [string, string | undefined]> | undefined
  /** Conversation threads (see threadOf): member ids in catalog order, and each member's thread. */
  #byThread: Map<string, Set<string>> | undefined
  #threadOf: Map<string, string> | undefined
  /** Each record's place in the Map's own order, the tie-break between equal times. */
  #placeOf: Map<string, number> | undefined
  #nextPlace = 0
  /** A thread's records oldest first, kept until one of its members changes. */
  readonly #ordered = new Map<string, ThreadView>()

  override set(id: string, record: MemoryRecord): this {
    if (this.#keysOf) {
      this.#unfile(id)
      this.#file(record)
    }
    if (this.#threadOf) {
      if (!super.has(id)) this.#placeOf!.set(id, this.#nextPlace++)
      this.#refileThread(id, threadOf(record))
    }
    return super.set(id, record)
  }

  override delete(id: string): boolean {
    if (this.#keysOf) this.#unfile(id)
    if (this.#threadOf) {
      this.#refileThread(id, undefined)
      this.#placeOf!.delete(id)
    }
    return super.delete(id)
  }

  override clear(): void {
    this.#byDedup = undefined
    this.#byFact = undefined
    this.#keysOf = undefined
    this.#byThread = undefined
    this.#threadOf = undefined
    this.#placeOf = undefined
    this.#ordered.clear()
    super.clear()
  }

  /**
   * The records of a conversation thread, oldest first (equal times in catalog order), without a pass
   * over the other threads: recall asks this for the neighbours and episodes of its candidates.
   */
  inThread(thread: string): ThreadView {
    const cached = this.#ordered.get(thread)
    if (cached) return cached
    if (!this.#byThread || !this.#threadOf || !this.#placeOf) {
      this.#byThread = new Map()
      this.#threadOf = new Map()
      this.#placeOf = new Map()
      for (const r of super.values()) {
        this.#placeOf.set(r.id, this.#nextPlace++)
        this.#refileThread(r.id, threadOf(r))
      }
    }
    const place = this.#placeOf
    const records: MemoryRecord[] = []
    for (const id of this.#byThread.get(thread) ?? []) records.push(super.get(id)!)
    records.sort((a, b) => byCreatedAt(a, b) || place.get(a.id)! - place.get(b.id)!)
    const view = threadView(records)
    this.#ordered.set(thread, view)
    return view
  }

  /** Moves `id` to `thread` (undefined: out of every thread); a member that stays keeps its place. */
  #refileThread(id: string, thread: string | undefined): void {
    const before = this.#threadOf!.get(id)
    if (before !== undefined) this.#ordered.delete(before)
    if (thread !== undefined) this.#ordered.delete(thread)
    if (before === thread) return
    if (before !== undefined) {
      remove(this.#byThread!, before, id)
      this.#threadOf!.delete(id)
    }
    if (thread !== undefined) {
      add(this.#byThread!, thread, id)
      this.#threadOf!.set(id, thread)
    }
  }

  /** Records whose normalized content is `key` (see dedup.ts). */
  withDedupKey(key: string): MemoryRecord[] {
    return this.#lookup(this.#indexes().byDedup, key)
  }

  /** Records stating the fact `key` (`subject\0attribute`, see supersede.ts). */
  withFactKey(key: string): MemoryRecord[] {
    return this.#lookup(this.#indexes().byFact, key)
  }

  #lookup(map: Map<string, Set<string>>, key: string): MemoryRecord[] {
    const out: MemoryRecord[] = []
    for (const id of map.get(key) ?? []) {
      const r = super.get(id)
      if (r) out.push(r)
    }
    return out
  }

  #indexes() {
    if (!this.#keysOf || !this.#byDedup || !this.#byFact) {
      this.#byDedup = new Map()
      this.#byFact = new Map()
      this.#keysOf = new Map()
      for (const r of super.values()) this.#file(r)
    }
    return { byDedup: this.#byDedup, byFact: this.#byFact }
  }

  #file(r: MemoryRecord): void {
    const d = dedupKey(r.content)
    const f = factKeyOf(r)
    add(this.#byDedup!, d, r.id)
    if (f !== undefined) add(this.#byFact!, f, r.id)
    this.#keysOf!.set(r.id, [d, f])
  }

  #unfile(id: string): void {
    const keys = this.#keysOf!.get(id)
    if (!keys) return
    remove(this.#byDedup!, keys[0], id)
    if (keys[1] !== undefined) remove(this.#byFact!, keys[1], id)
    this.#keysOf!.delete(id)
  }
}

function add(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key)
  if (set) set.add(id)
  else map.set(key, new Set([id]))
}

function remove(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key)
  set?.delete(id)
  if (set?.size === 0) map.delete(key)
}

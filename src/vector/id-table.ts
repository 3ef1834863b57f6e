/**
 * String ids ↔ small integer slots, in typed arrays. A `Map<string, number>` plus an array of the id
 * strings costs about 69 bytes per short id in V8 (the map's entry table, the array, a string object per
 * id); here an id costs its characters (one byte each when all are below 256, two otherwise), six bytes of
 * per-slot offset and length, and about six bytes of hash table: about 17 bytes for a five-character id.
 * At 100k vectors that is most of the difference between an i8 index at 30% of f32's memory and above it.
 * Hand-written because no small library keeps string keys outside the JS heap.
 */

/** Largest load of the hash table before it grows. */
const MAX_LOAD = 0.8
/** The table grows to this many entries per id (a load of 0.625). */
const GROWTH = 1.6
/** The arena and the per-slot arrays grow by this factor (copying is cheap next to adding a vector). */
const ARRAY_GROWTH = 1.25
/** Set in a slot's length when its id is stored as two bytes per UTF-16 code unit. */
const WIDE = 0x8000

export class IdTable {
  /** Id characters, one after another; freed ids leave garbage until {@link IdTable.#compact}. */
  #arena = new Uint8Array(1024)
  #used = 0
  #garbage = 0
  /** Per slot: where its id starts in the arena, and its byte length (| WIDE); length 0 is no id. */
  #start = new Uint32Array(64)
  #length = new Uint16Array(64)
  /** Open addressing with linear probing: slot + 1, or 0 for an empty entry. */
  #table = new Int32Array(16)
  #size = 0
  #slotLimit = 0

  get size(): number {
    return this.#size
  }

  /** One past the highest slot that has held an id. */
  get slotLimit(): number {
    return this.#slotLimit
  }

  /** The slot of `id`, or -1. */
  slotOf(id: string): number {
    const at = this.#find(id)
    return at === -1 ? -1 : this.#table[at]! - 1
  }

  has(id: string): boolean {
    return this.slotOf(id) !== -1
  }

  /** The id in `slot`, or undefined. */
  idAt(slot: number): string | undefined {
    if (!(slot >= 0 && slot < this.#slotLimit)) return undefined
    const length = this.#length[slot]!
    if (length === 0) return undefined
    const start = this.#start[slot]!
    if (length & WIDE) {
      const units = new Uint16Array(this.#arena.buffer, start, (length & ~WIDE) / 2)
      return String.fromCharCode.apply(null, units as unknown as number[])
    }
    return String.fromCharCode.apply(null, this.#arena.subarray(start, start + length) as unknown as number[])
  }

  /** Puts `id` in `slot`; the caller knows neither is taken. */
  set(id: string, slot: number): void {
    if ((this.#size + 1) / this.#table.length > MAX_LOAD) this.#rehash(Math.ceil((this.#size + 1) * GROWTH))
    this.#ensureSlots(slot + 1)
    this.#store(id, slot)
    const table = this.#table
    let at = hashString(id) % table.length
    while (table[at] !== 0) at = at + 1 === table.length ? 0 : at + 1
    table[at] = slot + 1
    this.#size++
  }

  /** Removes `id`; returns its slot, or -1 if absent. */
  delete(id: string): number {
    const at = this.#find(id)
    if (at === -1) return -1
    const table = this.#table
    const slot = table[at]! - 1
    // Backward-shift deletion: later entries of the probe run move into the hole when their home allows.
    let hole = at
    let next = hole
    for (;;) {
      next = next + 1 === table.length ? 0 : next + 1
      const entry = table[next]!
      if (entry === 0) break
      const home = this.#hashSlot(entry - 1) % table.length
      const distanceToNext = (next - home + table.length) % table.length
      const distanceToHole = (hole - home + table.length) % table.length
      if (distanceToHole <= distanceToNext) {
        table[hole] = entry
        hole = next
      }
    }
    table[hole] = 0
    this.#garbage += this.#length[slot]! & ~WIDE
    this.#length[slot] = 0
    this.#size--
    if (this.#garbage > 65536 && this.#garbage > this.#used / 2) this.#compact()
    return slot
  }

  /** Every (id, slot), in slot order. */
  *entries(): IterableIterator<[string, number]> {
    for (let slot = 0; slot < this.#slotLimit; slot++) {
      const id = this.idAt(slot)
      if (id !== undefined) yield [id, slot]
    }
  }

  /** Bytes held: the arena, the per-slot arrays and the hash table. */
  bytes(): number {
    return this.#arena.byteLength + this.#start.byteLength + this.#length.byteLength + this.#table.byteLength
  }

  clear(): void {
    this.#arena = new Uint8Array(1024)
    this.#used = this.#garbage = this.#size = this.#slotLimit = 0
    this.#start = new Uint32Array(64)
    this.#length = new Uint16Array(64)
    this.#table = new Int32Array(16)
  }

  /** Where `id` sits in the hash table, or -1. */
  #find(id: string): number {
    const table = this.#table
    let at = hashString(id) % table.length
    for (;;) {
      const entry = table[at]!
      if (entry === 0) return -1
      if (this.#matches(entry - 1, id)) return at
      at = at + 1 === table.length ? 0 : at + 1
    }
  }

  #matches(slot: number, id: string): boolean {
    const length = this.#length[slot]!
    const start = this.#start[slot]!
    const arena = this.#arena
    if (length & WIDE) {
      if ((length & ~WIDE) !== 2 * id.length) return false
      for (let i = 0, at = start; i < id.length; i++, at += 2) {
        if (arena[at]! + (arena[at + 1]! << 8) !== id.charCodeAt(i)) return false
      }
      return true
    }
    if (length !== id.length) return false
    for (let i = 0; i < length; i++) if (arena[start + i] !== id.charCodeAt(i)) return false
    return true
  }

  /** hashString of the id in `slot`, read from the arena. */
  #hashSlot(slot: number): number {
    const length = this.#length[slot]!
    const start = this.#start[slot]!
    const arena = this.#arena
    let h = 0x811c9dc5
    if (length & WIDE) {
      for (let at = start, end = start + (length & ~WIDE); at < end; at += 2)
        h = Math.imul(h ^ (arena[at]! + (arena[at + 1]! << 8)), 0x01000193)
    } else {
      for (let at = start, end = start + length; at < end; at++) h = Math.imul(h ^ arena[at]!, 0x01000193)
    }
    return finish(h)
  }

  #store(id: string, slot: number): void {
    let wide = false
    for (let i = 0; i < id.length; i++) {
      if (id.charCodeAt(i) > 255) {
        wide = true
        break
      }
    }
    const bytes = wide ? 2 * id.length : id.length
    // Wide ids start on an even offset so that they can be read as a Uint16Array.
    let start = wide ? (this.#used + 1) & ~1 : this.#used
    if (start + bytes > this.#arena.length) {
      this.#growArena(start + bytes)
      start = wide ? (this.#used + 1) & ~1 : this.#used
    }
    const arena = this.#arena
    if (wide) {
      for (let i = 0, at = start; i < id.length; i++, at += 2) {
        const unit = id.charCodeAt(i)
        arena[at] = unit & 0xff
        arena[at + 1] = unit >>> 8
      }
    } else {
      for (let i = 0; i < id.length; i++) arena[start + i] = id.charCodeAt(i)
    }
    this.#garbage += start - this.#used
    this.#used = start + bytes
    this.#start[slot] = start
    this.#length[slot] = wide ? bytes | WIDE : bytes
    if (slot >= this.#slotLimit) this.#slotLimit = slot + 1
  }

  #growArena(needed: number): void {
    const grown = new Uint8Array(Math.max(needed, Math.ceil(this.#arena.length * ARRAY_GROWTH)))
    grown.set(this.#arena.subarray(0, this.#used))
    this.#arena = grown
  }

  #ensureSlots(count: number): void {
    if (count <= this.#start.length) return
    const capacity = Math.max(count, Math.ceil(this.#start.length * ARRAY_GROWTH))
    const start = new Uint32Array(capacity)
    start.set(this.#start)
    const length = new Uint16Array(capacity)
    length.set(this.#length)
    this.#start = start
    this.#length = length
  }

  /** Copies the live ids into a fresh arena of their size. */
  #compact(): void {
    const old = this.#arena
    const arena = new Uint8Array(Math.max(1024, this.#used - this.#garbage + this.#slotLimit))
    let used = 0
    for (let slot = 0; slot < this.#slotLimit; slot++) {
      const length = this.#length[slot]!
      if (length === 0) continue
      const bytes = length & ~WIDE
      if (length & WIDE) used = (used + 1) & ~1
      const start = this.#start[slot]!
      arena.set(old.subarray(start, start + bytes), used)
      this.#start[slot] = used
      used += bytes
    }
    this.#arena = arena
    this.#used = used
    this.#garbage = 0
  }

  #rehash(capacity: number): void {
    const table = new Int32Array(Math.max(16, capacity))
    for (let slot = 0; slot < this.#slotLimit; slot++) {
      if (this.#length[slot] === 0) continue
      let at = this.#hashSlot(slot) % table.length
      while (table[at] !== 0) at = at + 1 === table.length ? 0 : at + 1
      table[at] = slot + 1
    }
    this.#table = table
  }
}

/** FNV-1a over the UTF-16 code units, with a final mix so that the low bits spread. Non-negative. */
function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return finish(h)
}

function finish(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x45d9f3b)
  h ^= h >>> 16
  return h >>> 0
}

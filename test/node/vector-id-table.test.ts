import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../bench/lib/vector-data.js'
import { IdTable } from '../../src/vector/id-table.js'

describe('IdTable (string ids <-> slots in typed arrays)', () => {
  it('agrees with a Map through random sets, deletes and re-sets, across growth and compaction', () => {
    const random = seededRandom(7)
    const table = new IdTable()
    const model = new Map<string, number>()
    const freeSlots: number[] = []
    let nextSlot = 0
    // Short ids, long ids, ids above Latin-1 (stored two bytes per unit), a lone surrogate.
    const idOf = (n: number) =>
      n % 7 === 0 ? `wide-${n}-ü-€-日本` : n % 11 === 0 ? `long-${n}-${'x'.repeat(300)}` : n % 13 === 0 ? `lone-\uD800-${n}` : `m${n}`
    for (let step = 0; step < 60_000; step++) {
      const n = Math.floor(random() * 8_000)
      const id = idOf(n)
      if (model.has(id) && random() < 0.6) {
        const slot = table.delete(id)
        expect(slot).toBe(model.get(id))
        freeSlots.push(slot)
        model.delete(id)
      } else if (!model.has(id)) {
        const slot = freeSlots.length > 0 && random() < 0.7 ? freeSlots.pop()! : nextSlot++
        table.set(id, slot)
        model.set(id, slot)
      }
    }
    expect(table.size).toBe(model.size)
    for (const [id, slot] of model) {
      expect(table.slotOf(id)).toBe(slot)
      expect(table.idAt(slot)).toBe(id)
    }
    for (let n = 0; n < 8_000; n++) if (!model.has(idOf(n))) expect(table.slotOf(idOf(n))).toBe(-1)
    for (const slot of freeSlots) expect(table.idAt(slot)).toBeUndefined()
    const entries = [...table.entries()]
    expect(entries.map(([, slot]) => slot)).toEqual([...model.values()].sort((a, b) => a - b))
    expect(new Map(entries)).toEqual(model)
    expect(table.delete('never')).toBe(-1)
    expect(table.idAt(-1)).toBeUndefined()
    expect(table.idAt(1e9)).toBeUndefined()
  })

  it('tells apart ids that differ only past Latin-1 or in length', () => {
    const table = new IdTable()
    table.set('a\u0101', 0) // wide
    table.set('a\u0001', 1) // same low byte, narrow
    table.set('a', 2)
    table.set('a\u0000', 3)
    expect(table.slotOf('a\u0101')).toBe(0)
    expect(table.slotOf('a\u0001')).toBe(1)
    expect(table.slotOf('a')).toBe(2)
    expect(table.slotOf('a\u0000')).toBe(3)
    expect(table.slotOf('a\u0100')).toBe(-1)
    expect(table.idAt(0)).toBe('a\u0101')
    expect(table.idAt(3)).toBe('a\u0000')
  })

  it('holds 100k short ids in under 18 bytes each (a Map and an array of strings: about 69)', () => {
    const table = new IdTable()
    for (let i = 0; i < 100_000; i++) table.set(String(i), i)
    const full = table.bytes()
    expect(full / 100_000).toBeLessThan(18)
    // Freed ids' characters (about 440 KB here) are reclaimed once they are most of the arena.
    for (let i = 0; i < 90_000; i++) table.delete(String(i))
    expect(table.bytes()).toBeLessThan(full - 300_000)
    expect(table.slotOf('99999')).toBe(99_999)
    expect(table.idAt(95_000)).toBe('95000')
  })
})

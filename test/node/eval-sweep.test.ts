import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadLocomo } from '../../bench/lib/eval-locomo-data.js'
import { grid, prepare, SHIPPED, sweepRecall } from '../../bench/lib/eval-sweep.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'

const fixture = fileURLToPath(new URL('../fixtures/eval/tiny-locomo.json', import.meta.url))

describe('LoCoMo sensitivity sweep', () => {
  it("scores the tiny dataset with engram's ranking functions, the same way for the same settings", async () => {
    const embedder = createTestEmbedder()
    const data = await prepare(loadLocomo(fixture), (texts) => embedder.embed(texts))
    const hybrid = sweepRecall(data, 'hybrid', SHIPPED)
    expect(hybrid).toHaveLength(4)
    for (const x of hybrid) expect(x).toBeGreaterThanOrEqual(0)
    // recall@k never falls as k grows, and every evidence turn is found by k = 20 in a 10-turn conversation
    for (let i = 1; i < hybrid.length; i++) expect(hybrid[i]!).toBeGreaterThanOrEqual(hybrid[i - 1]!)
    expect(hybrid[3]).toBe(1)
    expect(sweepRecall(data, 'hybrid', SHIPPED)).toEqual(hybrid)
    // the keyword question "What is the name of Ann's puppy?" has its evidence first in keyword mode
    expect(sweepRecall(data, 'keyword', SHIPPED)[0]).toBeGreaterThan(0)
  })

  it('moves one default at a time around the shipped ones', () => {
    const rows = grid()
    expect(rows[0]!.settings).toEqual(SHIPPED)
    for (const { settings } of rows.slice(1)) {
      const changed = Object.keys(SHIPPED).filter((k) => settings[k as keyof typeof SHIPPED] !== SHIPPED[k as keyof typeof SHIPPED])
      expect(changed.length).toBeGreaterThanOrEqual(1)
      expect(changed.length).toBeLessThanOrEqual(3) // the row without this round's three changes
    }
  })
})

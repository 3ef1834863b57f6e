import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cosineTopK, PlainBm25, plainTokens } from '../../bench/lib/eval-bm25.js'
import { cleanEvidence, loadLocomo, parseLocomoDate } from '../../bench/lib/eval-locomo-data.js'
import { aggregate, report, scoreRanking } from '../../bench/lib/eval-metrics.js'
import { lineChart, niceTicks } from '../../bench/lib/plot-svg.js'

const fixture = fileURLToPath(new URL('../fixtures/eval/tiny-locomo.json', import.meta.url))
const ev = (...ids: string[]) => new Set(ids)

describe('retrieval metrics', () => {
  it('score a ranking against hand-computed values', () => {
    // evidence a, c; ranking x a y c: a at rank 2, c at rank 4
    const ranked = ['x', 'a', 'y', 'c']
    const m1 = scoreRanking(ranked, ev('a', 'c'), 1)
    expect(m1).toEqual({ hit: 0, recall: 0, ndcg: 0, mrr: 0 })
    const m2 = scoreRanking(ranked, ev('a', 'c'), 2)
    expect(m2.hit).toBe(1)
    expect(m2.recall).toBe(0.5)
    expect(m2.mrr).toBe(0.5)
    // DCG = 1/log2(3); IDCG@2 = 1 + 1/log2(3)
    expect(m2.ndcg).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12)
    const m4 = scoreRanking(ranked, ev('a', 'c'), 4)
    expect(m4.recall).toBe(1)
    expect(m4.ndcg).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3)), 12)
  })

  it('give a perfect ranking 1 everywhere and a ranking without evidence 0', () => {
    expect(scoreRanking(['a', 'b', 'z'], ev('a', 'b'), 10)).toEqual({ hit: 1, recall: 1, ndcg: 1, mrr: 1 })
    expect(scoreRanking(['z', 'y'], ev('a'), 10)).toEqual({ hit: 0, recall: 0, ndcg: 0, mrr: 0 })
    expect(scoreRanking([], ev('a'), 5)).toEqual({ hit: 0, recall: 0, ndcg: 0, mrr: 0 })
  })

  it('cap the ideal DCG at k when there is more evidence than k', () => {
    expect(scoreRanking(['a'], ev('a', 'b', 'c'), 1)).toEqual({ hit: 1, recall: 1 / 3, ndcg: 1, mrr: 1 })
  })

  it('count a repeated id once, at its first place', () => {
    expect(scoreRanking(['z', 'z', 'a'], ev('a'), 2)).toEqual({ hit: 1, recall: 1, ndcg: 1 / Math.log2(3), mrr: 0.5 })
  })

  it('refuse questions without evidence and bad k', () => {
    expect(() => scoreRanking(['a'], ev(), 5)).toThrow(/without evidence/)
    expect(() => scoreRanking(['a'], ev('a'), 0)).toThrow(/k must be/)
  })

  it('average per question and report every k', () => {
    const list = [
      { ranked: ['a'], evidence: ev('a') },
      { ranked: ['x', 'y', 'z', 'w', 'v', 'b'], evidence: ev('b') },
    ]
    const r = report(list)
    expect(r.k1).toEqual({ hit: 0.5, recall: 0.5, ndcg: 0.5, mrr: 0.5 })
    expect(r.k5.hit).toBe(0.5)
    expect(r.k10.hit).toBe(1)
    expect(r.k10.mrr).toBeCloseTo((1 + 1 / 6) / 2, 4)
    expect(aggregate([])).toEqual({ hit: 0, recall: 0, ndcg: 0, mrr: 0 })
  })
})

describe('LoCoMo loading', () => {
  it('parse session dates as UTC', () => {
    expect(parseLocomoDate('1:56 pm on 8 May, 2023')).toBe(Date.UTC(2023, 4, 8, 13, 56))
    expect(parseLocomoDate('12:09 am on 13 September, 2023')).toBe(Date.UTC(2023, 8, 13, 0, 9))
    expect(() => parseLocomoDate('yesterday')).toThrow(/Unrecognized/)
  })

  it('repair malformed evidence ids', () => {
    expect(cleanEvidence('D8:6; D9:17')).toEqual(['D8:6', 'D9:17'])
    expect(cleanEvidence('D:11:26')).toEqual(['D11:26'])
    expect(cleanEvidence('D30:05')).toEqual(['D30:5'])
    expect(cleanEvidence('D9:1 D4:4')).toEqual(['D9:1', 'D4:4'])
    expect(cleanEvidence('D')).toEqual([])
  })

  it('build turns, keep categories 1-4 with valid evidence and count the rest', () => {
    const [conv] = loadLocomo(fixture)
    expect(conv!.turns.map((t) => t.id)).toEqual(['D1:1', 'D1:2', 'D1:3', 'D2:1', 'D2:2'])
    expect(conv!.turns[1]!.content).toBe('Bo: Lovely! What breed? [shares a photo of a small dog]')
    expect(conv!.turns[3]!.createdAt).toBe(Date.UTC(2023, 5, 12, 10, 5))
    expect(conv!.turns[4]!.createdAt).toBe(Date.UTC(2023, 5, 12, 10, 5, 1))
    expect(conv!.questions.map((q) => [q.category, [...q.evidence]])).toEqual([
      [4, ['D1:1']],
      [1, ['D1:3', 'D2:2']],
      [2, ['D2:1']],
      [3, ['D2:1']],
    ])
    expect(conv!.excluded).toBe(2)
  })
})

describe('peers', () => {
  it('plain BM25 drops stopwords and ranks by term weight with no stemming', () => {
    expect(plainTokens("Ann's puppy, and the Biscuit!")).toEqual(['ann', 's', 'puppy', 'biscuit'])
    const bm = new PlainBm25()
    bm.add('a', 'the puppy sleeps')
    bm.add('b', 'puppies everywhere')
    bm.add('c', 'a violin lesson')
    expect(bm.search('puppy violin', 5).map((h) => h.id)).toEqual(['a', 'c'])
    expect(bm.search('puppies', 5).map((h) => h.id)).toEqual(['b'])
  })

  it('cosine brute force orders by dot product', () => {
    const v = (...x: number[]) => Float32Array.from(x)
    expect(cosineTopK(v(1, 0), ['a', 'b', 'c'], [v(0, 1), v(0.8, 0.6), v(1, 0)], 2)).toEqual(['c', 'b'])
  })
})

describe('svg line chart', () => {
  it('draws one polyline per series with a legend', () => {
    const svg = lineChart({
      title: 'T <1>',
      xLabel: 'k',
      yLabel: 'r',
      xs: [1, 5, 10],
      series: [
        { name: 'a', ys: [0.1, 0.5, 0.9] },
        { name: 'b', ys: [0.2, 0.3, 0.4] },
      ],
      yMin: 0,
      yMax: 1,
    })
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<polyline/g)).toHaveLength(2)
    expect(svg).toContain('T &lt;1&gt;')
    expect(() => lineChart({ title: '', xLabel: '', yLabel: '', xs: [1], series: [{ name: 'a', ys: [] }] })).toThrow()
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
  })
})

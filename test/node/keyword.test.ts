import { describe, expect, it } from 'vitest'
import { KeywordIndex, tokenize } from '../../src/core/keyword.js'
import { expectCode } from '../shared/expect-error.js'

describe('keyword index (BM25)', () => {
  it('tokenizes with lowercase, stopwords removed and Porter stems', () => {
    expect(tokenize('The Meetings were RUNNING late!')).toEqual(['meet', 'run', 'late'])
    expect(tokenize("Caroline's dog")).toEqual(['carolin', 'dog'])
    expect(tokenize('the and of')).toEqual([])
  })

  it('ranks a document with the rarer matching term first', () => {
    const index = new KeywordIndex()
    index.add('a', 'the dog barked at the mailman')
    index.add('b', 'the dog slept')
    index.add('c', 'a cat slept on the sofa')
    const hits = index.search('dog mailman', 10)
    expect(hits.map((h) => h.id)).toEqual(['a', 'b'])
    expect(hits[0]!.normalized).toBeGreaterThan(hits[1]!.normalized)
    expect(hits[0]!.normalized).toBeLessThanOrEqual(1)
  })

  it('matches inflected forms through stemming', () => {
    const index = new KeywordIndex()
    index.add('a', 'She is painting a sunrise')
    index.add('b', 'He went hiking')
    expect(index.search('paintings', 5).map((h) => h.id)).toEqual(['a'])
  })

  it('remove and re-add keep statistics consistent', () => {
    const index = new KeywordIndex()
    index.add('a', 'apple banana')
    index.add('b', 'banana cherry')
    expect(index.remove('a')).toBe(true)
    expect(index.remove('a')).toBe(false)
    expect(index.search('apple', 5)).toEqual([])
    index.add('b', 'apple only now')
    expect(index.search('banana', 5)).toEqual([])
    expect(index.search('apple', 5).map((h) => h.id)).toEqual(['b'])
    expect(index.size).toBe(1)
  })

  it('honours the allow predicate and the limit', () => {
    const index = new KeywordIndex()
    for (let i = 0; i < 10; i++) index.add(`d${i}`, `shared term number ${i}`)
    const hits = index.search('shared', 3, (id) => id !== 'd0')
    expect(hits).toHaveLength(3)
    expect(hits.some((h) => h.id === 'd0')).toBe(false)
  })

  it('serializes and restores to identical results', () => {
    const index = new KeywordIndex()
    index.add('a', 'morning meetings with the team')
    index.add('b', 'evening walks by the river')
    const copy = KeywordIndex.deserialize(index.serialize())
    expect(copy.search('meeting river', 5)).toEqual(index.search('meeting river', 5))
  })

  it('answers exactly what a textbook BM25 over the same documents answers, through random adds, removes and filters', () => {
    // The reference: every document scored from scratch with the same formula, all sorted, then filtered.
    const docs = new Map<string, string[]>()
    const reference = (query: string, limit: number, allow: (id: string) => boolean) => {
      const terms = [...new Set(tokenize(query))]
      const n = docs.size
      const avg = [...docs.values()].reduce((sum, t) => sum + t.length, 0) / n || 1
      let ceiling = 0
      const scores = new Map<string, number>()
      for (const term of terms) {
        const having = [...docs].filter(([, t]) => t.includes(term))
        if (having.length === 0) continue
        const idf = Math.log(1 + (n - having.length + 0.5) / (having.length + 0.5))
        ceiling += idf * 1.9
        for (const [id, t] of having) {
          const tf = t.filter((x) => x === term).length
          scores.set(id, (scores.get(id) ?? 0) + (idf * tf * 1.9) / (tf + 0.9 * (1 - 0.4 + (0.4 * t.length) / avg)))
        }
      }
      return [...scores]
        .filter(([id]) => allow(id))
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, limit)
        .map(([id, score]) => ({ id, score, normalized: Math.min(1, score / ceiling) }))
    }
    let seed = 11
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const words = 'apple river garden music tea coffee morning evening walk paint travel book'.split(' ')
    const sentence = () => Array.from({ length: 1 + Math.floor(random() * 6) }, () => words[Math.floor(random() * words.length)]).join(' ')
    const index = new KeywordIndex()
    for (let step = 0; step < 600; step++) {
      const id = `d${Math.floor(random() * 80)}`
      if (random() < 0.8) {
        const text = sentence()
        index.add(id, text)
        docs.set(id, tokenize(text))
      } else {
        index.remove(id)
        docs.delete(id)
      }
      if (step % 10 === 0) {
        const query = sentence()
        const cut = random()
        const allow = (x: string) => Number(x.slice(1)) / 80 >= cut / 2
        const limit = 1 + Math.floor(random() * 12)
        const got = index.search(query, limit, allow)
        const want = reference(query, limit, allow)
        expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id))
        for (const [i, h] of got.entries()) expect(h.score).toBeCloseTo(want[i]!.score, 12)
      }
    }
    expect(index.size).toBe(docs.size)
  })

  it('reports a corrupt snapshot as CORRUPTED', async () => {
    await expectCode(() => KeywordIndex.deserialize('{nope'), 'CORRUPTED')
    await expectCode(() => KeywordIndex.deserialize('{"v":9}'), 'CORRUPTED')
  })
})

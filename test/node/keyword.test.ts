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

  it('reports a corrupt snapshot as CORRUPTED', async () => {
    await expectCode(() => KeywordIndex.deserialize('{nope'), 'CORRUPTED')
    await expectCode(() => KeywordIndex.deserialize('{"v":9}'), 'CORRUPTED')
  })
})

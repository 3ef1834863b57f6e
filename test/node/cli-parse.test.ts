/** The CLI's pure parts: durations, globs, export-file parsing with line numbers, analysis buckets. */
import { describe, expect, it } from 'vitest'
import { analyze } from '../../src/cli/commands/analyze.js'
import { globToRegExp, parseDuration, parseInstant } from '../../src/cli/parse.js'
import { parseRecordsFile } from '../../src/cli/records-file.js'
import type { MemoryRecord } from '../../src/core/types.js'

describe('parseDuration', () => {
  it('reads s, m, h, d, w and rejects everything else with an example', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(parseDuration('2w')).toBe(14 * 86_400_000)
    expect(() => parseDuration('30')).toThrow(/e\.g\. 30d/)
    expect(() => parseDuration('0d')).toThrow(/longer than zero/)
    expect(() => parseDuration('thirty days')).toThrow(/not a duration/)
  })

  it('parseInstant takes ISO dates, epoch ms and ages', () => {
    expect(parseInstant('2024-05-01T00:00:00Z')).toBe(Date.UTC(2024, 4, 1))
    expect(parseInstant('1700000000000')).toBe(1_700_000_000_000)
    expect(parseInstant('7d', 1_000_000_000_000)).toBe(1_000_000_000_000 - 7 * 86_400_000)
    expect(() => parseInstant('last tuesday')).toThrow(/not a date/)
  })
})

describe('globToRegExp', () => {
  it('matches the whole content, case-insensitively, with * and ?', () => {
    const g = globToRegExp('test*')
    expect(g.test('test note')).toBe(true)
    expect(g.test('Test note')).toBe(true)
    expect(g.test('a test note')).toBe(false)
    expect(globToRegExp('*budget*').test('Meeting about the\nbudget today')).toBe(true)
    expect(globToRegExp('v?.0').test('v1.0')).toBe(true)
    expect(globToRegExp('v?.0').test('v1x0')).toBe(false)
  })

  it('treats regex characters literally and honours \\ escapes', () => {
    expect(globToRegExp('(a+b)[c]').test('(a+b)[c]')).toBe(true)
    expect(globToRegExp('(a+b)[c]').test('aab')).toBe(false)
    expect(globToRegExp('what\\?').test('what?')).toBe(true)
    expect(globToRegExp('what\\?').test('whats')).toBe(false)
  })
})

describe('parseRecordsFile', () => {
  it('JSON Lines: records carry their file line, blank lines skipped', () => {
    const parsed = parseRecordsFile('{"id":"a"}\n\n{"id":"b"}\r\n{"id":"c"}\n', 'f.jsonl')
    expect(parsed.format).toBe('jsonl')
    expect(parsed.lines).toEqual([1, 3, 4])
  })

  it('JSON Lines: a syntax error names the line', () => {
    expect(() => parseRecordsFile('{"id":"a"}\n{"id":\n', 'f.jsonl')).toThrow(/f\.jsonl line 2: not valid JSON/)
  })

  it('JSON array: each element gets the line it starts on, strings with brackets included', () => {
    const text = '[\n  {"id":"a","content":"has ] and , inside"},\n  {\n    "id":"b"\n  },\n  {"id":"c"}\n]\n'
    const parsed = parseRecordsFile(text, 'f.json')
    expect(parsed.format).toBe('json')
    expect(parsed.records).toHaveLength(3)
    expect(parsed.lines).toEqual([2, 3, 6])
  })

  it('JSON array: a syntax error names the line', () => {
    expect(() => parseRecordsFile('[\n {"id":"a"},\n {"id":,}\n]', 'f.json')).toThrow(/f\.json line 3/)
  })
})

describe('analyze', () => {
  const DAY = 86_400_000
  const now = Date.UTC(2026, 0, 10, 12)
  const rec = (id: string, type: MemoryRecord['type'], createdAt: number, lastAccessedAt: number, accessCount: number) =>
    ({ id, content: id, type, createdAt, lastAccessedAt, accessCount }) as MemoryRecord

  it('counts stored and recalled by type inside the frame, in daily buckets', () => {
    const a = analyze(
      [
        rec('p', 'preference', now - 1 * DAY, now - 1000, 3),
        rec('s', 'semantic', now - 3 * DAY, now - 3 * DAY, 0),
        rec('old', 'semantic', now - 30 * DAY, now - 2 * DAY, 1),
        rec('stale', 'episodic', now - 30 * DAY, now - 20 * DAY, 5),
      ],
      'ns',
      7 * DAY,
      now,
    )
    expect(a.stored.total).toBe(2)
    expect(a.stored.byType).toMatchObject({ preference: 1, semantic: 1, episodic: 0 })
    expect(a.recalled.memories).toBe(2)
    expect(a.recalled.byType).toMatchObject({ preference: 1, semantic: 1, episodic: 0 })
    expect(a.buckets).toHaveLength(7)
    expect(a.buckets.reduce((s, b) => s + b.stored, 0)).toBe(2)
    expect(a.buckets.at(-1)!.recalled).toBe(1)
    expect(a.topRecalled.map((r) => r.id)).toEqual(['p', 'old'])
  })

  it('uses hourly buckets for a day and weekly ones beyond a month', () => {
    expect(analyze([], 'ns', DAY, now).buckets).toHaveLength(24)
    expect(analyze([], 'ns', 90 * DAY, now).buckets).toHaveLength(13)
  })
})

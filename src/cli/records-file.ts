/**
 * Reading export files (JSON Lines or one JSON array) into records while remembering the line each
 * record starts on, so every error can name the line a person has to fix.
 */
import { memoryError } from '../core/errors.js'

export interface ParsedRecords {
  format: 'jsonl' | 'json'
  records: unknown[]
  /** 1-based line of each record in the file. */
  lines: number[]
}

function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++
  return line
}

/** Start offsets of the top-level elements of a JSON array text (strings and nesting respected). */
function elementOffsets(text: string): number[] {
  const offsets: number[] = []
  let depth = 0
  let inString = false
  let expectElement = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (/\s/.test(c)) continue
    if (depth === 1 && expectElement && c !== ']') {
      offsets.push(i)
      expectElement = false
    }
    if (c === '"') inString = true
    else if (c === '[' || c === '{') {
      depth++
      if (depth === 1) expectElement = true
    } else if (c === ']' || c === '}') depth--
    else if (c === ',' && depth === 1) expectElement = true
  }
  return offsets
}

/**
 * The line of a JSON syntax error: from V8's "at position N" when it says so, else the start line of
 * the first array element that does not parse on its own.
 */
function syntaxErrorLine(body: string, reason: string): number | undefined {
  const at = /position (\d+)/.exec(reason)
  if (at) return lineAt(body, Number(at[1]))
  const offsets = elementOffsets(body)
  const close = body.lastIndexOf(']')
  for (let i = 0; i < offsets.length; i++) {
    const end = offsets[i + 1] ?? (close > offsets[i]! ? close : body.length)
    const chunk = body.slice(offsets[i], end).trim().replace(/,$/, '')
    try {
      JSON.parse(chunk)
    } catch {
      return lineAt(body, offsets[i]!)
    }
  }
  return undefined
}

/** Parse a whole export file; a syntax error names the file and line and nothing is returned. */
export function parseRecordsFile(text: string, name: string): ParsedRecords {
  const body = text.replace(/^\uFEFF/, '')
  if (body.trimStart().startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch (e) {
      const reason = (e as Error).message
      const line = syntaxErrorLine(body, reason)
      throw memoryError(
        'VALIDATION',
        `${line ? `${name} line ${line}` : name}: the file is not valid JSON (${reason}); nothing was imported`,
        {
          details: line ? { line } : {},
        },
      )
    }
    if (!Array.isArray(parsed))
      throw memoryError('VALIDATION', `${name}: expected a JSON array of records or JSON Lines; nothing was imported`)
    const offsets = elementOffsets(body)
    return { format: 'json', records: parsed, lines: parsed.map((_, i) => lineAt(body, offsets[i] ?? 0)) }
  }
  const records: unknown[] = []
  const lines: number[] = []
  body.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (line.trim() === '') return
    try {
      records.push(JSON.parse(line))
    } catch (e) {
      throw memoryError('VALIDATION', `${name} line ${i + 1}: not valid JSON (${(e as Error).message}); nothing was imported`, {
        details: { line: i + 1 },
      })
    }
    lines.push(i + 1)
  })
  return { format: 'jsonl', records, lines }
}

/**
 * Turning command-line text into typed values. Every parser throws a CLI usage error (exit 2) that
 * names the option and shows a valid example, so a typo never reaches the memory.
 */
import { InvalidArgumentError } from 'commander'
import { MEMORY_TIERS, MEMORY_TYPES, type MemoryTier, type MemoryType } from '../core/types.js'

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `30d`, `12h`, `90m`, `45s`, `2w` (also `1.5h`) → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim())
  if (!match) throw new InvalidArgumentError(`'${text}' is not a duration; use a number and a unit s, m, h, d or w (e.g. 30d, 12h).`)
  const ms = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!
  if (!(ms > 0)) throw new InvalidArgumentError(`'${text}' must be longer than zero.`)
  return ms
}

/** A JSON object option such as `--filter '{"category":"work"}'`. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new InvalidArgumentError(`not valid JSON (${(e as Error).message}); quote it for the shell, e.g. '{"category":"work"}'.`)
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"category":"work"}\'.')
  return value as Record<string, unknown>
}

/** A number in 0..1 (importance, similarity, relevance). */
export function parseUnit(text: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`'${text}' must be a number from 0 to 1.`)
  return n
}

/** A whole number from `min` to `max`. */
export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
      throw new InvalidArgumentError(`'${text}' must be a whole number from ${min} to ${max}.`)
    }
    return Number(text)
  }
}

function oneOfList<T extends string>(allowed: readonly T[], what: string): (text: string, previous?: T[]) => T[] {
  return (text, previous = []) => {
    const out = [...previous]
    for (const part of text.split(',')) {
      const value = part.trim()
      if (!(allowed as readonly string[]).includes(value))
        throw new InvalidArgumentError(`'${value}' is not a ${what}; use one of ${allowed.join(', ')}.`)
      out.push(value as T)
    }
    return out
  }
}

/** `--type preference,semantic` or `--type preference --type semantic`. */
export const parseTypes = oneOfList<MemoryType>(MEMORY_TYPES, 'memory type')
export const parseTiers = oneOfList<MemoryTier>(MEMORY_TIERS, 'tier')

export function parseType(text: string): MemoryType {
  return parseTypes(text)[0]!
}

export function parseTier(text: string): MemoryTier {
  const tiers = parseTiers(text)
  if (tiers.length !== 1) throw new InvalidArgumentError('give exactly one tier.')
  return tiers[0]!
}

/** An ISO date, `2024-05-01`, epoch ms, or a duration ago (`7d` = seven days ago). */
export function parseInstant(text: string, now = Date.now()): number {
  const trimmed = text.trim()
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed)
  if (/^\d+(?:\.\d+)?\s*[smhdw]$/i.test(trimmed)) return now - parseDuration(trimmed)
  const ms = Date.parse(trimmed)
  if (Number.isNaN(ms))
    throw new InvalidArgumentError(`'${text}' is not a date; use an ISO date (2024-05-01), epoch ms, or an age like 7d.`)
  return ms
}

/** Comma-separated words (`--entities alice,bob`). */
export function parseWords(text: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ]
}

/**
 * A shell-style glob on the whole content, case-insensitive: `*` is any run of characters, `?` one
 * character, `\` escapes the next one. `test*` matches every memory whose content starts with "test".
 */
export function globToRegExp(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '\\' && i + 1 < glob.length) source += escapeRegExp(glob[++i]!)
    else if (c === '*') source += '.*'
    else if (c === '?') source += '.'
    else source += escapeRegExp(c)
  }
  return new RegExp(`^${source}$`, 'is')
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}

/** `12.5 KB` style sizes for people. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

/** `3d 4h` style durations for people. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', UNITS.d!],
    ['h', UNITS.h!],
    ['m', UNITS.m!],
  ] as const) {
    if (ms >= size) return `${+(ms / size).toFixed(1)}${unit}`
  }
  return `${Math.round(ms / 1000)}s`
}

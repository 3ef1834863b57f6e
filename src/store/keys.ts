/** Key, value and op rules, and paging, shared by every driver. */
import { memoryError } from '../core/errors.js'
import type { DriverOp, ListResult } from './driver.js'

const KEY_PATTERN = /^[\x21-\x7e]{1,512}$/

/** Keys are 1..512 printable ASCII characters without spaces. */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw memoryError('VALIDATION', `Invalid storage key ${describe(key)}: use 1-512 printable ASCII characters`)
  }
}

/** Values are Uint8Arrays (a Buffer is one too). */
export function checkValue(value: unknown, key?: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw memoryError('VALIDATION', `Invalid value${key === undefined ? '' : ` for key ${JSON.stringify(key)}`}: expected a Uint8Array`)
  }
}

/** A TTL is absent or a finite number of seconds above zero. */
export function checkTtl(ttlSeconds: unknown): asserts ttlSeconds is number | undefined {
  if (ttlSeconds !== undefined && (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0)) {
    throw memoryError('VALIDATION', `Invalid ttlSeconds ${describe(ttlSeconds)}: use a finite number of seconds above 0`)
  }
}

/** Check every entry of a `setMany` before anything is written. */
export function checkEntries(entries: unknown): asserts entries is { key: string; value: Uint8Array; ttlSeconds?: number }[] {
  if (!Array.isArray(entries)) throw memoryError('VALIDATION', 'setMany expects an array of { key, value } entries')
  for (const entry of entries) {
    if (!entry || typeof entry !== 'object') throw memoryError('VALIDATION', `Invalid setMany entry ${describe(entry)}`)
    const { key, value, ttlSeconds } = entry as { key?: unknown; value?: unknown; ttlSeconds?: unknown }
    checkKey(key)
    checkValue(value, key)
    checkTtl(ttlSeconds)
  }
}

/** Check every op of a transaction before anything is applied. */
export function checkOps(ops: unknown): asserts ops is DriverOp[] {
  if (!Array.isArray(ops)) throw memoryError('VALIDATION', 'transaction expects an array of ops')
  for (const op of ops) {
    const type = op && typeof op === 'object' ? (op as { type?: unknown }).type : undefined
    if (type === 'delete') checkKey((op as { key?: unknown }).key)
    else if (type === 'set') checkEntries([op])
    else throw memoryError('VALIDATION', `Invalid transaction op ${describe(op)}: expected type 'set' or 'delete'`)
  }
}

/** A list prefix is any string (empty lists everything); a limit is a whole number of at least 1. */
export function checkList(prefix: unknown, options: { cursor?: unknown; limit?: unknown } = {}): void {
  if (typeof prefix !== 'string') throw memoryError('VALIDATION', `Invalid list prefix ${describe(prefix)}: expected a string`)
  const { cursor, limit } = options
  if (cursor !== undefined && typeof cursor !== 'string') throw memoryError('VALIDATION', `Invalid list cursor ${describe(cursor)}`)
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) {
    throw memoryError('VALIDATION', `Invalid list limit ${describe(limit)}: use a whole number of at least 1`)
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)
  if (typeof value === 'number') return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** One page of sorted keys; the cursor is the last key returned. */
export function pageOfKeys(sortedKeys: string[], { cursor, limit }: { cursor?: string; limit?: number }): ListResult {
  const start = cursor === undefined ? 0 : upperBound(sortedKeys, cursor)
  const max = limit ?? Number.POSITIVE_INFINITY
  const keys = sortedKeys.slice(start, start + max)
  const more = start + keys.length < sortedKeys.length
  return more && keys.length > 0 ? { keys, cursor: keys[keys.length - 1]! } : { keys }
}

/** Index of the first key not less than `key` in a sorted array. */
export function lowerBound(sorted: string[], key: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the first key greater than `key` in a sorted array. */
export function upperBound(sorted: string[], key: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! <= key) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Key rules and paging shared by every driver. */
import { memoryError } from '../core/errors.js'
import type { ListResult } from './driver.js'

const KEY_PATTERN = /^[\x21-\x7e]{1,512}$/

/** Keys are 1..512 printable ASCII characters without spaces. */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw memoryError('VALIDATION', `Invalid storage key ${JSON.stringify(key)}: use 1-512 printable ASCII characters`)
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

function upperBound(sorted: string[], key: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! <= key) lo = mid + 1
    else hi = mid
  }
  return lo
}

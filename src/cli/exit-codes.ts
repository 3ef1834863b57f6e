/**
 * Exit codes of the `engram` command (documented in docs/cli.md). Scripts can rely on them:
 * 0 success, 1 the operation failed, 2 bad usage or invalid input, 3 not found, 4 not available here,
 * 5 not authorized (remote), 6 the store is busy or the operation conflicts.
 */
import { isMemoryError, type MemoryErrorCode } from '../core/errors.js'

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  UNAVAILABLE: 4,
  UNAUTHORIZED: 5,
  CONFLICT: 6,
} as const

const BY_CODE: Partial<Record<MemoryErrorCode, number>> = {
  VALIDATION: EXIT.USAGE,
  TOO_LARGE: EXIT.USAGE,
  NOT_FOUND: EXIT.NOT_FOUND,
  UNSUPPORTED: EXIT.UNAVAILABLE,
  UNAUTHORIZED: EXIT.UNAUTHORIZED,
  FORBIDDEN: EXIT.UNAUTHORIZED,
  CONFLICT: EXIT.CONFLICT,
  RATE_LIMITED: EXIT.CONFLICT,
}

/** The exit code for a thrown value. */
export function exitCodeOf(e: unknown): number {
  return isMemoryError(e) ? (BY_CODE[e.code] ?? EXIT.FAILURE) : EXIT.FAILURE
}

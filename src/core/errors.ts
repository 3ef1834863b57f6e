/**
 * One error class for the whole library, with a `code` from one table.
 *
 * Check errors with {@link isMemoryError}, never `instanceof`: an error that crossed a worker
 * boundary (Comlink, postMessage) is a plain Error with our fields copied onto it.
 */

/** Every error code engram can raise, with the sentence that explains it. */
export const ERROR_CODES = {
  VALIDATION: 'The input is not valid',
  NOT_FOUND: 'No such memory',
  STORAGE: 'The storage backend failed',
  QUOTA_EXCEEDED: 'The storage quota is exhausted',
  EMBEDDING: 'The embedder failed',
  VECTOR_INDEX: 'The vector index failed',
  CORRUPTED: 'Stored data is corrupted',
  CONFLICT: 'The operation conflicts with the current state',
  CLOSED: 'The memory is closed',
  UNAUTHORIZED: 'Not authorized',
  FORBIDDEN: 'Forbidden',
  RATE_LIMITED: 'Too many requests',
  TOO_LARGE: 'The input is too large',
  ABORTED: 'The operation was aborted',
  UNSUPPORTED: 'Not supported in this runtime',
  INTERNAL: 'Internal error',
} as const

export type MemoryErrorCode = keyof typeof ERROR_CODES

export interface MemoryErrorOptions {
  cause?: unknown
  /** Structured detail for programs (the offending field, a limit, a line number...). */
  details?: Record<string, unknown>
}

export class MemoryError extends Error {
  override readonly name = 'MemoryError'
  readonly code: MemoryErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: MemoryErrorCode, message?: string, options: MemoryErrorOptions = {}) {
    super(message ? `${message}` : ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details
  }

  /** A plain, structured-clone-safe copy (for workers, HTTP bodies and logs). */
  toJSON(): SerializedMemoryError {
    const out: SerializedMemoryError = { name: this.name, code: this.code, message: this.message }
    if (this.details) out.details = this.details
    if (this.cause !== undefined) out.cause = serializeCause(this.cause)
    return out
  }
}

export interface SerializedMemoryError {
  name: 'MemoryError'
  code: MemoryErrorCode
  message: string
  details?: Record<string, unknown>
  cause?: unknown
}

function serializeCause(cause: unknown): unknown {
  if (cause instanceof MemoryError) return cause.toJSON()
  if (cause instanceof Error) return { name: cause.name, message: cause.message }
  try {
    return JSON.parse(JSON.stringify(cause)) as unknown
  } catch {
    return String(cause)
  }
}

/** Rebuild a MemoryError from {@link MemoryError.toJSON} output (the other side of a worker or HTTP). */
export function deserializeMemoryError(data: SerializedMemoryError): MemoryError {
  const cause =
    data.cause && typeof data.cause === 'object' && (data.cause as { name?: unknown }).name === 'MemoryError'
      ? deserializeMemoryError(data.cause as SerializedMemoryError)
      : data.cause
  const options: MemoryErrorOptions = {}
  if (cause !== undefined) options.cause = cause
  if (data.details) options.details = data.details
  return new MemoryError(data.code in ERROR_CODES ? data.code : 'INTERNAL', data.message, options)
}

/**
 * True when `e` is an engram error (optionally with this code), also after a worker boundary.
 * @example
 * try { await mem.get(id) } catch (e) { if (isMemoryError(e, 'NOT_FOUND')) ... }
 */
export function isMemoryError(e: unknown, code?: MemoryErrorCode): e is MemoryError {
  if (!e || typeof e !== 'object') return false
  const err = e as { name?: unknown; code?: unknown }
  if (err.name !== 'MemoryError' || typeof err.code !== 'string' || !(err.code in ERROR_CODES)) return false
  return code === undefined || err.code === code
}

/** Shorthand used across the library: `throw memoryError('VALIDATION', 'k must be ...')`. */
export function memoryError(code: MemoryErrorCode, message?: string, options?: MemoryErrorOptions): MemoryError {
  return new MemoryError(code, message, options)
}

/** Wrap an unknown failure from a backend as a MemoryError of `code`, keeping MemoryErrors as they are. */
export function asMemoryError(e: unknown, code: MemoryErrorCode, message: string): MemoryError {
  if (isMemoryError(e)) return e
  if (isQuotaError(e)) return new MemoryError('QUOTA_EXCEEDED', `${message}: storage quota exceeded`, { cause: e })
  const reason = e instanceof Error ? e.message : String(e)
  return new MemoryError(code, `${message}: ${reason}`, { cause: e })
}

function isQuotaError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false
  const { name, code } = e as { name?: unknown; code?: unknown }
  return name === 'QuotaExceededError' || code === 'ENOSPC' || code === 'EDQUOT'
}

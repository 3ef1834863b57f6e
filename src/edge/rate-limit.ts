/**
 * Per-namespace token bucket. On the edge it runs inside the namespace's Durable Object, which is the
 * one place every request for that namespace passes through, so the limit is exact rather than
 * per-isolate. In Node (`engram serve`) one process sees every request.
 */
import { memoryError } from '../core/errors.js'

export interface RateLimiterOptions {
  /** Sustained requests per minute per namespace. */
  perMinute: number
  /** Requests allowed in a burst above the sustained rate. @default perMinute / 6 (10 s worth), at least 1 */
  burst?: number
  /** Clock, for tests. @default Date.now */
  now?: () => number
}

export interface RateLimiter {
  /** Take one request from the namespace's bucket: `ok`, or how long to wait before retrying. */
  take(namespace: string): { ok: true } | { ok: false; retryAfterMs: number }
}

/**
 * @example
 * const limiter = createRateLimiter({ perMinute: 600 })
 * const verdict = limiter.take('user-42')
 */
export function createRateLimiter({ perMinute, burst, now = Date.now }: RateLimiterOptions): RateLimiter {
  if (typeof perMinute !== 'number' || !Number.isFinite(perMinute) || perMinute <= 0) {
    throw memoryError('VALIDATION', 'perMinute must be a finite number above 0')
  }
  const capacity = Math.max(1, burst ?? Math.ceil(perMinute / 6))
  const perMs = perMinute / 60_000
  const buckets = new Map<string, { tokens: number; at: number }>()

  return {
    take(namespace) {
      const t = now()
      const bucket = buckets.get(namespace) ?? { tokens: capacity, at: t }
      bucket.tokens = Math.min(capacity, bucket.tokens + (t - bucket.at) * perMs)
      bucket.at = t
      // Map order is insertion order: re-inserting keeps the least recently used first, for pruning.
      buckets.delete(namespace)
      buckets.set(namespace, bucket)
      if (buckets.size > 10_000) buckets.delete(buckets.keys().next().value as string)
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return { ok: true }
      }
      return { ok: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / perMs) }
    },
  }
}

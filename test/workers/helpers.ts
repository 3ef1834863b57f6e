// Calling the deployed shape of the API: the Worker (SELF) in front of one Durable Object per namespace.
import { env, runInDurableObject, SELF } from 'cloudflare:test'
import { expect } from 'vitest'
import { signToken, type TokenScope } from '../../src/edge/auth.js'
import type { StoreDriver } from '../../src/store/driver.js'
import type { DurableObjectStorageLike } from '../../src/store/drivers/durable-object.js'

export const ORIGIN = 'http://engram.test'

let namespaces = 0
/** A fresh namespace name per test, so Durable Objects never share state between tests. */
export const freshNamespace = (label: string) => `${label}-${++namespaces}-${Math.random().toString(36).slice(2, 8)}`

export function tokenFor(namespace: string, scopes: TokenScope[] = ['read', 'write'], ttlSeconds = 3600): Promise<string> {
  return signToken(env.ENGRAM_TOKEN_SECRET, { namespace, scopes, ttlSeconds, subject: 'test' })
}

export interface CallOptions {
  token?: string | null
  body?: unknown
  /** Send this exact text as the body. */
  raw?: string
  headers?: Record<string, string>
}

export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.raw !== undefined) body = options.raw
  else if (options.body !== undefined) body = JSON.stringify(options.body)
  if (body !== undefined) headers['content-type'] = 'application/json'
  return SELF.fetch(`${ORIGIN}${path}`, body === undefined ? { method, headers } : { method, headers, body })
}

export async function callJson<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: CallOptions = {},
  status = 200,
): Promise<T> {
  const response = await call(method, path, options)
  const text = await response.text()
  expect(response.status, `${method} ${path} -> ${text.slice(0, 300)}`).toBe(status)
  return JSON.parse(text) as T
}

/** Asserts a JSON error body `{ error: { code, message } }` with this status and code. */
export async function expectError(response: Response, status: number, code: string): Promise<void> {
  const text = await response.text()
  expect(response.status, text.slice(0, 300)).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/application\/json/)
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
  expect(body.error?.code).toBe(code)
  expect(typeof body.error?.message).toBe('string')
}

export interface RecallBody {
  results: { memory: { id: string; content: string; tier: string; type: string }; score: number }[]
}

/**
 * A driver whose every verb runs inside the named Durable Object (storage calls must run there);
 * `make` builds the driver over that object's storage on each call.
 */
export function inDurableObject(name: string, make: (storage: DurableObjectStorageLike) => StoreDriver): StoreDriver {
  const stub = env.MEMORY.get(env.MEMORY.idFromName(name))
  const call =
    <K extends keyof StoreDriver>(verb: K) =>
    (...args: unknown[]) =>
      runInDurableObject(stub, (_instance, state) => {
        const driver = make(state.storage)
        return (driver[verb] as (...a: unknown[]) => Promise<unknown>)(...args)
      })
  return {
    name: 'durable-object',
    get: call('get'),
    getMany: call('getMany'),
    set: call('set'),
    setMany: call('setMany'),
    delete: call('delete'),
    list: call('list'),
    transaction: call('transaction'),
    estimate: call('estimate'),
  } as StoreDriver
}

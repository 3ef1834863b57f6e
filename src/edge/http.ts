/**
 * The REST API over one `Memory` per namespace, runtime-agnostic: a `(Request) => Promise<Response>`
 * built from Web APIs only. The Cloudflare Durable Object serves it for its namespace, and the Node
 * CLI's `serve` mounts the same handler on node:http.
 *
 * Every route but the dashboard page needs `Authorization: Bearer <token>`; the token names the
 * namespace, so a request can only ever reach its own namespace's memory. Errors are JSON:
 * `{ error: { code, message } }` with the status from {@link statusOf}.
 */
import { isMemoryError, type MemoryErrorCode, memoryError } from '../core/errors.js'
import {
  type BatchItem,
  type ForgetQuery,
  type ListOptions,
  MEMORY_TIERS,
  MEMORY_TYPES,
  type Memory,
  type MemoryTier,
  type MemoryType,
  type RecallOptions,
  type StoreOptions,
  type UpdatePatch,
} from '../core/types.js'
import { type Authenticator, hasScope, type TokenClaims, type TokenScope } from './auth.js'
import { dashboardData, type RecallLog, recallLog } from './dashboard/data.js'
import { dashboardPage } from './dashboard/page.js'
import { createRateLimiter, type RateLimiter } from './rate-limit.js'

export interface HttpLimits {
  /** Largest request body in bytes. @default 1 MiB */
  maxBodyBytes: number
  /** Requests per minute per namespace; `false` disables the limit. @default 600 */
  rateLimitPerMinute: number | false
  /** Items in one `POST /memory/store` batch. @default 1000 */
  maxBatchItems: number
}

/** The memory the routes serve. */
export type EdgeMemory = Memory

export interface HttpHandlerOptions {
  /** The memory of a namespace (opened once and kept by the caller). */
  resolveMemory(namespace: string): Promise<EdgeMemory>
  auth: Authenticator
  limits?: Partial<HttpLimits>
  /** @default a token bucket at `limits.rateLimitPerMinute` */
  rateLimiter?: RateLimiter
  /** Path prefix of every route. @default '/memory' */
  basePath?: string
  /** Send `access-control-allow-origin: *` so pages on other origins can call the API. @default true */
  cors?: boolean
  /** Clock, for tests. @default Date.now */
  now?: () => number
  /** Where failures of the server's own parts (5xx) are reported. @default console.error */
  onError?: (error: unknown, request: Request) => void
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxBodyBytes: 1024 * 1024, rateLimitPerMinute: 600, maxBatchItems: 1000 }

const STATUS: Partial<Record<MemoryErrorCode, number>> = {
  VALIDATION: 400,
  ABORTED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNSUPPORTED: 501,
  CLOSED: 503,
  QUOTA_EXCEEDED: 507,
}

/** HTTP status for an error code (500 for failures of the server's own parts). */
export function statusOf(code: MemoryErrorCode): number {
  return STATUS[code] ?? 500
}

type Handler = (ctx: RouteContext) => Promise<Response>
interface RouteContext {
  request: Request
  url: URL
  claims: TokenClaims
  memory: EdgeMemory
  /** The `:id` path segment, checked. */
  id: string
  recalls: RecallLog
}
interface Route {
  method: string
  /** Path after the base path; `:id` matches one segment. */
  path: string
  scope: TokenScope
  handle: Handler
}

const STORE_FIELDS = new Set([
  'content',
  'type',
  'tier',
  'importance',
  'metadata',
  'scope',
  'ttlMs',
  'id',
  'createdAt',
  'pinned',
  'entities',
  'links',
  'sourceIds',
])
const UPDATE_FIELDS = new Set(['content', 'metadata', 'importance', 'type', 'tier', 'scope', 'pinned', 'entities', 'links'])
const FORGET_FIELDS = new Set(['filter', 'tier', 'types', 'olderThan', 'maxImportance', 'maxAccessCount', 'ids'])
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/
const enc = new TextEncoder()

/**
 * Build the handler.
 * @example
 * const handle = createHttpHandler({ auth: tokenAuth({ secret }), resolveMemory: async (ns) => memories.get(ns) })
 * const response = await handle(new Request('http://x/memory/recall?q=meetings', { headers: { authorization: `Bearer ${token}` } }))
 */
export function createHttpHandler(options: HttpHandlerOptions): (request: Request) => Promise<Response> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits }
  const base = (options.basePath ?? '/memory').replace(/\/$/, '')
  const now = options.now ?? Date.now
  const cors = options.cors ?? true
  const limiter =
    options.rateLimiter ??
    (limits.rateLimitPerMinute === false ? undefined : createRateLimiter({ perMinute: limits.rateLimitPerMinute, now }))
  const recallLogs = new Map<string, RecallLog>()
  const recallsOf = (ns: string): RecallLog => {
    let log = recallLogs.get(ns)
    if (!log) recallLogs.set(ns, (log = recallLog()))
    return log
  }
  const routes = buildRoutes(limits, now)

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    if (!url.pathname.startsWith(`${base}/`) && url.pathname !== base) throw memoryError('NOT_FOUND', `No route ${url.pathname}`)
    const path = url.pathname.slice(base.length) || '/'
    if (request.method === 'OPTIONS') return new Response(null, { status: 204 })
    if (request.method === 'GET' && (path === '/dashboard' || path === '/dashboard/')) {
      return new Response(dashboardPage({ basePath: base }), {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      })
    }
    const { route, id } = match(routes, request.method, path)
    const claims = await options.auth.authenticate(request)
    const asked = request.headers.get('x-engram-namespace') ?? url.searchParams.get('namespace')
    if (asked !== null && asked !== claims.namespace) {
      throw memoryError('FORBIDDEN', `This token is for namespace ${JSON.stringify(claims.namespace)}, not ${JSON.stringify(asked)}`)
    }
    if (!hasScope(claims, route.scope)) throw memoryError('FORBIDDEN', `This route needs the '${route.scope}' scope`)
    const verdict = limiter?.take(claims.namespace)
    if (verdict && !verdict.ok) {
      throw memoryError('RATE_LIMITED', `Rate limit of namespace ${claims.namespace} reached`, {
        details: { retryAfterMs: verdict.retryAfterMs },
      })
    }
    const memory = await options.resolveMemory(claims.namespace)
    return route.handle({ request, url, claims, memory, id, recalls: recallsOf(claims.namespace) })
  }

  return async (request) => {
    let response: Response
    try {
      response = await handle(request)
    } catch (e) {
      response = errorResponse(e)
      discardBody(request)
      if (response.status >= 500) (options.onError ?? ((err) => console.error('engram: request failed', err)))(e, request)
    }
    if (cors) {
      response.headers.set('access-control-allow-origin', '*')
      response.headers.set('access-control-allow-headers', 'authorization, content-type, x-engram-namespace')
      response.headers.set('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS')
    }
    return response
  }
}

/** Refused before its body was read: cancel it, so the runtime does not keep reading an abandoned stream. */
export function discardBody(request: Request): void {
  if (request.body && !request.bodyUsed && !request.body.locked) request.body.cancel().catch(() => {})
}

/** A JSON error response for any thrown value (unknown failures are not described to the client). */
export function errorResponse(e: unknown): Response {
  const known = isMemoryError(e)
  const code: MemoryErrorCode = known ? e.code : 'INTERNAL'
  const allow = known && code === 'VALIDATION' && Array.isArray(e.details?.allow) ? (e.details.allow as string[]) : undefined
  const status = allow ? 405 : statusOf(code)
  const message = known && status < 500 ? e.message : known ? `${code}: ${e.message}` : 'Internal error'
  const body: { error: { code: string; message: string; details?: Record<string, unknown> } } = { error: { code, message } }
  if (known && e.details) body.error.details = e.details
  const headers: Record<string, string> = {}
  const retry = known ? e.details?.retryAfterMs : undefined
  if (code === 'RATE_LIMITED' && typeof retry === 'number') headers['retry-after'] = String(Math.ceil(retry / 1000))
  if (allow) headers.allow = allow.join(', ')
  return json(body, status, headers)
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } })
}

function match(routes: Route[], method: string, path: string): { route: Route; id: string } {
  const segments = path.split('/').filter(Boolean)
  const allow: string[] = []
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean)
    if (pattern.length !== segments.length || !pattern.every((p, i) => p === ':id' || p === segments[i])) continue
    if (route.method !== method) {
      allow.push(route.method)
      continue
    }
    const at = pattern.indexOf(':id')
    return { route, id: at === -1 ? '' : checkPathId(segments[at]!) }
  }
  if (allow.length > 0) throw memoryError('VALIDATION', `Method ${method} is not allowed on ${path}`, { details: { allow } })
  throw memoryError('NOT_FOUND', `No route ${method} ${path}`)
}

function checkPathId(raw: string): string {
  let id: string
  try {
    id = decodeURIComponent(raw)
  } catch {
    throw memoryError('VALIDATION', 'Invalid memory id in the path')
  }
  if (!ID_PATTERN.test(id)) throw memoryError('VALIDATION', `Invalid memory id ${JSON.stringify(id.slice(0, 64))}`)
  return id
}

/** Read the body as JSON, refusing more than `maxBytes` without buffering it all first. */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    throw memoryError('TOO_LARGE', `Request body of ${declared} bytes is over the limit of ${maxBytes}`)
  }
  if (!request.body) throw memoryError('VALIDATION', 'Expected a JSON body')
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      throw memoryError('TOO_LARGE', `Request body is over the limit of ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    bytes.set(c, at)
    at += c.byteLength
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw memoryError('VALIDATION', 'The body is not valid UTF-8')
  }
  if (text.trim() === '') throw memoryError('VALIDATION', 'Expected a JSON body')
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw memoryError('VALIDATION', `Malformed JSON body: ${(e as Error).message}`)
  }
}

function object(value: unknown, what: string, allowed: Set<string>): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw memoryError('VALIDATION', `${what} must be a JSON object`)
  for (const key of Object.keys(value)) {
    if (!allowed.has(key))
      throw memoryError('VALIDATION', `Unknown field ${JSON.stringify(key)} in ${what}; allowed: ${[...allowed].join(', ')}`)
  }
  return value as Record<string, unknown>
}

function field(o: Record<string, unknown>, key: string, kind: 'string' | 'number' | 'boolean' | 'object' | 'array', what: string): void {
  const v = o[key]
  if (v === undefined) return
  const ok = kind === 'array' ? Array.isArray(v) : kind === 'object' ? !!v && typeof v === 'object' && !Array.isArray(v) : typeof v === kind
  if (!ok || (kind === 'number' && !Number.isFinite(v)))
    throw memoryError('VALIDATION', `${what}.${key} must be ${kind === 'array' ? 'an array' : `a ${kind}`}`)
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw memoryError('VALIDATION', `${what} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`)
  }
  return value as T
}

function checkMemoryFields(o: Record<string, unknown>, what: string): void {
  for (const k of ['content', 'id']) field(o, k, 'string', what)
  for (const k of ['importance', 'ttlMs', 'createdAt']) field(o, k, 'number', what)
  field(o, 'pinned', 'boolean', what)
  for (const k of ['metadata', 'scope']) field(o, k, 'object', what)
  for (const k of ['entities', 'links', 'sourceIds']) field(o, k, 'array', what)
  if (o.type !== undefined) oneOf(o.type, MEMORY_TYPES, `${what}.type`)
  if (o.tier !== undefined) oneOf(o.tier, MEMORY_TIERS, `${what}.tier`)
}

function storeItem(value: unknown, what: string): BatchItem {
  const o = object(value, what, STORE_FIELDS)
  checkMemoryFields(o, what)
  if (typeof o.content !== 'string' || o.content.trim() === '')
    throw memoryError('VALIDATION', `${what}.content must be a non-empty string`)
  return o as unknown as BatchItem
}

function list<T extends string>(raw: string | null, allowed: readonly T[], what: string): T[] | undefined {
  if (raw === null || raw === '') return undefined
  return raw.split(',').map((s) => oneOf(s.trim(), allowed, what))
}

function integer(raw: string | null, what: string, min: number, max: number): number | undefined {
  if (raw === null || raw === '') return undefined
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw memoryError('VALIDATION', `${what} must be a whole number from ${min} to ${max}`)
  return Number(raw)
}

function jsonParam(raw: string | null, what: string): Record<string, unknown> | undefined {
  if (raw === null || raw === '') return undefined
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch {
    throw memoryError('VALIDATION', `${what} must be JSON`)
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw memoryError('VALIDATION', `${what} must be a JSON object`)
  return v as Record<string, unknown>
}

function listOptions(params: URLSearchParams): ListOptions {
  const out: ListOptions = {}
  const types = list<MemoryType>(params.get('types'), MEMORY_TYPES, 'types')
  const tiers = list<MemoryTier>(params.get('tiers'), MEMORY_TIERS, 'tiers')
  const filter = jsonParam(params.get('filter'), 'filter')
  const limit = integer(params.get('limit'), 'limit', 1, 1000)
  const cursor = params.get('cursor')
  if (types) out.types = types
  if (tiers) out.tiers = tiers
  if (filter) out.filter = filter
  if (limit !== undefined) out.limit = limit
  if (cursor) out.cursor = cursor
  return out
}

function recallOptions(params: URLSearchParams): RecallOptions {
  const out: RecallOptions = {}
  const k = integer(params.get('k'), 'k', 1, 1000)
  const types = list<MemoryType>(params.get('types'), MEMORY_TYPES, 'types')
  const tiers = list<MemoryTier>(params.get('tiers'), MEMORY_TIERS, 'tiers')
  const filter = jsonParam(params.get('filter'), 'filter')
  const scope = jsonParam(params.get('scope'), 'scope')
  const min = params.get('minRelevance')
  const mode = params.get('mode')
  const peek = params.get('peek')
  if (k !== undefined) out.k = k
  if (types) out.types = types
  if (tiers) out.tiers = tiers
  if (filter) out.filter = filter
  if (scope) out.scope = scope
  if (min !== null && min !== '') {
    const v = Number(min)
    if (!Number.isFinite(v) || v < 0 || v > 1) throw memoryError('VALIDATION', 'minRelevance must be a number from 0 to 1')
    out.minRelevance = v
  }
  if (mode !== null && mode !== '') out.mode = oneOf(mode, ['hybrid', 'vector', 'keyword'] as const, 'mode')
  if (peek !== null) out.peek = peek === '' || peek === '1' || peek === 'true'
  return out
}

function buildRoutes(limits: HttpLimits, now: () => number): Route[] {
  const body = (ctx: RouteContext) => readJson(ctx.request, limits.maxBodyBytes)
  const forgetQuery = async (ctx: RouteContext): Promise<Response> => {
    const query = object(await body(ctx), 'forget query', FORGET_FIELDS) as ForgetQuery
    if (Object.keys(query).length === 0)
      throw memoryError('VALIDATION', 'A forget query needs at least one of ' + [...FORGET_FIELDS].join(', '))
    return json({ forgotten: await ctx.memory.forget(query) })
  }
  /** consolidate/summarize, called when the memory has them (older cores answer 501). */
  const optional =
    (verb: 'consolidate' | 'summarize', fields: Set<string>, wrap: (result: unknown) => unknown) => async (ctx: RouteContext) => {
      const raw = ctx.request.headers.get('content-length') === '0' || !ctx.request.body ? {} : await body(ctx)
      const opts = object(raw, `${verb} options`, fields)
      if (opts.types !== undefined) {
        if (!Array.isArray(opts.types)) throw memoryError('VALIDATION', `${verb} options.types must be an array`)
        for (const t of opts.types) oneOf(t, MEMORY_TYPES, `${verb} options.types[]`)
      }
      if (opts.tier !== undefined) oneOf(opts.tier, MEMORY_TIERS, `${verb} options.tier`)
      for (const k of ['windowHours', 'similarity', 'from', 'to', 'maxChars']) field(opts, k, 'number', `${verb} options`)
      field(opts, 'scope', 'object', `${verb} options`)
      field(opts, 'conversationId', 'string', `${verb} options`)
      const fn = (ctx.memory as unknown as Record<string, unknown>)[verb]
      if (typeof fn !== 'function') throw memoryError('UNSUPPORTED', `This memory has no ${verb}()`)
      return json(wrap(await (fn as (o: unknown) => Promise<unknown>).call(ctx.memory, opts)))
    }

  return [
    {
      method: 'POST',
      path: '/store',
      scope: 'write',
      async handle(ctx) {
        const raw = await body(ctx)
        if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'items' in raw) {
          const { items } = object(raw, 'store body', new Set(['items']))
          if (!Array.isArray(items) || items.length === 0) throw memoryError('VALIDATION', 'items must be a non-empty array')
          if (items.length > limits.maxBatchItems) throw memoryError('TOO_LARGE', `At most ${limits.maxBatchItems} items per request`)
          const batch = items.map((item, i) => storeItem(item, `items[${i}]`))
          const results = await ctx.memory.storeBatch(batch)
          return json({ ids: results.map((r) => r.id), results })
        }
        const { content, ...rest } = storeItem(raw, 'store body')
        return json({ id: await ctx.memory.store(content, rest as StoreOptions) })
      },
    },
    {
      method: 'GET',
      path: '/recall',
      scope: 'read',
      async handle(ctx) {
        const q = ctx.url.searchParams.get('q')
        if (q === null || q.trim() === '') throw memoryError('VALIDATION', 'q (the query text) is required')
        const options = recallOptions(ctx.url.searchParams)
        const started = performance.now()
        const results = await ctx.memory.recall(q, options)
        ctx.recalls.add({ at: now(), ms: performance.now() - started, hits: results.length })
        return json({ results })
      },
    },
    {
      method: 'GET',
      path: '/get/:id',
      scope: 'read',
      handle: async (ctx) => json({ memory: await ctx.memory.get(ctx.id) }),
    },
    {
      method: 'GET',
      path: '/history/:id',
      scope: 'read',
      handle: async (ctx) => {
        await ctx.memory.get(ctx.id)
        return json({ history: await ctx.memory.history(ctx.id) })
      },
    },
    {
      method: 'GET',
      path: '/list',
      scope: 'read',
      handle: async (ctx) => json(await ctx.memory.list(listOptions(ctx.url.searchParams))),
    },
    {
      method: 'PATCH',
      path: '/update/:id',
      scope: 'write',
      async handle(ctx) {
        const patch = object(await body(ctx), 'update body', UPDATE_FIELDS)
        checkMemoryFields(patch, 'update body')
        if (Object.keys(patch).length === 0)
          throw memoryError('VALIDATION', 'An update needs at least one of ' + [...UPDATE_FIELDS].join(', '))
        return json({ memory: await ctx.memory.update(ctx.id, patch as UpdatePatch) })
      },
    },
    {
      method: 'DELETE',
      path: '/forget/:id',
      scope: 'write',
      async handle(ctx) {
        // get() first: an unknown id (or another namespace's) is a 404 either way.
        await ctx.memory.get(ctx.id)
        return json({ forgotten: await ctx.memory.forget(ctx.id) })
      },
    },
    { method: 'POST', path: '/forget', scope: 'write', handle: forgetQuery },
    { method: 'DELETE', path: '/forget', scope: 'write', handle: forgetQuery },
    { method: 'GET', path: '/stats', scope: 'read', handle: async (ctx) => json(await ctx.memory.stats()) },
    { method: 'GET', path: '/health', scope: 'read', handle: async (ctx) => json(await ctx.memory.health()) },
    {
      method: 'GET',
      path: '/export',
      scope: 'read',
      async handle(ctx) {
        const includeEmbeddings = ['1', 'true'].includes(ctx.url.searchParams.get('embeddings') ?? '')
        const records = ctx.memory.export({ includeEmbeddings })[Symbol.asyncIterator]()
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = await records.next()
            if (next.done) controller.close()
            else controller.enqueue(enc.encode(`${JSON.stringify(next.value)}\n`))
          },
          async cancel() {
            await records.return?.()
          },
        })
        return new Response(stream, {
          headers: {
            'content-type': 'application/x-ndjson; charset=utf-8',
            'content-disposition': `attachment; filename="${ctx.claims.namespace}.ndjson"`,
          },
        })
      },
    },
    {
      method: 'POST',
      path: '/consolidate',
      scope: 'write',
      handle: optional('consolidate', new Set(['windowHours', 'similarity', 'types', 'scope']), (result) => result),
    },
    {
      method: 'POST',
      path: '/summarize',
      scope: 'write',
      handle: optional('summarize', new Set(['tier', 'types', 'from', 'to', 'conversationId', 'scope', 'maxChars']), (memory) => ({
        memory,
      })),
    },
    {
      method: 'GET',
      path: '/dashboard/data',
      scope: 'read',
      handle: async (ctx) => json(await dashboardData(ctx.memory, ctx.recalls, now())),
    },
    { method: 'GET', path: '/events', scope: 'read', handle: async (ctx) => eventStream(ctx) },
  ]
}

/** Server-sent events: every memory event of the namespace, as `event: <type>` + JSON data. */
function eventStream(ctx: RouteContext): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
  const writer = writable.getWriter()
  let open = true
  const close = () => {
    if (!open) return
    open = false
    off()
    clearInterval(ping)
    writer.close().catch(() => {})
  }
  const send = (text: string) => {
    if (open) writer.write(enc.encode(text)).catch(close)
  }
  const off = ctx.memory.on('*', (event) => send(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`))
  // Proxies drop idle connections; a comment line every 15 s keeps the stream open.
  const ping = setInterval(() => send(': ping\n\n'), 15_000)
  ctx.request.signal?.addEventListener('abort', close)
  send(`retry: 3000\n: connected to ${ctx.claims.namespace}\n\n`)
  return new Response(readable, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
  })
}

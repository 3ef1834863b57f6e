/**
 * The Cloudflare runtime: a Worker that authenticates and routes each request to the Durable Object of
 * its token's namespace, and the Durable Object that holds that namespace's memory (opened lazily,
 * kept for the life of the instance) and serves the REST routes of `http.ts` for it.
 *
 * The Durable Object is the namespace's single writer (the platform runs at most one instance per name),
 * so the memory gets no cross-writer `lock`: its own write queue is enough, and a lock would make it
 * re-read the log before every write. Its storage (through the tiered driver, with
 * large values in R2) is the transactional primary store, and the rate limit runs here because every
 * request of the namespace passes through this one instance.
 */
import { memoryError } from '../core/errors.js'
import { createMemory, MEMORY_FLAT_LIMIT } from '../core/memory.js'
import type { VectorIndexFactory } from '../core/types.js'
import type { KVNamespaceLike } from '../store/drivers/cloudflare-kv.js'
import { cloudflareR2Driver, type R2BucketLike } from '../store/drivers/cloudflare-r2.js'
import { type DurableObjectStorageLike, durableObjectDriver } from '../store/drivers/durable-object.js'
import { edgeTieredDriver } from '../store/drivers/edge-tiered.js'
import { createVectorIndex } from '../vector/create.js'
import { FlatIndex } from '../vector/flat.js'
import { bearerToken, tokenAuth, verifyToken } from './auth.js'
import { dashboardPage } from './dashboard/page.js'
import { embedderFromEnv } from './embedder-from-env.js'
import { createHttpHandler, DEFAULT_HTTP_LIMITS, discardBody, type EdgeMemory, errorResponse, type HttpLimits } from './http.js'
import { securityFromEnv } from './security-from-env.js'

export interface DurableObjectStubLike {
  fetch(request: Request): Promise<Response>
}
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown
  get(id: unknown): DurableObjectStubLike
}
export interface DurableObjectStateLike {
  storage: DurableObjectStorageLike
  id?: { name?: string }
  waitUntil?(work: Promise<unknown>): void
}

/** The bindings and vars of wrangler.toml. */
export interface EdgeEnv {
  MEMORY: DurableObjectNamespaceLike
  KV?: KVNamespaceLike
  BLOBS?: R2BucketLike
  /** HMAC secret for tokens (`wrangler secret put ENGRAM_TOKEN_SECRET`, or .dev.vars locally). */
  ENGRAM_TOKEN_SECRET: string
  EMBEDDER?: string
  RATE_LIMIT_PER_MINUTE?: string
  MAX_BODY_BYTES?: string
  /** Encrypt every namespace at rest with this passphrase (a secret); see security-from-env.ts. */
  ENGRAM_ENCRYPTION_PASSPHRASE?: string
  /** `on` to redact PII before storage and embedding. */
  REDACT?: string
  [key: string]: unknown
}

const BASE = '/memory'

function limitsFromEnv(env: EdgeEnv): HttpLimits {
  const num = (raw: string | undefined, fallback: number) => (raw !== undefined && Number(raw) > 0 ? Number(raw) : fallback)
  const rate = env.RATE_LIMIT_PER_MINUTE
  return {
    ...DEFAULT_HTTP_LIMITS,
    maxBodyBytes: num(env.MAX_BODY_BYTES, DEFAULT_HTTP_LIMITS.maxBodyBytes),
    rateLimitPerMinute: rate === '0' || rate === 'off' ? false : num(rate, DEFAULT_HTTP_LIMITS.rateLimitPerMinute as number),
  }
}

export interface EdgeOptions {
  /**
   * usearch compiled to WebAssembly, as the Worker entry imports it (`import wasm from '.../usearch.wasm'`):
   * workerd forbids compiling wasm from bytes, so the module must come from an import. Without it the
   * memory uses the exact flat index.
   */
  usearchWasm?: WebAssembly.Module
}

/** The vector index of an edge memory: usearch from the imported module, else the exact scan. */
function edgeIndex({ usearchWasm }: EdgeOptions): VectorIndexFactory {
  if (!usearchWasm) return ({ dims, from }) => (from ? FlatIndex.deserialize(from) : new FlatIndex({ dims }))
  return ({ dims, from }) => createVectorIndex({ dims, flatLimit: MEMORY_FLAT_LIMIT, wasm: usearchWasm, ...(from ? { from } : {}) })
}

/**
 * The Durable Object class with options; export the result from the Worker entry under the name
 * wrangler.toml binds (`MemoryObject`).
 * @example
 * import usearchWasm from 'engram/wasm/usearch.wasm'
 * export const MemoryObject = memoryObjectClass({ usearchWasm })
 */
export function memoryObjectClass(options: EdgeOptions): typeof MemoryObject {
  return class extends MemoryObject {
    constructor(state: DurableObjectStateLike, env: EdgeEnv) {
      super(state, env, options)
    }
  }
}

/** The Durable Object class (bound as `MEMORY` in wrangler.toml). */
export class MemoryObject {
  readonly #state: DurableObjectStateLike
  readonly #env: EdgeEnv
  readonly #index: VectorIndexFactory
  #memory: Promise<EdgeMemory> | undefined
  #namespace: string | undefined
  readonly #handle: (request: Request) => Promise<Response>

  constructor(state: DurableObjectStateLike, env: EdgeEnv, options: EdgeOptions = {}) {
    this.#state = state
    this.#env = env
    this.#index = edgeIndex(options)
    this.#handle = createHttpHandler({
      auth: tokenAuth({ secret: env.ENGRAM_TOKEN_SECRET }),
      resolveMemory: (namespace) => this.memory(namespace),
      limits: limitsFromEnv(env),
      basePath: BASE,
    })
  }

  /** This instance's memory, opened on first use; a failed open is retried by the next request. */
  memory(namespace: string): Promise<EdgeMemory> {
    const named = this.#state.id?.name
    if ((named !== undefined && named !== namespace) || (this.#namespace !== undefined && this.#namespace !== namespace)) {
      return Promise.reject(memoryError('FORBIDDEN', 'This Durable Object serves another namespace'))
    }
    this.#namespace = namespace
    if (!this.#memory) {
      const store = edgeTieredDriver({
        primary: durableObjectDriver({ storage: this.#state.storage }),
        ...(this.#env.BLOBS ? { blobs: cloudflareR2Driver({ binding: this.#env.BLOBS }), blobPrefix: `blobs/${namespace}/` } : {}),
      })
      this.#memory = embedderFromEnv(this.#env).then((embedder) =>
        createMemory({ namespace, store, embedder, index: this.#index, ...securityFromEnv(this.#env) }),
      )
      this.#memory.catch(() => {
        this.#memory = undefined
      })
    }
    return this.#memory
  }

  fetch(request: Request): Promise<Response> {
    return this.#handle(request)
  }
}

/**
 * The Worker: serves the dashboard page itself, checks the token, and forwards everything else to the
 * Durable Object named after the token's namespace. Requests without a valid token never wake one.
 */
export const edgeWorker = {
  async fetch(request: Request, env: EdgeEnv): Promise<Response> {
    const url = new URL(request.url)
    try {
      if (url.pathname === '/' || url.pathname === BASE || url.pathname === `${BASE}/`) {
        return Response.redirect(new URL(`${BASE}/dashboard`, url).toString(), 302)
      }
      if (!url.pathname.startsWith(`${BASE}/`)) throw memoryError('NOT_FOUND', `No route ${url.pathname}`)
      if (request.method === 'GET' && url.pathname === `${BASE}/dashboard`) {
        return new Response(dashboardPage({ basePath: BASE }), { headers: { 'content-type': 'text/html; charset=utf-8' } })
      }
      if (request.method === 'OPTIONS') {
        return new Response(null, {
          status: 204,
          headers: {
            'access-control-allow-origin': '*',
            'access-control-allow-headers': 'authorization, content-type, x-engram-namespace',
            'access-control-allow-methods': 'GET, POST, PATCH, DELETE, OPTIONS',
          },
        })
      }
      const token = bearerToken(request)
      if (!token) throw memoryError('UNAUTHORIZED', 'Missing bearer token: send Authorization: Bearer <token>')
      const claims = await verifyToken(env.ENGRAM_TOKEN_SECRET, token)
      return await env.MEMORY.get(env.MEMORY.idFromName(claims.namespace)).fetch(request)
    } catch (e) {
      const response = errorResponse(e)
      discardBody(request)
      if (response.status >= 500) console.error('engram: request failed', e)
      response.headers.set('access-control-allow-origin', '*')
      return response
    }
  },
}

// The few parts of `cloudflare:test` these tests use, typed structurally: the full Workers types
// clash with the DOM lib the rest of the project compiles against.
declare module 'cloudflare:test' {
  import type { KVNamespaceLike } from '../../src/store/drivers/cloudflare-kv.js'
  import type { R2BucketLike } from '../../src/store/drivers/cloudflare-r2.js'
  import type { DurableObjectStorageLike } from '../../src/store/drivers/durable-object.js'

  export interface DurableObjectStubLike {
    fetch(input: string | Request, init?: RequestInit): Promise<Response>
  }
  export interface DurableObjectNamespaceLike {
    idFromName(name: string): unknown
    get(id: unknown): DurableObjectStubLike
  }
  export const env: {
    KV: KVNamespaceLike
    BLOBS: R2BucketLike
    MEMORY: DurableObjectNamespaceLike
    ENGRAM_TOKEN_SECRET: string
  }
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> }
  export function runInDurableObject<R>(
    stub: DurableObjectStubLike,
    callback: (instance: unknown, state: { storage: DurableObjectStorageLike; abort?(reason?: string): void }) => R | Promise<R>,
  ): Promise<R>
  export function abortAllDurableObjects(): Promise<void>
}

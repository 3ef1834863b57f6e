/** What the embedders need to know about the runtime, gathered once. */
export interface EmbedRuntime {
  /** Node.js (or a runtime that presents itself as Node): files, a directory cache, ort's wasm beside the package. */
  readonly isNode: boolean
  /** Shared memory is allowed (COOP/COEP in a browser): the only case where ort may use more than one thread. */
  readonly crossOriginIsolated: boolean
  readonly hardwareConcurrency: number
  /** Cache Storage (`caches.open`) exists: browsers and Cloudflare Workers. */
  readonly hasCacheStorage: boolean
}

const g = globalThis as {
  process?: { versions?: { node?: string } }
  crossOriginIsolated?: boolean
  navigator?: { hardwareConcurrency?: number; userAgent?: string }
  caches?: { open?: unknown }
}

export const embedRuntime: EmbedRuntime = Object.freeze({
  // Cloudflare Workers with nodejs_compat also expose process.versions.node; they call themselves so in the user agent.
  isNode: typeof g.process?.versions?.node === 'string' && g.navigator?.userAgent !== 'Cloudflare-Workers',
  crossOriginIsolated: g.crossOriginIsolated === true,
  hardwareConcurrency: g.navigator?.hardwareConcurrency ?? 1,
  hasCacheStorage: typeof g.caches?.open === 'function',
})

/** Thread count for ort: 1 unless shared memory is allowed, then up to 4. */
export function defaultThreads(runtime: EmbedRuntime = embedRuntime): number {
  return runtime.crossOriginIsolated ? Math.max(1, Math.min(4, runtime.hardwareConcurrency)) : 1
}

/**
 * `engram/cloudflare`: the edge runtime. Re-export `MemoryObject` and `edgeWorker` from your Worker
 * entry (see worker/edge.ts and wrangler.toml), or build your own routing from the parts.
 *
 * @example
 * // worker.ts
 * import { edgeWorker } from 'engram/cloudflare'
 * export { MemoryObject } from 'engram/cloudflare'
 * export default edgeWorker
 */
export type { Authenticator, SignTokenOptions, TokenClaims, TokenScope } from './edge/auth.js'
export { bearerToken, hasScope, signToken, TOKEN_SCOPES, tokenAuth, verifyToken } from './edge/auth.js'
export type { DashboardData, RecallLog, RecallSample } from './edge/dashboard/data.js'
export { dashboardData, recallLog } from './edge/dashboard/data.js'
export { dashboardPage } from './edge/dashboard/page.js'
export { embedderFromEnv } from './edge/embedder-from-env.js'
export type { EdgeMemory, HttpHandlerOptions, HttpLimits } from './edge/http.js'
export { createHttpHandler, DEFAULT_HTTP_LIMITS, errorResponse, readJson, statusOf } from './edge/http.js'
export type { DurableObjectNamespaceLike, DurableObjectStateLike, EdgeEnv, EdgeOptions } from './edge/memory-object.js'
export { edgeWorker, MemoryObject, memoryObjectClass } from './edge/memory-object.js'
export type { RateLimiter, RateLimiterOptions } from './edge/rate-limit.js'
export { createRateLimiter } from './edge/rate-limit.js'
export type { CloudflareKVDriverOptions, KVNamespaceLike } from './store/drivers/cloudflare-kv.js'
export { cloudflareKVDriver } from './store/drivers/cloudflare-kv.js'
export type { CloudflareR2DriverOptions, R2BucketLike } from './store/drivers/cloudflare-r2.js'
export { cloudflareR2Driver, gunzip, gzip } from './store/drivers/cloudflare-r2.js'
export type { DurableObjectDriverOptions, DurableObjectStorageLike } from './store/drivers/durable-object.js'
export { durableObjectDriver } from './store/drivers/durable-object.js'
export type { EdgeTieredDriverOptions } from './store/drivers/edge-tiered.js'
export { edgeTieredDriver } from './store/drivers/edge-tiered.js'

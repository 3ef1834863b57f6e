/** Building and validating records: every public input passes through here before anything is written. */
import { memoryError } from './errors.js'
import {
  type JsonValue,
  type Limits,
  MEMORY_TIERS,
  MEMORY_TYPES,
  type MemoryRecord,
  type MemoryTier,
  type MemoryType,
  type Metadata,
  type Scope,
  type StoreOptions,
  type UpdatePatch,
} from './types.js'

export const DEFAULT_LIMITS: Limits = {
  maxContentLength: 100_000,
  maxMetadataBytes: 64 * 1024,
  maxMetadataDepth: 8,
  maxFilterDepth: 16,
  maxBatchSize: 10_000,
  maxK: 1000,
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/
const SCOPE_KEYS = ['userId', 'agentId', 'sessionId', 'conversationId'] as const

export function checkContent(content: unknown, limits: Limits, field = 'content'): string {
  if (typeof content !== 'string') throw memoryError('VALIDATION', `${field} must be a string, got ${typeName(content)}`)
  if (content.trim().length === 0) throw memoryError('VALIDATION', `${field} must not be empty`)
  if (content.length > limits.maxContentLength) {
    throw memoryError('VALIDATION', `${field} is ${content.length} characters; the limit is ${limits.maxContentLength}`, {
      details: { limit: limits.maxContentLength, length: content.length },
    })
  }
  return content
}

export function checkId(id: unknown): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw memoryError('VALIDATION', `Invalid memory id ${JSON.stringify(id)}: use 1-128 characters of A-Z a-z 0-9 _ . : -`)
  }
  return id
}

export function checkType(type: unknown): MemoryType {
  if (!MEMORY_TYPES.includes(type as MemoryType)) {
    throw memoryError('VALIDATION', `Unknown memory type ${JSON.stringify(type)}; expected one of ${MEMORY_TYPES.join(', ')}`)
  }
  return type as MemoryType
}

export function checkTier(tier: unknown): MemoryTier {
  if (!MEMORY_TIERS.includes(tier as MemoryTier)) {
    throw memoryError('VALIDATION', `Unknown tier ${JSON.stringify(tier)}; expected one of ${MEMORY_TIERS.join(', ')}`)
  }
  return tier as MemoryTier
}

export function checkUnit(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw memoryError('VALIDATION', `${field} must be a finite number between 0 and 1, got ${String(value)}`)
  }
  return value
}

export function checkPositive(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw memoryError('VALIDATION', `${field} must be a positive finite number, got ${String(value)}`)
  }
  return value
}

export function checkTimestamp(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw memoryError('VALIDATION', `${field} must be a timestamp in epoch milliseconds`)
  }
  return value
}

export function checkMetadata(value: unknown, limits: Limits): Metadata {
  if (!isPlainObject(value)) throw memoryError('VALIDATION', `metadata must be a plain object, got ${typeName(value)}`)
  checkJson(value, limits.maxMetadataDepth, 'metadata')
  const bytes = new TextEncoder().encode(JSON.stringify(value)).byteLength
  if (bytes > limits.maxMetadataBytes) {
    throw memoryError('VALIDATION', `metadata is ${bytes} bytes; the limit is ${limits.maxMetadataBytes}`)
  }
  return value as Metadata
}

function checkJson(value: unknown, depth: number, path: string): asserts value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw memoryError('VALIDATION', `${path} holds a non-finite number`)
    return
  }
  if (depth <= 0) throw memoryError('VALIDATION', `${path} is nested too deeply`)
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      checkJson(item, depth - 1, `${path}[${i}]`)
    })
    return
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkJson(item, depth - 1, `${path}.${key}`)
    return
  }
  throw memoryError('VALIDATION', `${path} holds a ${typeName(value)}, which is not JSON`)
}

export function checkScope(value: unknown): Scope {
  if (!isPlainObject(value)) throw memoryError('VALIDATION', `scope must be an object, got ${typeName(value)}`)
  const scope: Scope = {}
  for (const [key, item] of Object.entries(value)) {
    if (!(SCOPE_KEYS as readonly string[]).includes(key)) {
      throw memoryError('VALIDATION', `Unknown scope key '${key}'; expected ${SCOPE_KEYS.join(', ')}`)
    }
    if (item === undefined) continue
    if (typeof item !== 'string' || item.length === 0 || item.length > 256) {
      throw memoryError('VALIDATION', `scope.${key} must be a non-empty string of at most 256 characters`)
    }
    scope[key as (typeof SCOPE_KEYS)[number]] = item
  }
  return scope
}

function checkStringList(value: unknown, field: string, max = 1000): string[] {
  if (!Array.isArray(value) || value.length > max || value.some((v) => typeof v !== 'string' || v.length === 0 || v.length > 512)) {
    throw memoryError('VALIDATION', `${field} must be an array of at most ${max} non-empty strings`)
  }
  return [...new Set(value as string[])]
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** Lowercased, whitespace-folded content: what dedup and the content hash compare. */
export function normalizeContent(content: string): string {
  return content.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim()
}

/** A 64-bit hash (two independent 32-bit FNV-1a variants) as 16 hex characters. Not for security. */
export function contentHash(content: string): string {
  const text = normalizeContent(content)
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ 0x5bd1e995
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    h2 ^= h2 >>> 15
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0')
}

let lastIdTime = 0
let idCounter = 0

/** Time-ordered ids: sorting ids sorts by creation. */
export function newId(now: number): string {
  if (now === lastIdTime) idCounter++
  else {
    lastIdTime = now
    idCounter = 0
  }
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(36).padStart(2, '0')).join('')
  return `m${now.toString(36).padStart(9, '0')}${idCounter.toString(36).padStart(3, '0')}${random}`
}

export interface BuildContext {
  now: number
  limits: Limits
  shortTermTtlMs: number
  embedder: { id: string; dims: number }
}

/** Validate store options and produce the new record (without touching any state). */
export function buildRecord(content: unknown, options: StoreOptions, ctx: BuildContext): MemoryRecord {
  if (!isPlainObject(options)) throw memoryError('VALIDATION', 'store options must be an object')
  const text = checkContent(content, ctx.limits)
  const tier = options.tier === undefined ? 'long-term' : checkTier(options.tier)
  if (tier === 'archived') throw memoryError('VALIDATION', "New memories cannot be stored in the 'archived' tier")
  const createdAt = options.createdAt === undefined ? ctx.now : checkTimestamp(options.createdAt, 'createdAt')
  const ttl = options.ttlMs === undefined ? ctx.shortTermTtlMs : checkPositive(options.ttlMs, 'ttlMs')
  if (options.ttlMs !== undefined && tier !== 'short-term') throw memoryError('VALIDATION', "ttlMs applies only to the 'short-term' tier")
  const record: MemoryRecord = {
    id: options.id === undefined ? newId(ctx.now) : checkId(options.id),
    content: text,
    type: options.type === undefined ? 'episodic' : checkType(options.type),
    tier,
    importance: options.importance === undefined ? 0.5 : checkUnit(options.importance, 'importance'),
    createdAt,
    updatedAt: createdAt,
    lastAccessedAt: createdAt,
    accessCount: 0,
    metadata: options.metadata === undefined ? {} : structuredClone(checkMetadata(options.metadata, ctx.limits)),
    scope: options.scope === undefined ? {} : checkScope(options.scope),
    entities: options.entities === undefined ? [] : checkStringList(options.entities, 'entities'),
    links: options.links === undefined ? [] : checkStringList(options.links, 'links'),
    sourceIds: options.sourceIds === undefined ? [] : checkStringList(options.sourceIds, 'sourceIds', 100_000),
    version: 1,
    contentHash: contentHash(text),
    embeddingModel: ctx.embedder.id,
    dims: ctx.embedder.dims,
  }
  if (tier === 'short-term') {
    record.ttlMs = ttl
    record.expiresAt = ctx.now + ttl
  }
  if (options.pinned !== undefined) {
    if (typeof options.pinned !== 'boolean') throw memoryError('VALIDATION', 'pinned must be a boolean')
    record.pinned = options.pinned
  }
  return record
}

const PATCH_KEYS = new Set(['content', 'metadata', 'importance', 'type', 'tier', 'scope', 'pinned', 'entities', 'links'])

/** Validate an update patch and return the next version of `current` (content re-embedding is the caller's). */
export function applyPatch(current: MemoryRecord, patch: UpdatePatch, ctx: BuildContext): MemoryRecord {
  if (!isPlainObject(patch)) throw memoryError('VALIDATION', 'update patch must be an object')
  const keys = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined)
  const unknown = keys.filter((k) => !PATCH_KEYS.has(k))
  if (unknown.length > 0) throw memoryError('VALIDATION', `Unknown update field(s): ${unknown.join(', ')}`)
  if (keys.length === 0) throw memoryError('VALIDATION', 'update patch is empty')
  const next: MemoryRecord = structuredClone(current)
  if (patch.content !== undefined) {
    next.content = checkContent(patch.content, ctx.limits)
    next.contentHash = contentHash(next.content)
  }
  if (patch.metadata !== undefined) next.metadata = structuredClone(checkMetadata(patch.metadata, ctx.limits))
  if (patch.importance !== undefined) next.importance = checkUnit(patch.importance, 'importance')
  if (patch.type !== undefined) next.type = checkType(patch.type)
  if (patch.scope !== undefined) next.scope = checkScope(patch.scope)
  if (patch.entities !== undefined) next.entities = checkStringList(patch.entities, 'entities')
  if (patch.links !== undefined) next.links = checkStringList(patch.links, 'links')
  if (patch.pinned !== undefined) {
    if (typeof patch.pinned !== 'boolean') throw memoryError('VALIDATION', 'pinned must be a boolean')
    next.pinned = patch.pinned
  }
  if (patch.tier !== undefined) {
    next.tier = checkTier(patch.tier)
    if ((next.tier === 'working') !== (current.tier === 'working')) {
      throw memoryError('VALIDATION', "A memory cannot move in or out of the 'working' tier (working memory is never persisted)")
    }
    if (next.tier === 'short-term' && current.tier !== 'short-term') {
      next.ttlMs = ctx.shortTermTtlMs
      next.expiresAt = ctx.now + ctx.shortTermTtlMs
    } else if (next.tier !== 'short-term') {
      delete next.ttlMs
      delete next.expiresAt
    }
  }
  next.version = current.version + 1
  next.updatedAt = ctx.now
  return next
}

/** Check an imported record fully: it must be what export would have written. */
export function checkImportedRecord(value: unknown, limits: Limits): MemoryRecord {
  if (!isPlainObject(value)) throw memoryError('VALIDATION', 'an imported record must be an object')
  const r = value as Partial<MemoryRecord>
  const record: MemoryRecord = {
    id: checkId(r.id),
    content: checkContent(r.content, limits),
    type: checkType(r.type),
    tier: checkTier(r.tier),
    importance: checkUnit(r.importance, 'importance'),
    createdAt: checkTimestamp(r.createdAt, 'createdAt'),
    updatedAt: checkTimestamp(r.updatedAt, 'updatedAt'),
    lastAccessedAt: checkTimestamp(r.lastAccessedAt ?? r.createdAt, 'lastAccessedAt'),
    accessCount: checkCount(r.accessCount ?? 0, 'accessCount'),
    metadata: checkMetadata(r.metadata ?? {}, limits),
    scope: checkScope(r.scope ?? {}),
    entities: checkStringList(r.entities ?? [], 'entities'),
    links: checkStringList(r.links ?? [], 'links'),
    sourceIds: checkStringList(r.sourceIds ?? [], 'sourceIds', 100_000),
    version: checkCount(r.version ?? 1, 'version'),
    contentHash: contentHash(typeof r.content === 'string' ? r.content : ''),
    embeddingModel: typeof r.embeddingModel === 'string' ? r.embeddingModel : '',
    dims: typeof r.dims === 'number' ? r.dims : 0,
  }
  if (record.tier === 'working') throw memoryError('VALIDATION', 'working-tier memories are never persisted and cannot be imported')
  if (r.expiresAt !== undefined) record.expiresAt = checkTimestamp(r.expiresAt, 'expiresAt')
  if (r.ttlMs !== undefined) record.ttlMs = checkPositive(r.ttlMs, 'ttlMs')
  if (r.pinned !== undefined) record.pinned = r.pinned === true
  if (r.validTo !== undefined) record.validTo = checkTimestamp(r.validTo, 'validTo')
  if (r.supersededBy !== undefined) record.supersededBy = checkId(r.supersededBy)
  if (r.summaryLevel !== undefined) record.summaryLevel = checkCount(r.summaryLevel, 'summaryLevel')
  if (r.creditedAccessCount !== undefined) record.creditedAccessCount = checkCount(r.creditedAccessCount, 'creditedAccessCount')
  return record
}

function checkCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw memoryError('VALIDATION', `${field} must be a non-negative integer`)
  }
  return value
}

/** Throws VALIDATION unless `value` is a plain object (without narrowing the caller's type). */
export function assertObject(value: unknown, what: string): void {
  if (!isPlainObject(value)) throw memoryError('VALIDATION', `${what} must be an object, got ${typeName(value)}`)
}

/**
 * One filter grammar for every backend, compiled once into a predicate over records.
 *
 * - `{ field: value }` is equality; `{ field: { $op: operand, ... } }` applies every operator given.
 * - Operators: $eq $ne $gt $gte $lt $lte $in $nin $exists; logic: $and $or (arrays) and $not (a filter).
 * - Fields: the record fields `id type tier importance createdAt updatedAt lastAccessedAt accessCount
 *   expiresAt validTo pinned content`, `scope.<key>`, `metadata.<path>`, and any other name is a metadata
 *   path (`category` is `metadata.category`; dots walk nested objects).
 * - Timestamps compare as epoch ms; a Date or an ISO string operand is converted.
 * - An unknown operator, a malformed operand or a filter nested deeper than the limit is a VALIDATION error.
 *
 * @example
 * compileFilter({ category: { $in: ['work', 'travel'] }, importance: { $gte: 0.5 }, $not: { type: 'emotional' } })
 */
import { memoryError } from './errors.js'
import { isPlainObject } from './record.js'
import type { Filter, MemoryRecord } from './types.js'

export type RecordPredicate = (record: MemoryRecord) => boolean

const COMPARISON_OPS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists'])
const RECORD_FIELDS = new Set([
  'id',
  'content',
  'type',
  'tier',
  'importance',
  'createdAt',
  'updatedAt',
  'lastAccessedAt',
  'accessCount',
  'expiresAt',
  'validTo',
  'supersededBy',
  'pinned',
  'version',
  'summaryLevel',
])
const TIME_FIELDS = new Set(['createdAt', 'updatedAt', 'lastAccessedAt', 'expiresAt', 'validTo'])
const MAX_IN_LIST = 10_000

const alwaysTrue: RecordPredicate = () => true

/** Compile a filter into a predicate, validating all of it up front. */
export function compileFilter(filter: unknown, maxDepth = 16): RecordPredicate {
  if (filter === undefined || filter === null) return alwaysTrue
  return compileNode(filter, maxDepth, 'filter')
}

function compileNode(node: unknown, depth: number, path: string): RecordPredicate {
  if (depth <= 0) throw memoryError('VALIDATION', `${path} is nested too deeply`)
  if (!isPlainObject(node)) throw memoryError('VALIDATION', `${path} must be an object`)
  const parts: RecordPredicate[] = []
  for (const [key, value] of Object.entries(node)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) throw memoryError('VALIDATION', `${path}.${key} must be a non-empty array`)
      const children = value.map((child, i) => compileNode(child, depth - 1, `${path}.${key}[${i}]`))
      parts.push(key === '$and' ? (r) => children.every((c) => c(r)) : (r) => children.some((c) => c(r)))
    } else if (key === '$not') {
      const child = compileNode(value, depth - 1, `${path}.$not`)
      parts.push((r) => !child(r))
    } else if (key.startsWith('$')) {
      throw memoryError('VALIDATION', `Unknown filter operator '${key}' at ${path}`)
    } else {
      parts.push(compileField(key, value, `${path}.${key}`))
    }
  }
  if (parts.length === 0) return alwaysTrue
  if (parts.length === 1) return parts[0]!
  return (r) => parts.every((p) => p(r))
}

function compileField(field: string, condition: unknown, path: string): RecordPredicate {
  if (field.length === 0 || field.split('.').some((s) => s.length === 0)) throw memoryError('VALIDATION', `Invalid field name at ${path}`)
  const get = accessor(field)
  const isTime = TIME_FIELDS.has(field)
  const operand = (v: unknown, op: string): unknown => (isTime ? toTime(v, `${path}.${op}`) : checkScalar(v, `${path}.${op}`))

  if (!isPlainObject(condition) || !Object.keys(condition).some((k) => k.startsWith('$'))) {
    const expected = isPlainObject(condition) || Array.isArray(condition) ? condition : operand(condition, '$eq')
    return (r) => deepEqual(get(r), expected)
  }
  const checks: RecordPredicate[] = []
  for (const [op, raw] of Object.entries(condition)) {
    if (!COMPARISON_OPS.has(op)) {
      throw memoryError(
        'VALIDATION',
        op.startsWith('$') ? `Unknown filter operator '${op}' at ${path}` : `Mixed operators and fields at ${path}`,
      )
    }
    switch (op) {
      case '$eq': {
        const v = operand(raw, op)
        checks.push((r) => deepEqual(get(r), v))
        break
      }
      case '$ne': {
        const v = operand(raw, op)
        checks.push((r) => !deepEqual(get(r), v))
        break
      }
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const v = operand(raw, op)
        if (typeof v !== 'number' && typeof v !== 'string') throw memoryError('VALIDATION', `${path}.${op} needs a number or a string`)
        checks.push((r) => compare(get(r), v, op))
        break
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(raw) || raw.length > MAX_IN_LIST) {
          throw memoryError('VALIDATION', `${path}.${op} needs an array of at most ${MAX_IN_LIST} values`)
        }
        const values = raw.map((v) => operand(v, op))
        const set = new Set(values)
        const has = (x: unknown) => (Array.isArray(x) ? x.some((item) => set.has(item)) : set.has(x))
        checks.push(op === '$in' ? (r) => has(get(r)) : (r) => !has(get(r)))
        break
      }
      case '$exists': {
        if (typeof raw !== 'boolean') throw memoryError('VALIDATION', `${path}.$exists needs true or false`)
        checks.push((r) => (get(r) !== undefined) === raw)
        break
      }
    }
  }
  return (r) => checks.every((c) => c(r))
}

function accessor(field: string): (r: MemoryRecord) => unknown {
  if (RECORD_FIELDS.has(field)) return (r) => (r as unknown as Record<string, unknown>)[field]
  const segments = field.split('.')
  if (segments[0] === 'scope' && segments.length === 2) {
    const key = segments[1]!
    return (r) => (r.scope as Record<string, unknown>)[key]
  }
  const path = segments[0] === 'metadata' ? segments.slice(1) : segments
  return (r) => {
    let value: unknown = r.metadata
    for (const segment of path) {
      if (!isPlainObject(value)) return undefined
      value = Object.hasOwn(value, segment) ? value[segment] : undefined
    }
    return value
  }
}

function checkScalar(value: unknown, path: string): unknown {
  if (value instanceof Date) return value.getTime()
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number' && Number.isFinite(value)) return value
  throw memoryError('VALIDATION', `${path} needs a string, a finite number, a boolean or null`)
}

function toTime(value: unknown, path: string): number {
  if (value instanceof Date && Number.isFinite(value.getTime())) return value.getTime()
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string') {
    const ms = Date.parse(value)
    if (Number.isFinite(ms)) return ms
  }
  throw memoryError('VALIDATION', `${path} needs a timestamp (epoch ms, a Date or an ISO date string)`)
}

function compare(actual: unknown, expected: number | string, op: string): boolean {
  if (typeof actual !== typeof expected) return false
  const a = actual as number | string
  switch (op) {
    case '$gt':
      return a > expected
    case '$gte':
      return a >= expected
    case '$lt':
      return a < expected
    default:
      return a <= expected
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && !Array.isArray(b)) return a.some((item) => deepEqual(item, b))
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]))
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}

/** Check a filter without compiling it for use (e.g. at an HTTP boundary). */
export function validateFilter(filter: unknown, maxDepth = 16): Filter | undefined {
  if (filter === undefined) return undefined
  compileFilter(filter, maxDepth)
  return filter as Filter
}

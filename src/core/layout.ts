/**
 * How one namespace is laid out in a StoreDriver, and the log entry format.
 *
 *   <ns>/meta/head          { seq, embedder, dims }       written in every transaction
 *   <ns>/rec/<id>           the record (JSON)
 *   <ns>/vec/<id>           its embedding (raw little-endian f32)
 *   <ns>/log/<seq>          one log entry per mutation (the history, the audit trail, the change feed)
 *   <ns>/hist/<id>/<seq>    marker: entry <seq> concerns <id> (history without scanning the log)
 *   <ns>/arc/<id>           an archived memory's vector (int8 + deflate), out of the hot index
 *   <ns>/snap/index         derived index snapshot: covered seq + vector index bytes + keyword index
 *   <ns>/mark/<snapshotId>  user snapshots (rollback points)
 */
import { memoryError } from './errors.js'
import type { LogOp, MemoryRecord } from './types.js'

const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const SEQ_DIGITS = 12

export function checkNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
    throw memoryError('VALIDATION', `Invalid namespace ${JSON.stringify(namespace)}: use 1-64 characters of A-Z a-z 0-9 _ . -`)
  }
  return namespace
}

export const padSeq = (seq: number): string => seq.toString().padStart(SEQ_DIGITS, '0')

export function keysFor(namespace: string) {
  const ns = checkNamespace(namespace)
  return {
    head: `${ns}/meta/head`,
    recPrefix: `${ns}/rec/`,
    rec: (id: string) => `${ns}/rec/${id}`,
    vec: (id: string) => `${ns}/vec/${id}`,
    logPrefix: `${ns}/log/`,
    log: (seq: number) => `${ns}/log/${padSeq(seq)}`,
    histPrefix: (id: string) => `${ns}/hist/${id}/`,
    hist: (id: string, seq: number) => `${ns}/hist/${id}/${padSeq(seq)}`,
    snapshot: `${ns}/snap/index`,
    markPrefix: `${ns}/mark/`,
    mark: (id: string) => `${ns}/mark/${id}`,
  }
}

export type Keys = ReturnType<typeof keysFor>

export interface Head {
  seq: number
  embedder: string
  dims: number
  /** Hash of the last log entry (audit chain). */
  hash?: string
}

/** What a `touch` records for an accessed memory (no content change, no history entry). */
export interface Touch {
  id: string
  accessCount: number
  lastAccessedAt: number
  expiresAt?: number
}

export interface LogEntry {
  seq: number
  op: LogOp
  at: number
  /** The memory concerned (absent for 'access', which lists its touches). */
  id?: string
  /** The record after the operation; absent when the memory was removed. */
  record?: MemoryRecord
  removed?: boolean
  touches?: Touch[]
  actor?: string
  detail?: Record<string, unknown>
  /** Audit chain (src/security/audit.ts): random salt, so a purged entry's digest cannot confirm a guess. */
  nonce?: string
  /** Audit chain: hash of the previous entry and of this one. */
  prevHash?: string
  hash?: string
  /** forgetSubject replaced this entry's content; `digest` keeps the chain verifiable. */
  tombstone?: boolean
  digest?: string
}

export function seqOfLogKey(key: string): number {
  return Number(key.slice(key.lastIndexOf('/') + 1))
}

export function vectorToBytes(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength))
}

export function bytesToVector(bytes: Uint8Array, dims: number): Float32Array {
  if (bytes.byteLength !== dims * 4) {
    throw memoryError('CORRUPTED', `A stored vector has ${bytes.byteLength} bytes, expected ${dims * 4}`)
  }
  const out = new Float32Array(dims)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

/**
 * What the memory does with a blob that fails its checksum or its authentication tag (CORRUPTED):
 * - a record is restored from the newest log entry that holds it (the log is written in the same
 *   transaction as the record, so it holds the last committed state), and written back; when no
 *   entry holds it, opening fails with CORRUPTED naming the key: nothing is silently dropped;
 * - a vector is derived state: it is reported and treated as missing, so the memory re-embeds it;
 * - an index snapshot is already rebuilt from the records by the memory; log entries are reported
 *   by `history()` and `verifyAudit()` as they are read.
 * A blob this key cannot read (UNAUTHORIZED) is never "repaired": that is a key problem, not rot.
 */
import { isMemoryError, memoryError } from '../core/errors.js'
import { bytesToVector, type Keys, type LogEntry, seqOfLogKey } from '../core/layout.js'
import type { Logger, MemoryRecord } from '../core/types.js'
import { type BlobCodec, jsonBytes, parseJsonBytes } from '../store/codec.js'
import type { StoreDriver } from '../store/driver.js'
import { listAll } from './host.js'

export interface IntegrityContext {
  store: StoreDriver
  codec: BlobCodec
  keys: Keys
  logger: Logger
}

/** Restore the record stored under `key` whose blob failed with `error`; rethrows when it cannot. */
export async function recoverRecord(ctx: IntegrityContext, key: string, error: unknown): Promise<MemoryRecord> {
  if (!isMemoryError(error, 'CORRUPTED')) throw error
  const id = key.slice(ctx.keys.recPrefix.length)
  const seqs = (await listAll(ctx.store, ctx.keys.histPrefix(id))).map(seqOfLogKey).sort((a, b) => b - a)
  for (const seq of seqs) {
    const bytes = await ctx.store.get(ctx.keys.log(seq))
    if (!bytes) continue
    let entry: LogEntry
    try {
      entry = parseJsonBytes<LogEntry>(await ctx.codec.decode(bytes))
    } catch {
      continue
    }
    if (entry.tombstone || entry.removed || !entry.record || entry.record.id !== id) break
    await ctx.store.set(key, await ctx.codec.encode(jsonBytes(entry.record)))
    ctx.logger.warn('restored a corrupted record from the log', { key, seq })
    return entry.record
  }
  throw memoryError('CORRUPTED', `The record at '${key}' is corrupted and the log holds no copy of it`, {
    cause: error,
    details: { key },
  })
}

/** The vector in `bytes`, or undefined (reported) when the blob is corrupted: the caller re-embeds. */
export async function readVectorOrMissing(
  ctx: IntegrityContext,
  key: string,
  bytes: Uint8Array,
  dims: number,
): Promise<Float32Array | undefined> {
  try {
    return bytesToVector(await ctx.codec.decode(bytes), dims)
  } catch (e) {
    if (!isMemoryError(e, 'CORRUPTED')) throw e
    ctx.logger.warn('a stored vector is corrupted; re-embedding it', { key, error: String(e) })
    return undefined
  }
}

/**
 * What the memory does with a blob that fails its checksum or its authentication tag (CORRUPTED):
 * - a record, the head or a user snapshot: the call that reads it (open, snapshots) rejects with
 *   CORRUPTED; nothing is silently dropped or guessed;
 * - a vector is derived state: it is reported and treated as missing, so the memory re-embeds it;
 * - an index snapshot is already rebuilt from the records by the memory; log entries are reported
 *   by `history()` and `verifyAudit()` as they are read.
 * A blob this key cannot read (UNAUTHORIZED) is never "repaired": that is a key problem, not rot.
 */
import { isMemoryError } from '../core/errors.js'
import { bytesToVector, type Keys } from '../core/layout.js'
import type { Logger } from '../core/types.js'
import type { BlobCodec } from '../store/codec.js'
import type { StoreDriver } from '../store/driver.js'

export interface IntegrityContext {
  store: StoreDriver
  codec: BlobCodec
  keys: Keys
  logger: Logger
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

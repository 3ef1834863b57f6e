/**
 * Turns the `encryption` and `redact` options of createMemory into the codec and redactor the memory
 * runs with, before the memory reads anything: a wrong passphrase rejects here and nothing is written.
 */
import { memoryError } from '../core/errors.js'
import { checkNamespace } from '../core/layout.js'
import { type BlobCodec, plainCodec } from '../store/codec.js'
import type { StoreDriver } from '../store/driver.js'
import { type EncryptionOptions, openEncryption } from './encryption.js'
import { openRedactor, type RedactOptions, type Redactor } from './redact.js'

export interface SecurityOptions {
  namespace?: string
  encryption?: EncryptionOptions
  redact?: boolean | RedactOptions
  codec?: BlobCodec
}

export async function openSecurity(store: StoreDriver, options: SecurityOptions): Promise<{ codec?: BlobCodec; redactor?: Redactor }> {
  const namespace = checkNamespace(options.namespace ?? 'default')
  const out: { codec?: BlobCodec; redactor?: Redactor } = {}
  if (options.encryption !== undefined) {
    if (options.codec) throw memoryError('VALIDATION', 'Pass either encryption or a codec, not both')
    out.codec = await openEncryption(store, namespace, options.encryption)
  } else if (options.codec) out.codec = options.codec
  if (options.redact !== undefined && options.redact !== false) {
    out.redactor = await openRedactor(store, namespace, out.codec ?? plainCodec, options.redact)
  }
  return out
}

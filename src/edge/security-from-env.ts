/**
 * Encryption at rest and PII redaction for the edge, from the Worker's environment:
 * - `ENGRAM_ENCRYPTION_PASSPHRASE` (a secret: `wrangler secret put ENGRAM_ENCRYPTION_PASSPHRASE`): every
 *   namespace's records, log and snapshots are encrypted with its own data key, wrapped by a key derived
 *   from this passphrase. A namespace written with one passphrase refuses to open with another
 *   (`UNAUTHORIZED`), so changing it locks the data out instead of mixing keys.
 * - `REDACT` (a var): `on` replaces e-mail addresses, phone, card and IBAN numbers, national ids and IP
 *   addresses with placeholders before anything is stored or embedded; `off` or empty keeps text as is.
 * See docs/security.md for what each protects against.
 */
import { memoryError } from '../core/errors.js'
import type { CreateMemoryOptions } from '../core/types.js'

export interface SecurityEnv {
  ENGRAM_ENCRYPTION_PASSPHRASE?: string
  REDACT?: string
  [key: string]: unknown
}

const ON = new Set(['on', 'true', '1', 'yes'])
const OFF = new Set(['', 'off', 'false', '0', 'no'])

export function securityFromEnv(env: SecurityEnv): Pick<CreateMemoryOptions, 'encryption' | 'redact'> {
  const options: Pick<CreateMemoryOptions, 'encryption' | 'redact'> = {}
  const passphrase = env.ENGRAM_ENCRYPTION_PASSPHRASE
  if (passphrase !== undefined && passphrase !== '') {
    if (typeof passphrase !== 'string') throw memoryError('VALIDATION', 'ENGRAM_ENCRYPTION_PASSPHRASE must be a string secret')
    options.encryption = { passphrase }
  }
  const redact = env.REDACT === undefined ? '' : String(env.REDACT).trim().toLowerCase()
  if (ON.has(redact)) options.redact = true
  else if (!OFF.has(redact)) throw memoryError('VALIDATION', `REDACT must be "on" or "off", not ${JSON.stringify(env.REDACT)}`)
  return options
}

/**
 * Encryption at rest: an AES-GCM {@link BlobCodec} over WebCrypto (Node, browsers, workerd alike).
 *
 * Envelope scheme, one data key per namespace:
 * - a random 256-bit data key (DEK) encrypts every blob of the namespace; it is imported
 *   non-extractable and its raw bytes are dropped at once;
 * - a key-encryption key (KEK) wraps the DEK (AES-GCM, the namespace and key id as associated data).
 *   The KEK is derived from a passphrase (PBKDF2-SHA-256, per-namespace random salt) or is an
 *   AES-GCM `CryptoKey` the app supplies (non-extractable if the app made it so);
 * - `<ns>/meta/crypto` holds the salt, the PBKDF2 parameters and the wrapped DEKs: no secret. A wrong
 *   passphrase fails to unwrap (GCM tag) and is rejected with `UNAUTHORIZED` before anything is read
 *   or written.
 *
 * Blob = frame(flags=encrypted, [version 1][DEK id u32 LE][IV 12][ciphertext + 16-byte tag]); the
 * namespace is associated data, so a blob copied from another namespace does not decrypt. The frame
 * CRC still catches bit rot; a blob whose CRC holds but whose tag fails was edited: `CORRUPTED`.
 *
 * Rotation: {@link EncryptionCodec.beginRotation} makes a new DEK current (optionally under a new
 * passphrase/key) while old DEKs stay readable, the memory re-encrypts every blob in the background
 * (see rotation.ts), then {@link EncryptionCodec.finishRotation} drops the old DEKs. Every DEK is
 * always wrapped by the current KEK, so a crash mid-rotation leaves a store the new passphrase opens
 * and the rotation resumes.
 */
import { memoryError } from '../core/errors.js'
import { checkNamespace } from '../core/layout.js'
import {
  type BlobCodec,
  decodeFrame,
  decodeJson,
  encodeFrameYielding,
  encodeJson,
  FRAME_FLAGS,
  FRAME_MAGIC,
  plainPayload,
} from '../store/codec.js'
import type { StoreDriver } from '../store/driver.js'

/**
 * How a namespace is encrypted.
 * @example
 * createMemory({ namespace: 'u42', store, encryption: { passphrase: process.env.ENGRAM_PASSPHRASE! } })
 * createMemory({ namespace: 'u42', store, encryption: { key: await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']) } })
 */
export type EncryptionOptions =
  | {
      /** Derives the key-encryption key with PBKDF2-SHA-256 and the namespace's stored salt. */
      passphrase: string
      /** PBKDF2 iterations in all, for a new namespace or a rotation (an existing namespace keeps its own). @default 600_000 */
      iterations?: number
    }
  | {
      /** An AES-GCM CryptoKey with 'encrypt' and 'decrypt' usages; one per namespace. */
      key: CryptoKey
    }

export const DEFAULT_PBKDF2_ITERATIONS = 600_000
const MIN_ITERATIONS = 10_000
const MAX_PASSPHRASE = 4096
const BLOB_VERSION = 1
const IV_BYTES = 12
const HEADER_BYTES = 1 + 4 + IV_BYTES
const encoder = new TextEncoder()

/**
 * `iterations` per round, `rounds` chained rounds (each round's 256 bits are the next round's
 * password). Cloudflare Workers refuse PBKDF2 above 100,000 iterations per call, so the default
 * 600,000 is 6 rounds of 100,000: the same work, and a store opens on every runtime.
 */
type KekParams = { type: 'pbkdf2'; hash: 'SHA-256'; iterations: number; rounds?: number; salt: string } | { type: 'key' }

/** The most iterations one PBKDF2 call may ask for on every runtime (workerd's limit). */
const MAX_ITERATIONS_PER_CALL = 100_000

interface CryptoMeta {
  v: 1
  alg: 'AES-GCM-256'
  kek: KekParams
  current: number
  deks: { id: number; wrapped: string }[]
  /** Set while an unencrypted namespace is being encrypted: plain blobs are still read. */
  migrating?: boolean
}

export const cryptoMetaKey = (namespace: string): string => `${checkNamespace(namespace)}/meta/crypto`

export interface EncryptionCodec extends BlobCodec {
  readonly id: 'aes-gcm'
  /** The DEK new blobs are written with. */
  readonly currentKeyId: number
  /** True while blobs under another DEK (or plain blobs, when migrating) may remain. */
  readonly rotationPending: boolean
  /** Which DEK wrote this blob: a number, 'plain' for an unencrypted frame, undefined for anything else. */
  keyIdOf(blob: Uint8Array): number | 'plain' | undefined
  /** Make a new DEK current (under a new KEK when `next` is given); earlier DEKs stay readable. */
  beginRotation(next?: EncryptionOptions): Promise<void>
  /** Forget every DEK but the current one (once no blob needs them). */
  finishRotation(): Promise<void>
}

export function isEncryptionCodec(codec: BlobCodec | undefined): codec is EncryptionCodec {
  return !!codec && codec.id === 'aes-gcm' && typeof (codec as Partial<EncryptionCodec>).beginRotation === 'function'
}

/**
 * Open (or set up) encryption for a namespace. Rejects with `UNAUTHORIZED` for a wrong passphrase or
 * key, `CORRUPTED` for a damaged parameter record, `VALIDATION` for bad options.
 */
export async function openEncryption(store: StoreDriver, namespace: string, options: EncryptionOptions): Promise<EncryptionCodec> {
  checkOptions(options)
  const metaKey = cryptoMetaKey(namespace)
  const aad = encoder.encode(`engram/v1/${namespace}`)
  const existing = await store.get(metaKey)
  let meta: CryptoMeta
  let kek: CryptoKey
  const deks = new Map<number, CryptoKey>()
  if (!existing) {
    const headExists = (await store.get(`${namespace}/meta/head`)) !== null
    const params = newKekParams(options)
    kek = await deriveKek(options, params)
    const { key, wrapped } = await newDek(kek, namespace, 1)
    deks.set(1, key)
    meta = { v: 1, alg: 'AES-GCM-256', kek: params, current: 1, deks: [{ id: 1, wrapped }] }
    // An unencrypted namespace is encrypted in place: the memory re-encrypts it in the background.
    if (headExists) meta.migrating = true
    await store.set(metaKey, encodeJson(meta))
  } else {
    meta = checkMeta(decodeJson<unknown>(existing))
    if (meta.kek.type === 'pbkdf2' && !('passphrase' in options)) {
      throw memoryError('UNAUTHORIZED', `Namespace '${namespace}' is encrypted with a passphrase, not an app key`)
    }
    if (meta.kek.type === 'key' && !('key' in options)) {
      throw memoryError('UNAUTHORIZED', `Namespace '${namespace}' is encrypted with an app-supplied key, not a passphrase`)
    }
    kek = await deriveKek(options, meta.kek)
    for (const { id, wrapped } of meta.deks) deks.set(id, await unwrapDek(kek, namespace, id, wrapped))
  }

  const codec: EncryptionCodec = {
    id: 'aes-gcm',
    get currentKeyId() {
      return meta.current
    },
    get rotationPending() {
      return meta.deks.length > 1 || meta.migrating === true
    },
    async encode(payload: Uint8Array): Promise<Uint8Array> {
      const key = deks.get(meta.current)!
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, payload as Uint8Array<ArrayBuffer>),
      )
      const out = new Uint8Array(HEADER_BYTES + sealed.byteLength)
      out[0] = BLOB_VERSION
      new DataView(out.buffer).setUint32(1, meta.current, true)
      out.set(iv, 5)
      out.set(sealed, HEADER_BYTES)
      return encodeFrameYielding(out, FRAME_FLAGS.encrypted)
    },
    async decode(blob: Uint8Array): Promise<Uint8Array> {
      const frame = decodeFrame(blob)
      if (frame.flags === 0 && meta.migrating) return plainPayload(frame)
      if (frame.flags !== FRAME_FLAGS.encrypted) {
        throw memoryError('CORRUPTED', 'An unencrypted blob was found in an encrypted namespace')
      }
      const p = frame.payload
      if (p.byteLength < HEADER_BYTES + 16 || p[0] !== BLOB_VERSION) throw memoryError('CORRUPTED', 'Encrypted blob has an unknown layout')
      const id = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(1, true)
      const key = deks.get(id)
      if (!key) throw memoryError('UNAUTHORIZED', `Blob was encrypted with data key ${id}, which this namespace does not hold`)
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: p.slice(5, HEADER_BYTES), additionalData: aad },
          key,
          p.subarray(HEADER_BYTES) as Uint8Array<ArrayBuffer>,
        )
        return new Uint8Array(plain)
      } catch (e) {
        throw memoryError('CORRUPTED', 'Encrypted blob failed authentication (edited, or from another namespace)', { cause: e })
      }
    },
    keyIdOf(blob: Uint8Array) {
      if (blob.byteLength < 16 || !isFrame(blob)) return undefined
      if (blob[5] === 0) return 'plain'
      if (blob[5] !== FRAME_FLAGS.encrypted || blob.byteLength < 16 + HEADER_BYTES) return undefined
      return new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(17, true)
    },
    async beginRotation(next?: EncryptionOptions) {
      if (next !== undefined) checkOptions(next)
      const params = next ? newKekParams(next) : meta.kek
      const nextKek = next ? await deriveKek(next, params) : kek
      const id = Math.max(...meta.deks.map((d) => d.id)) + 1
      const created = await newDek(nextKek, namespace, id)
      // Rewrap the old DEKs under the new KEK: the new passphrase alone opens the store from now on.
      const rewrapped: CryptoMeta['deks'] = []
      for (const d of meta.deks) {
        const raw = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: b64decode(d.wrapped).slice(0, IV_BYTES), additionalData: dekAad(namespace, d.id) },
          kek,
          b64decode(d.wrapped).subarray(IV_BYTES) as Uint8Array<ArrayBuffer>,
        )
        rewrapped.push({ id: d.id, wrapped: await wrapRaw(nextKek, namespace, d.id, new Uint8Array(raw)) })
        new Uint8Array(raw).fill(0)
      }
      const nextMeta: CryptoMeta = { ...meta, kek: params, current: id, deks: [...rewrapped, { id, wrapped: created.wrapped }] }
      await store.set(metaKey, encodeJson(nextMeta))
      deks.set(id, created.key)
      meta = nextMeta
      kek = nextKek
    },
    async finishRotation() {
      const nextMeta: CryptoMeta = { ...meta, deks: meta.deks.filter((d) => d.id === meta.current) }
      delete nextMeta.migrating
      await store.set(metaKey, encodeJson(nextMeta))
      for (const id of [...deks.keys()]) if (id !== meta.current) deks.delete(id)
      meta = nextMeta
    },
  }
  return codec
}

function checkOptions(options: unknown): asserts options is EncryptionOptions {
  if (!options || typeof options !== 'object') throw memoryError('VALIDATION', 'encryption must be { passphrase } or { key }')
  const o = options as { passphrase?: unknown; key?: unknown; iterations?: unknown }
  if ((o.passphrase === undefined) === (o.key === undefined)) {
    throw memoryError('VALIDATION', 'encryption takes exactly one of passphrase or key')
  }
  if (o.passphrase !== undefined) {
    if (typeof o.passphrase !== 'string' || o.passphrase.length === 0 || o.passphrase.length > MAX_PASSPHRASE) {
      throw memoryError('VALIDATION', `encryption.passphrase must be a non-empty string of at most ${MAX_PASSPHRASE} characters`)
    }
    if (
      o.iterations !== undefined &&
      (!Number.isInteger(o.iterations) || (o.iterations as number) < MIN_ITERATIONS || (o.iterations as number) > 100_000_000)
    ) {
      throw memoryError('VALIDATION', `encryption.iterations must be an integer from ${MIN_ITERATIONS} to 100,000,000`)
    }
    return
  }
  const key = o.key as Partial<CryptoKey> | null
  const usages = Array.isArray(key?.usages) ? key.usages : []
  if (
    !key ||
    typeof key !== 'object' ||
    key.type !== 'secret' ||
    key.algorithm?.name !== 'AES-GCM' ||
    !usages.includes('encrypt') ||
    !usages.includes('decrypt')
  ) {
    throw memoryError('VALIDATION', "encryption.key must be an AES-GCM CryptoKey with 'encrypt' and 'decrypt' usages")
  }
}

function newKekParams(options: EncryptionOptions): KekParams {
  if ('key' in options) return { type: 'key' }
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const total = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS
  const rounds = Math.ceil(total / MAX_ITERATIONS_PER_CALL)
  return { type: 'pbkdf2', hash: 'SHA-256', iterations: Math.ceil(total / rounds), rounds, salt: b64encode(salt) }
}

async function deriveKek(options: EncryptionOptions, params: KekParams): Promise<CryptoKey> {
  if ('key' in options) return options.key
  if (params.type !== 'pbkdf2') throw memoryError('UNAUTHORIZED', 'This namespace is not encrypted with a passphrase')
  const pbkdf2 = { name: 'PBKDF2', hash: 'SHA-256', salt: b64decode(params.salt) as Uint8Array<ArrayBuffer>, iterations: params.iterations }
  let secret: Uint8Array = encoder.encode(options.passphrase.normalize('NFC'))
  for (let round = 1; round < (params.rounds ?? 1); round++) {
    const material = await crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, 'PBKDF2', false, ['deriveBits'])
    secret.fill(0)
    secret = new Uint8Array(await crypto.subtle.deriveBits(pbkdf2, material, 256))
  }
  const material = await crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, 'PBKDF2', false, ['deriveKey'])
  secret.fill(0)
  return crypto.subtle.deriveKey(pbkdf2, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
}

const dekAad = (namespace: string, id: number) => encoder.encode(`engram/v1/${namespace}/dek/${id}`)

async function wrapRaw(kek: CryptoKey, namespace: string, id: number, raw: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: dekAad(namespace, id) }, kek, raw as Uint8Array<ArrayBuffer>),
  )
  const out = new Uint8Array(IV_BYTES + sealed.byteLength)
  out.set(iv)
  out.set(sealed, IV_BYTES)
  return b64encode(out)
}

async function newDek(kek: CryptoKey, namespace: string, id: number): Promise<{ key: CryptoKey; wrapped: string }> {
  const raw = crypto.getRandomValues(new Uint8Array(32))
  try {
    const wrapped = await wrapRaw(kek, namespace, id, raw)
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
    return { key, wrapped }
  } finally {
    raw.fill(0)
  }
}

async function unwrapDek(kek: CryptoKey, namespace: string, id: number, wrapped: string): Promise<CryptoKey> {
  const bytes = b64decode(wrapped)
  let raw: Uint8Array
  try {
    raw = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES), additionalData: dekAad(namespace, id) },
        kek,
        bytes.subarray(IV_BYTES) as Uint8Array<ArrayBuffer>,
      ),
    )
  } catch (e) {
    throw memoryError('UNAUTHORIZED', `Wrong passphrase or key for namespace '${namespace}'`, { cause: e })
  }
  try {
    return await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt'])
  } finally {
    raw.fill(0)
  }
}

function checkMeta(value: unknown): CryptoMeta {
  const m = value as Partial<CryptoMeta> | null
  const kek = m?.kek as { type?: unknown; iterations?: unknown; rounds?: unknown; salt?: unknown } | undefined
  const kekOk =
    !!kek &&
    (kek.type === 'key' ||
      (kek.type === 'pbkdf2' &&
        Number.isInteger(kek.iterations) &&
        (kek.iterations as number) >= 1 &&
        (kek.iterations as number) <= MAX_ITERATIONS_PER_CALL &&
        (kek.rounds === undefined || (Number.isInteger(kek.rounds) && (kek.rounds as number) >= 1 && (kek.rounds as number) <= 1000)) &&
        typeof kek.salt === 'string'))
  const ok =
    !!m &&
    m.v === 1 &&
    m.alg === 'AES-GCM-256' &&
    kekOk &&
    Number.isInteger(m.current) &&
    Array.isArray(m.deks) &&
    m.deks.length > 0 &&
    m.deks.every((d) => Number.isInteger(d?.id) && typeof d?.wrapped === 'string') &&
    m.deks.some((d) => d.id === m.current)
  if (!ok) throw memoryError('CORRUPTED', 'The encryption parameter record is damaged')
  return m as CryptoMeta
}

function isFrame(blob: Uint8Array): boolean {
  for (let i = 0; i < FRAME_MAGIC.length; i++) if (blob[i] !== FRAME_MAGIC[i]) return false
  return true
}

function b64encode(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

function b64decode(text: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
  } catch (e) {
    throw memoryError('CORRUPTED', 'The encryption parameter record holds invalid base64', { cause: e })
  }
}

/**
 * Framing for every stored blob, so a torn, truncated or bit-rotted value is detected instead of
 * trusted. A frame is a 16-byte header and the payload:
 *
 * | offset | size | field                                                          |
 * |--------|------|----------------------------------------------------------------|
 * | 0      | 4    | magic `ENGM`                                                   |
 * | 4      | 1    | format version (1)                                             |
 * | 5      | 1    | flags ({@link FRAME_FLAGS})                                    |
 * | 6      | 2    | reserved, 0                                                    |
 * | 8      | 4    | payload length, little-endian                                  |
 * | 12     | 4    | CRC-32 of bytes 0..11 then the payload, little-endian          |
 *
 * The checksum covers the header too, so a flipped flag bit is caught like a flipped payload bit.
 * Layers above the frame (encryption, issue 6) are {@link BlobCodec}s that set a flag and frame
 * their own output, so every blob on disk has the same outer shape.
 */
import { memoryError } from '../core/errors.js'
import { yieldToEventLoop } from '../core/scheduling.js'
import { crc32 } from './crc32.js'

export const FRAME_MAGIC = new Uint8Array([0x45, 0x4e, 0x47, 0x4d]) // "ENGM"
export const FRAME_VERSION = 1
export const FRAME_HEADER_BYTES = 16

/** Flag bits of a frame. Bits not listed are reserved and make a plain decode fail. */
export const FRAME_FLAGS = {
  /** The payload is ciphertext of an encrypting codec; the plain codec refuses it. */
  encrypted: 1,
} as const

export interface Frame {
  flags: number
  /** A view into the input bytes (not a copy). */
  payload: Uint8Array
}

/**
 * Wrap `payload` in a checksummed frame.
 * @example
 * const blob = encodeFrame(new TextEncoder().encode('hello'))
 * decodeFrame(blob).payload // the same bytes
 */
export function encodeFrame(payload: Uint8Array, flags = 0): Uint8Array {
  const out = unsealedFrame(payload, flags)
  new DataView(out.buffer).setUint32(12, crc32(out.subarray(FRAME_HEADER_BYTES), crc32(out.subarray(0, 12))), true)
  return out
}

/** Payloads above this are checksummed a slice at a time by {@link encodeFrameYielding}. */
export const FRAME_SLICE_BYTES = 8 << 20

/**
 * {@link encodeFrame}, but the checksum of a large payload is computed a slice at a time, with the event
 * loop given a turn between slices (a 180 MB snapshot takes about half a second to checksum). The frame
 * is the same. Small payloads are framed at once.
 */
export async function encodeFrameYielding(payload: Uint8Array, flags = 0): Promise<Uint8Array> {
  const out = unsealedFrame(payload, flags)
  // Checksum the frame's own copy: the caller's payload may change while the loop runs other tasks.
  const body = out.subarray(FRAME_HEADER_BYTES)
  let crc = crc32(out.subarray(0, 12))
  for (let at = 0; at < body.byteLength; at += FRAME_SLICE_BYTES) {
    if (at > 0) await yieldToEventLoop()
    crc = crc32(body.subarray(at, at + FRAME_SLICE_BYTES), crc)
  }
  new DataView(out.buffer).setUint32(12, crc, true)
  return out
}

/** Header (checksum left 0) and a copy of the payload. */
function unsealedFrame(payload: Uint8Array, flags: number): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw memoryError('VALIDATION', 'encodeFrame expects a Uint8Array payload')
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xff) throw memoryError('VALIDATION', `Invalid frame flags ${flags}: use 0-255`)
  if (payload.byteLength > 0xffffffff) throw memoryError('TOO_LARGE', `A frame holds at most 4 GiB, got ${payload.byteLength} bytes`)
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength)
  out.set(FRAME_MAGIC, 0)
  out[4] = FRAME_VERSION
  out[5] = flags
  new DataView(out.buffer).setUint32(8, payload.byteLength, true)
  out.set(payload, FRAME_HEADER_BYTES)
  return out
}

/** Check and unwrap a frame. Throws `CORRUPTED` saying what is wrong (magic, version, length, checksum). */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (!(bytes instanceof Uint8Array)) throw memoryError('VALIDATION', 'decodeFrame expects a Uint8Array')
  if (bytes.byteLength < FRAME_HEADER_BYTES) {
    throw corrupted(`truncated: ${bytes.byteLength} bytes, a frame header needs ${FRAME_HEADER_BYTES}`)
  }
  for (let i = 0; i < FRAME_MAGIC.length; i++) {
    if (bytes[i] !== FRAME_MAGIC[i]) throw corrupted('bad magic: this is not an engram frame')
  }
  const version = bytes[4]!
  if (version !== FRAME_VERSION) throw corrupted(`unknown format version ${version} (this build reads ${FRAME_VERSION})`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const length = view.getUint32(8, true)
  const actual = bytes.byteLength - FRAME_HEADER_BYTES
  if (length !== actual) throw corrupted(`length mismatch: the header says ${length} payload bytes, found ${actual}`)
  const payload = bytes.subarray(FRAME_HEADER_BYTES)
  const expected = view.getUint32(12, true)
  const computed = crc32(payload, crc32(bytes.subarray(0, 12)))
  if (computed !== expected) {
    throw corrupted(`checksum mismatch: stored ${hex(expected)}, computed ${hex(computed)}`)
  }
  return { flags: bytes[5]!, payload }
}

/**
 * A transform applied to every blob before it is stored and after it is read. The plain codec only
 * frames; an encrypting codec (issue 6) frames `iv + ciphertext` with {@link FRAME_FLAGS.encrypted}.
 */
export interface BlobCodec {
  /** Short name for stats ('plain', 'aes-gcm'). */
  readonly id: string
  encode(payload: Uint8Array): Promise<Uint8Array>
  decode(blob: Uint8Array): Promise<Uint8Array>
}

/** Frames without encrypting. `decode` returns a view into its input. */
export const plainCodec: BlobCodec = Object.freeze({
  id: 'plain',
  async encode(payload: Uint8Array) {
    return encodeFrameYielding(payload)
  },
  async decode(blob: Uint8Array) {
    return plainPayload(decodeFrame(blob))
  },
})

/** The payload of an unencrypted frame; refuses frames whose flags need another codec. */
export function plainPayload(frame: Frame): Uint8Array {
  if (frame.flags & FRAME_FLAGS.encrypted) {
    throw memoryError('UNAUTHORIZED', 'This blob is encrypted: open the memory with its encryption key')
  }
  if (frame.flags !== 0) throw memoryError('UNSUPPORTED', `Frame flags ${hex(frame.flags)} are not supported by this version of engram`)
  return frame.payload
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** JSON text as bytes; `VALIDATION` for values JSON cannot hold (undefined, BigInt, cycles). */
export function jsonBytes(value: unknown): Uint8Array {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (e) {
    throw memoryError('VALIDATION', `Value cannot be stored as JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
  if (text === undefined) throw memoryError('VALIDATION', `Value cannot be stored as JSON: ${typeof value}`)
  return utf8Encoder.encode(text)
}

/** Parse JSON bytes; `CORRUPTED` when they are not valid UTF-8 JSON. */
export function parseJsonBytes<T = unknown>(bytes: Uint8Array): T {
  try {
    return JSON.parse(utf8Decoder.decode(bytes)) as T
  } catch (e) {
    throw corrupted(`invalid JSON payload: ${e instanceof Error ? e.message : String(e)}`, e)
  }
}

/** A value as a plain JSON frame. */
export function encodeJson(value: unknown): Uint8Array {
  return encodeFrame(jsonBytes(value))
}

/** The value of a plain JSON frame. */
export function decodeJson<T = unknown>(bytes: Uint8Array): T {
  return parseJsonBytes<T>(plainPayload(decodeFrame(bytes)))
}

/** A value as JSON through any codec (plain now, encrypted later). */
export async function encodeJsonWith(codec: BlobCodec, value: unknown): Promise<Uint8Array> {
  return codec.encode(jsonBytes(value))
}

/** The value of a JSON blob written by {@link encodeJsonWith} with the same codec. */
export async function decodeJsonWith<T = unknown>(codec: BlobCodec, bytes: Uint8Array): Promise<T> {
  return parseJsonBytes<T>(await codec.decode(bytes))
}

function corrupted(reason: string, cause?: unknown) {
  return memoryError('CORRUPTED', `Corrupted blob: ${reason}`, cause === undefined ? {} : { cause })
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`
}

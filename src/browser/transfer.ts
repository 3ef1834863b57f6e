/**
 * Comlink transfer handlers for the page ↔ worker boundary. Register them on both sides (the client and
 * `exposeMemory` do it): errors keep `code`, `message`, `details` and `cause` (Comlink's own handler keeps
 * only name, message and stack), and Float32Array buffers move instead of being copied.
 */
import { type TransferHandler, transferHandlers } from 'comlink'
import { deserializeMemoryError, isMemoryError, MemoryError, type SerializedMemoryError } from '../core/errors.js'

/** What the 'throw' handler puts on the wire for one of our errors. */
interface WireMemoryError {
  memoryError: SerializedMemoryError
  /** The stack where it was thrown (in the worker), appended to the page's stack for debugging. */
  stack?: string
}

type Thrown = { value: unknown }

/** Float32Arrays to move: one array, or an array of them (what `embed()` returns). */
type Vectors = Float32Array | Float32Array[]

let registered = false

/** Install engram's handlers into Comlink's registry. Safe to call many times. */
export function registerTransferHandlers(): void {
  if (registered) return
  registered = true
  const original = transferHandlers.get('throw') as TransferHandler<Thrown, unknown> | undefined
  if (!original) throw new Error("comlink has no 'throw' transfer handler to extend")

  const throwHandler: TransferHandler<Thrown, unknown> = {
    canHandle: (value): value is Thrown => original.canHandle(value),
    serialize(thrown) {
      if (!isMemoryError(thrown.value)) return original.serialize(thrown)
      const wire: WireMemoryError = { memoryError: toSerialized(thrown.value) }
      if (typeof thrown.value.stack === 'string') wire.stack = thrown.value.stack
      return [wire, []]
    },
    deserialize(wire) {
      if (!isWire(wire)) return original.deserialize(wire)
      const error = deserializeMemoryError(wire.memoryError)
      if (wire.stack && error.stack) error.stack = `${error.stack}\n    --- in the worker ---\n${wire.stack}`
      throw error
    },
  }
  transferHandlers.set('throw', throwHandler as TransferHandler<unknown, unknown>)

  const vectorHandler: TransferHandler<Vectors, { vectors: Float32Array[]; single: boolean }> = {
    canHandle: (value): value is Vectors =>
      value instanceof Float32Array || (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Float32Array)),
    serialize(value) {
      const single = value instanceof Float32Array
      const vectors = (single ? [value] : value).map(ownBuffer)
      const buffers = [...new Set(vectors.map((v) => v.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer)
      return [{ vectors, single }, buffers]
    },
    deserialize: ({ vectors, single }) => (single ? vectors[0]! : vectors),
  }
  transferHandlers.set('engram:float32', vectorHandler as TransferHandler<unknown, unknown>)
}

/**
 * A vector that owns its whole buffer moves as it is; a view into a larger buffer (or a shared one) is
 * copied first, so that moving it does not detach the caller's other data.
 */
function ownBuffer(v: Float32Array): Float32Array {
  const whole = v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength
  return whole ? v : v.slice()
}

function toSerialized(e: MemoryError | { name: 'MemoryError'; code: MemoryError['code']; message?: unknown }): SerializedMemoryError {
  if (e instanceof MemoryError) return e.toJSON()
  // Already crossed one boundary (a plain object with our fields): rebuild, then serialize.
  const plain = e as Partial<SerializedMemoryError>
  const data: SerializedMemoryError = { name: 'MemoryError', code: e.code, message: String(e.message ?? '') }
  if (plain.details) data.details = plain.details
  if (plain.cause !== undefined) data.cause = plain.cause
  return deserializeMemoryError(data).toJSON()
}

function isWire(value: unknown): value is WireMemoryError {
  return typeof value === 'object' && value !== null && 'memoryError' in value
}

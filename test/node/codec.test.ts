import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { isMemoryError } from '../../src/core/errors.js'
import {
  type BlobCodec,
  decodeFrame,
  decodeJson,
  decodeJsonWith,
  encodeFrame,
  encodeJson,
  encodeJsonWith,
  FRAME_FLAGS,
  FRAME_HEADER_BYTES,
  plainCodec,
} from '../../src/store/codec.js'
import { crc32 } from '../../src/store/crc32.js'

const bytes = (s: string) => new TextEncoder().encode(s)

function random(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

function expectCorrupted(fn: () => unknown, message: RegExp): void {
  const e = errorOf(fn)
  expect(isMemoryError(e, 'CORRUPTED'), String(e)).toBe(true)
  expect((e as Error).message).toMatch(message)
}

describe('crc32', () => {
  it('matches the standard check value and zlib on many lengths', () => {
    expect(crc32(bytes('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array(0))).toBe(0)
    for (let n = 0; n < 300; n += 7) {
      const data = random(n, n + 1)
      expect(crc32(data)).toBe(zlibCrc32(data))
    }
    const big = random(1 << 20, 9)
    expect(crc32(big)).toBe(zlibCrc32(big))
  })

  it('continues across chunks and works on views at odd offsets', () => {
    const data = random(1000, 3)
    for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(zlibCrc32(data))
    }
    expect(crc32(data.subarray(3, 900))).toBe(zlibCrc32(data.subarray(3, 900)))
  })
})

describe('frames', () => {
  it('round-trip payloads of every size class, including empty and all byte values', () => {
    const all = new Uint8Array(256).map((_, i) => i)
    for (const payload of [new Uint8Array(0), bytes('a'), all, random(4097), random(1 << 20, 5)]) {
      const frame = encodeFrame(payload)
      expect(frame.byteLength).toBe(payload.byteLength + FRAME_HEADER_BYTES)
      const decoded = decodeFrame(frame)
      expect(decoded.flags).toBe(0)
      expect(Buffer.from(decoded.payload).equals(Buffer.from(payload))).toBe(true)
    }
  })

  it('keep the flags', () => {
    for (const flags of [0, 1, 2, 0x80, 0xff]) expect(decodeFrame(encodeFrame(bytes('x'), flags)).flags).toBe(flags)
  })

  it('decode a frame that is a view into a larger buffer', () => {
    const frame = encodeFrame(bytes('inside'))
    const backing = new Uint8Array(frame.byteLength + 10)
    backing.set(frame, 5)
    const decoded = decodeFrame(backing.subarray(5, 5 + frame.byteLength))
    expect(new TextDecoder().decode(decoded.payload)).toBe('inside')
  })

  it('start with the magic, the version and little-endian length', () => {
    const frame = encodeFrame(bytes('abc'), 1)
    expect([...frame.subarray(0, 12)]).toEqual([0x45, 0x4e, 0x47, 0x4d, 1, 1, 0, 0, 3, 0, 0, 0])
  })

  it('detect every single flipped bit, anywhere, with the right reason', () => {
    const frame = encodeFrame(random(40, 7), 0)
    for (let bit = 0; bit < frame.byteLength * 8; bit++) {
      const copy = frame.slice()
      copy[bit >> 3]! ^= 1 << (bit & 7)
      const byte = bit >> 3
      const reason =
        byte < 4 ? /bad magic/ : byte === 4 ? /unknown format version/ : byte >= 8 && byte < 12 ? /length mismatch/ : /checksum mismatch/
      expectCorrupted(() => decodeFrame(copy), reason)
    }
  })

  it('detect truncation at every length and trailing bytes', () => {
    const frame = encodeFrame(random(64, 11))
    for (let n = 0; n < frame.byteLength; n++) {
      expectCorrupted(() => decodeFrame(frame.subarray(0, n)), n < FRAME_HEADER_BYTES ? /truncated/ : /length mismatch/)
    }
    const longer = new Uint8Array(frame.byteLength + 1)
    longer.set(frame)
    expectCorrupted(() => decodeFrame(longer), /length mismatch/)
  })

  it('detect swapped payload bytes and a zeroed block (errors a single bit flip does not cover)', () => {
    const frame = encodeFrame(random(64, 13))
    const swapped = frame.slice()
    ;[swapped[20], swapped[21]] = [swapped[21]!, swapped[20]!]
    if (swapped[20] !== frame[20]) expectCorrupted(() => decodeFrame(swapped), /checksum mismatch/)
    const zeroed = frame.slice()
    zeroed.fill(0, 30, 60)
    expectCorrupted(() => decodeFrame(zeroed), /checksum mismatch/)
  })

  it('reject non-bytes and bad flags as VALIDATION', () => {
    expect(
      isMemoryError(
        errorOf(() => decodeFrame('abc' as unknown as Uint8Array)),
        'VALIDATION',
      ),
    ).toBe(true)
    expect(
      isMemoryError(
        errorOf(() => encodeFrame([1, 2] as unknown as Uint8Array)),
        'VALIDATION',
      ),
    ).toBe(true)
    for (const flags of [-1, 256, 1.5])
      expect(
        isMemoryError(
          errorOf(() => encodeFrame(bytes('x'), flags)),
          'VALIDATION',
        ),
      ).toBe(true)
  })
})

describe('JSON frames', () => {
  it('round-trip JSON values exactly', () => {
    const values = [null, 0, -1.5, 'text with ünïcödé and emoji 🙂', [], {}, { a: [1, { b: 'c' }], d: null, e: true }, 'a'.repeat(100_000)]
    for (const v of values) expect(decodeJson(encodeJson(v))).toEqual(v)
  })

  it('reject values JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic['self'] = cyclic
    for (const v of [undefined, () => 1, 10n, cyclic])
      expect(
        isMemoryError(
          errorOf(() => encodeJson(v)),
          'VALIDATION',
        ),
      ).toBe(true)
  })

  it('report a valid frame around invalid JSON or invalid UTF-8 as CORRUPTED', () => {
    expectCorrupted(() => decodeJson(encodeFrame(bytes('{"a":'))), /invalid JSON/)
    expectCorrupted(() => decodeJson(encodeFrame(new Uint8Array([0x22, 0xff, 0x22]))), /invalid JSON/)
  })

  it('detect a flipped bit in a JSON blob', () => {
    const blob = encodeJson({ id: 'm1', content: 'hello' })
    for (let i = 0; i < blob.byteLength; i++) {
      const copy = blob.slice()
      copy[i]! ^= 0x10
      expect(
        isMemoryError(
          errorOf(() => decodeJson(copy)),
          'CORRUPTED',
        ),
      ).toBe(true)
    }
  })

  it('refuse an encrypted frame without its codec, and unknown flags', () => {
    const encrypted = encodeFrame(bytes('"secret"'), FRAME_FLAGS.encrypted)
    expect(
      isMemoryError(
        errorOf(() => decodeJson(encrypted)),
        'UNAUTHORIZED',
      ),
    ).toBe(true)
    expect(
      isMemoryError(
        errorOf(() => decodeJson(encodeFrame(bytes('1'), 0x40))),
        'UNSUPPORTED',
      ),
    ).toBe(true)
  })
})

describe('blob codecs', () => {
  it('the plain codec frames and unframes', async () => {
    const blob = await plainCodec.encode(bytes('hi'))
    expect(decodeFrame(blob).flags).toBe(0)
    expect(new TextDecoder().decode(await plainCodec.decode(blob))).toBe('hi')
    await expect(plainCodec.decode(blob.subarray(0, 10))).rejects.toMatchObject({ code: 'CORRUPTED' })
    expect(await decodeJsonWith(plainCodec, await encodeJsonWith(plainCodec, { x: [1, 2] }))).toEqual({ x: [1, 2] })
    expect(decodeJson(await encodeJsonWith(plainCodec, 'same bytes as encodeJson'))).toBe('same bytes as encodeJson')
  })

  it('a wrapping codec can reuse the frame with its own flag', async () => {
    // The shape issue 6 will follow: transform the payload, frame it with a flag, check the flag back.
    const xor: BlobCodec = {
      id: 'xor-test',
      async encode(p) {
        return encodeFrame(
          p.map((b) => b ^ 0x5a),
          FRAME_FLAGS.encrypted,
        )
      },
      async decode(blob) {
        const frame = decodeFrame(blob)
        if (!(frame.flags & FRAME_FLAGS.encrypted)) throw new Error('not encrypted')
        return frame.payload.map((b) => b ^ 0x5a)
      },
    }
    const blob = await encodeJsonWith(xor, { secret: true })
    expect(await decodeJsonWith(xor, blob)).toEqual({ secret: true })
    await expect(decodeJsonWith(plainCodec, blob)).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
  })
})

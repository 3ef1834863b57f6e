/**
 * The derived-index snapshot: a small JSON header (covered log sequence, embedder, sizes) followed by
 * the vector index bytes and the keyword index JSON. The blob codec frames it with a checksum; a header
 * that does not match the body is CORRUPTED, and the memory then rebuilds from records.
 */
import { memoryError } from './errors.js'

export interface IndexSnapshot {
  seq: number
  embedder: string
  dims: number
  vectors: Uint8Array
  keywords: string
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function writeIndexSnapshot(snapshot: IndexSnapshot): Uint8Array {
  const keywords = encoder.encode(snapshot.keywords)
  const header = encoder.encode(
    JSON.stringify({
      v: 1,
      seq: snapshot.seq,
      embedder: snapshot.embedder,
      dims: snapshot.dims,
      vectorBytes: snapshot.vectors.byteLength,
      keywordBytes: keywords.byteLength,
    }),
  )
  const out = new Uint8Array(4 + header.byteLength + snapshot.vectors.byteLength + keywords.byteLength)
  new DataView(out.buffer).setUint32(0, header.byteLength, true)
  out.set(header, 4)
  out.set(snapshot.vectors, 4 + header.byteLength)
  out.set(keywords, 4 + header.byteLength + snapshot.vectors.byteLength)
  return out
}

export function readIndexSnapshot(bytes: Uint8Array): IndexSnapshot {
  const corrupt = (why: string) => memoryError('CORRUPTED', `Index snapshot is not valid: ${why}`)
  if (bytes.byteLength < 4) throw corrupt('too short')
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true)
  if (4 + headerLength > bytes.byteLength) throw corrupt('header overruns the blob')
  let header: { v: number; seq: number; embedder: string; dims: number; vectorBytes: number; keywordBytes: number }
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerLength)))
  } catch {
    throw corrupt('header is not JSON')
  }
  if (header.v !== 1) throw corrupt(`unknown version ${String(header.v)}`)
  const start = 4 + headerLength
  if (start + header.vectorBytes + header.keywordBytes !== bytes.byteLength) throw corrupt('sizes do not add up')
  return {
    seq: header.seq,
    embedder: header.embedder,
    dims: header.dims,
    vectors: bytes.slice(start, start + header.vectorBytes),
    keywords: decoder.decode(bytes.subarray(start + header.vectorBytes)),
  }
}

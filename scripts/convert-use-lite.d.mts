import type { ModelDescription } from './model-onnx-writer.d.mts'

/** Reads the TF.js graph model in `dir` and returns its ONNX description. */
export declare function convertUseLite(dir: string): ModelDescription
/** sha256 of each file the script writes to models/. */
export declare const EXPECTED_SHA256: Readonly<Record<string, string>>

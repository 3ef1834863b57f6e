export declare const DataType: Readonly<{ FLOAT: 1; UINT8: 2; INT8: 3; INT32: 6; INT64: 7; BOOL: 9 }>

export type TensorData = Float32Array | Int32Array | BigInt64Array | Int8Array | Uint8Array

export interface TensorDescription {
  name?: string
  dataType: number
  dims: readonly number[]
  data: TensorData
}

export type AttributeValue =
  | { f: number }
  | { i: number | bigint }
  | { s: string }
  | { t: TensorDescription }
  | { floats: readonly number[] }
  | { ints: readonly (number | bigint)[] }

export interface NodeDescription {
  op: string
  inputs: readonly string[]
  outputs: readonly string[]
  name?: string
  domain?: string
  attrs?: Record<string, AttributeValue>
}

export interface ValueInfoDescription {
  name: string
  elemType: number
  /** A number for a fixed dimension, a string for a named dynamic one. */
  shape: readonly (number | string)[]
}

export interface ModelDescription {
  producer?: string
  producerVersion?: string
  docString?: string
  /** Default-domain opset. @default 18 */
  opset?: number
  metadata?: Record<string, string>
  graph: {
    name?: string
    nodes: readonly NodeDescription[]
    initializers: readonly (TensorDescription & { name: string })[]
    inputs: readonly ValueInfoDescription[]
    outputs: readonly ValueInfoDescription[]
  }
}

export declare function encodeModel(model: ModelDescription): Uint8Array

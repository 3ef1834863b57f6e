/** What the memory needs from a text embedder. */
export interface EmbedOptions {
  signal?: AbortSignal
  /** Some models embed queries and passages differently (e5, bge). @default 'passage' */
  kind?: 'query' | 'passage'
}

export interface Embedder {
  /** Stable id of the model (stored with every vector, so a model change is detected). */
  readonly id: string
  readonly dims: number
  /** One L2-normalized vector per text, in order. Rejects with a MemoryError('EMBEDDING') on failure. */
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>
  /** Release model memory. */
  dispose?(): Promise<void>
}

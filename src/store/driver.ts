/**
 * The storage contract: a small async key-value store of bytes. Each driver is one flat file in
 * `drivers/`. Keys are strings of printable ASCII; `list` returns keys in lexicographic order.
 */
export interface SetOptions {
  /** Expire the key after this many seconds (drivers without native TTL may ignore it). */
  ttlSeconds?: number
}

export type DriverOp = { type: 'set'; key: string; value: Uint8Array; ttlSeconds?: number } | { type: 'delete'; key: string }

export interface ListResult {
  keys: string[]
  /** Present when more keys follow: pass it back to get the next page. */
  cursor?: string
}

export interface StoreDriver {
  /** Short name for stats and errors ('memory', 'fs', 'indexeddb', ...). */
  readonly name: string
  get(key: string): Promise<Uint8Array | null>
  getMany(keys: string[]): Promise<(Uint8Array | null)[]>
  set(key: string, value: Uint8Array, options?: SetOptions): Promise<void>
  setMany(entries: { key: string; value: Uint8Array; ttlSeconds?: number }[]): Promise<void>
  delete(key: string): Promise<void>
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListResult>
  /**
   * Apply every op or none (all-or-nothing, also across a crash). Drivers that cannot
   * (KV, R2) leave it out, and the memory refuses to use them as the primary store.
   */
  transaction?(ops: DriverOp[]): Promise<void>
  /** Storage usage as the platform reports it. */
  estimate?(): Promise<{ usage?: number; quota?: number; persisted?: boolean }>
  close?(): Promise<void>
}

/**
 * The `engram/node` entry: everything from `engram`, plus a memory persisted in a directory.
 *
 * @example
 * import { createMemory } from 'engram/node'
 * const mem = await createMemory({ namespace: 'user-42', path: './data' })
 */
import { createMemory as createCoreMemory, type EngramMemory, type MemoryInternals } from './core/memory.js'
import type { CreateMemoryOptions } from './core/types.js'
import { fsDriver } from './store/drivers/fs.js'

export * from './index.js'
export type { FsDriverOptions } from './store/drivers/fs.js'
export { fsDriver } from './store/drivers/fs.js'

export interface NodeMemoryOptions extends CreateMemoryOptions {
  /** Directory that holds the store (created if missing). Ignored when `store` is given. */
  path?: string
  /** fsync every write (an acknowledged write survives power loss). @default true */
  fsync?: boolean
}

/** Like `createMemory` from `engram`, with `path` selecting a filesystem store. */
export async function createMemory(options: NodeMemoryOptions & MemoryInternals = {}): Promise<EngramMemory> {
  const { path, fsync, ...rest } = options
  if (rest.store === undefined && path !== undefined) {
    rest.store = fsDriver(fsync === undefined ? { dir: path } : { dir: path, fsync })
  }
  return createCoreMemory(rest)
}

/**
 * The per-invocation context: global options, the output, and opening/closing the backend around a
 * command so every exit path releases the store's lock.
 */
import type { Command } from 'commander'
import type { Backend } from './backend.js'
import { Output } from './output.js'
import type { RemoteOptions } from './remote.js'

export interface GlobalOptions {
  dir: string
  namespace?: string
  json?: boolean
  url?: string
  token?: string
}

export const DEFAULT_NAMESPACE = 'default'

/** Commands that may start a new store in a directory that has none. */
const CREATES = new Set(['store', 'import', 'restore'])

export class Context {
  readonly globals: GlobalOptions
  readonly out: Output
  readonly commandName: string

  constructor(command: Command) {
    this.globals = command.optsWithGlobals<GlobalOptions>()
    this.out = new Output({ json: this.globals.json === true })
    this.commandName = command.name()
  }

  get namespace(): string {
    return this.globals.namespace ?? DEFAULT_NAMESPACE
  }

  /** Run `fn` with the memory this invocation addresses, closing it (and the lock) afterwards. */
  async withBackend<T>(fn: (backend: Backend) => Promise<T>): Promise<T> {
    // Loaded on use: `--help` and usage errors stay fast, and --url never loads the core and fs driver.
    if (this.globals.url) {
      const { remoteBackend } = await import('./remote.js')
      const options: RemoteOptions = { url: this.globals.url }
      if (this.globals.token) options.token = this.globals.token
      if (this.globals.namespace) options.namespace = this.globals.namespace
      return fn(remoteBackend(options))
    }
    const { localBackend, openLocalStore } = await import('./local.js')
    const store = await openLocalStore(this.globals.dir, this.commandName, { create: CREATES.has(this.commandName) })
    try {
      const backend = localBackend(await store.open(this.namespace), store.dir)
      const result = await fn(backend)
      await backend.close()
      return result
    } finally {
      await store.release()
    }
  }
}

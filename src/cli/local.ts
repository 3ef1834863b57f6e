/**
 * A local store: one directory (fs driver) holding any number of namespaces. One process may open a
 * directory at a time (the fs driver enforces it too); the CLI's own lock file `engram.lock` also
 * records the command and, for `serve`, its URL, so a second command can say where to go instead.
 * A lock whose process is gone is taken over.
 */
import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { memoryError } from '../core/errors.js'
import type { EngramMemory } from '../core/memory.js'
import { createEmbedder } from '../embed/create.js'
import type { Embedder } from '../embed/embedder.js'
import { createTestEmbedder } from '../embed/hashing.js'
import { BUILTIN_MODELS } from '../embed/models.js'
import { createMemory, fsDriver } from '../node.js'
import type { StoreDriver } from '../store/driver.js'
import type { Backend } from './backend.js'

export interface LockInfo {
  pid: number
  command: string
  startedAt: number
  url?: string
}

const LOCK_FILE = 'engram.lock'

/**
 * The embedder named by `ENGRAM_EMBEDDER`: unset for the offline default model, a built-in model name,
 * or `hashing` — the instant, non-semantic test embedder, for scripts and tests that do not need meaning.
 * A store remembers its embedder and re-embeds when it changes.
 */
export function embedderFromEnv(value = process.env.ENGRAM_EMBEDDER): Promise<Embedder> | undefined {
  if (value === undefined || value === '') return undefined
  if (value === 'hashing') return Promise.resolve(createTestEmbedder())
  if (value in BUILTIN_MODELS) return createEmbedder({ model: value as keyof typeof BUILTIN_MODELS })
  throw memoryError('VALIDATION', `ENGRAM_EMBEDDER=${value} is not known: use hashing or one of ${Object.keys(BUILTIN_MODELS).join(', ')}`)
}

const isDirectory = (path: string) =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'
  }
}

/** Take the directory's lock; rejects with CONFLICT naming the owner when another live process holds it. */
export async function lockStore(dir: string, info: Omit<LockInfo, 'pid' | 'startedAt'>): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, LOCK_FILE)
  const mine: LockInfo = { pid: process.pid, startedAt: Date.now(), ...info }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, JSON.stringify(mine), { flag: 'wx' })
      let released = false
      return async () => {
        if (released) return
        released = true
        await unlink(path).catch(() => {})
      }
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST')
        throw memoryError('STORAGE', `Cannot create ${path}: ${(e as Error).message}`, { cause: e })
    }
    let owner: LockInfo | undefined
    try {
      owner = JSON.parse(await readFile(path, 'utf8')) as LockInfo
    } catch {
      owner = undefined // half-written or unreadable: treated as stale below
    }
    if (owner && typeof owner.pid === 'number' && owner.pid !== process.pid && alive(owner.pid)) {
      const how = owner.url ? `talk to it with --url ${owner.url} --token <token>, or stop it` : 'wait for it to finish, or stop it'
      throw memoryError('CONFLICT', `The store ${dir} is in use by process ${owner.pid} (engram ${owner.command}); ${how}.`, {
        details: { lock: owner },
      })
    }
    await unlink(path).catch(() => {})
  }
  throw memoryError('CONFLICT', `Could not take the lock ${path}; another engram process keeps taking it.`)
}

/** Record the server's URL in the lock so other commands can point at it. */
export async function annotateLock(dir: string, info: LockInfo): Promise<void> {
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(info))
}

export interface LocalStore {
  dir: string
  driver: StoreDriver
  open(namespace: string): Promise<EngramMemory>
  release(): Promise<void>
}

/**
 * Open the directory (taking its lock); namespaces are opened on demand over one driver. Only
 * commands that write something new (`create`) may start a store where there is none, so a typo in
 * --dir is reported instead of silently answering from a new, empty store.
 */
export async function openLocalStore(dirOption: string, command: string, { create = false } = {}): Promise<LocalStore> {
  const dir = resolve(dirOption)
  if (!create && !(await isDirectory(dir))) {
    throw memoryError(
      'NOT_FOUND',
      `No engram store at ${dir}: store something first (engram store "..."), import a file, or point --dir (or ENGRAM_DIR) at an existing store.`,
    )
  }
  const unlock = await lockStore(dir, { command })
  try {
    const driver = fsDriver({ dir })
    // Every namespace's memory shares the one driver (one process per directory); closing a memory
    // must not close it under the others, so they get a view whose close() does nothing.
    const shared = Object.assign(Object.create(driver) as StoreDriver, { close: async () => {} })
    const open = new Map<string, Promise<EngramMemory>>()
    return {
      dir,
      driver,
      open(namespace) {
        let memory = open.get(namespace)
        if (!memory) {
          const embedder = embedderFromEnv()
          memory = embedder
            ? embedder.then((e) => createMemory({ namespace, store: shared, embedder: e }))
            : createMemory({ namespace, store: shared })
          open.set(namespace, memory)
          memory.catch(() => open.delete(namespace))
        }
        return memory
      },
      async release() {
        try {
          for (const memory of open.values()) await (await memory.catch(() => undefined))?.close()
        } finally {
          await driver.close?.()
          await unlock()
        }
      },
    }
  } catch (e) {
    await unlock()
    throw e
  }
}

/** A Backend over one namespace of a local store. */
export function localBackend(memory: EngramMemory, dir: string): Backend {
  const m = memory as EngramMemory & Partial<Record<'consolidate' | 'summarize', (o?: Record<string, unknown>) => Promise<unknown>>>
  const backend: Backend = {
    namespace: memory.namespace,
    where: dir,
    remote: false,
    store: (c, o) => memory.store(c, o),
    recall: (q, o) => memory.recall(q, o),
    get: (id) => memory.get(id),
    list: (o) => memory.list(o),
    count: (o) => memory.count(o),
    update: (id, p) => memory.update(id, p),
    history: (id) => memory.history(id),
    forget: (q) => memory.forget(q),
    stats: () => memory.stats(),
    health: () => memory.health(),
    optimize: () => memory.optimize(),
    export: (o) => memory.export(o),
    import: (s, o) => memory.import(s, o),
    snapshot: (l) => memory.snapshot(l),
    snapshots: () => memory.snapshots(),
    rollback: (id) => memory.rollback(id),
    close: () => memory.flush(),
  }
  // Bound only when this build of the core has them: commands report their absence instead of faking it.
  if (typeof m.consolidate === 'function') backend.consolidate = (o) => m.consolidate!.call(memory, o)
  if (typeof m.summarize === 'function') backend.summarize = (o) => m.summarize!.call(memory, o)
  return backend
}

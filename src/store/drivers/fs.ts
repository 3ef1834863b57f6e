/**
 * Node filesystem driver: one file per key, every write atomic, multi-key writes all-or-nothing
 * across a crash, and an I/O failure (ENOSPC) before the commit point leaves the store as it was.
 *
 * Layout under `dir` (one process owns a directory at a time):
 * - `keys/<bucket>/<name>`: a key's file. The bucket is the key's first segment (before the first
 *   `/`), the name the rest. `list('rec/')` then reads one directory instead of every file, which
 *   matches how the core lays out keys (`rec/<id>`, `log/<seq>`, ...).
 * - Names are reversible and safe on every filesystem: `[a-z0-9_-]` stay, an upper-case letter
 *   becomes `^` + its lower case (case-insensitive filesystems), anything else `%xx`. Buckets and
 *   names start with `_` (never `.`, `..` or a reserved Windows name); `=` is the file of a key
 *   without `/`; a trailing `!` marks a file with a TTL (so list() knows which headers to read); a
 *   name over 200 characters is cut and ends in `~` + a hash, and its key is read from the header.
 * - File = 16-byte header (magic `EGKV`, version, key length, expiry in ms or 0) + key + value.
 * - A write goes in two phases. Prepare: each new value into a synced temp file in `tmp/` (a failure
 *   here removes the temps and changes nothing). Place: rename temps over the keys' files, unlink
 *   deleted ones, sync the directories. A single-key write is atomic by its rename; for more keys,
 *   the commit point is `journal`, a CRC-framed list of every placement written between the phases.
 *   Placing is idempotent, so on open a valid journal is placed again and a torn one discarded.
 */
import { createHash, randomBytes } from 'node:crypto'
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { asMemoryError, memoryError } from '../../core/errors.js'
import { decodeFrame, encodeFrame, jsonBytes, parseJsonBytes, plainPayload } from '../codec.js'
import type { DriverOp, StoreDriver } from '../driver.js'
import { checkEntries, checkKey, checkList, checkOps, checkTtl, checkValue, pageOfKeys } from '../keys.js'

export interface FsDriverOptions {
  /** Directory of the store; created if missing. */
  dir: string
  /** fsync files and directories so an acknowledged write survives power loss. @default true */
  fsync?: boolean
  /** Clock for TTLs, for tests. @default Date.now */
  now?: () => number
}

/** One placement of a commit: a prepared temp file to move into place, or a key to remove. */
export type Placement = { type: 'set'; key: string; temp: string; expiresAt: number } | { type: 'delete'; key: string }

const HEADER = 16
const MAGIC = [0x45, 0x47, 0x4b, 0x56] // "EGKV"
const MAX_NAME = 200
const PARALLEL = 16

const encodeName = (s: string) =>
  s.replace(/[^a-z0-9_-]/g, (c) => (c >= 'A' && c <= 'Z' ? `^${c.toLowerCase()}` : `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
const decodeName = (s: string) =>
  s.replace(
    /\^([a-z])|%([0-9a-f]{2})/g,
    (_, up: string | undefined, hex: string) => up?.toUpperCase() ?? String.fromCharCode(parseInt(hex, 16)),
  )
const fitName = (name: string) =>
  name.length <= MAX_NAME ? name : `${name.slice(0, 150)}~${createHash('sha256').update(name).digest('hex').slice(0, 40)}`
const errno = (e: unknown) => (e as { code?: string } | null)?.code

/**
 * A StoreDriver over a directory. Opening (recovery of a leftover journal) starts at once in the
 * background; every call waits for it.
 * @example
 * const store = fsDriver({ dir: './data/user-42' })
 */
export function fsDriver({ dir, fsync = true, now = Date.now }: FsDriverOptions): StoreDriver {
  const keysDir = join(dir, 'keys')
  const tmpDir = join(dir, 'tmp')
  const journalPath = join(dir, 'journal')
  const lockPath = join(dir, 'lock')
  /** `pid:random`, so closing one instance never removes the lock another instance took over. */
  const lockToken = `${process.pid}:${randomBytes(8).toString('hex')}`
  let locked = false
  const knownBuckets = new Set<string>()
  /** Expiry of every TTL key seen: a '!' file's header is read once. */
  const expiries = new Map<string, number>()
  /** Sorted keys per bucket, dropped whenever the bucket changes. */
  const listCache = new Map<string, string[]>()
  let generation = 0
  let closed = false
  /** A failure after a journal became the commit point: only a reopen (which completes it) may go on. */
  let broken: unknown

  const locate = (key: string) => {
    const slash = key.indexOf('/')
    const bucket = fitName(`_${encodeName(slash < 0 ? key : key.slice(0, slash))}`)
    const plain = join(keysDir, bucket, slash < 0 ? '=' : fitName(`_${encodeName(key.slice(slash + 1))}`))
    return { bucket, plain, ttl: `${plain}!` }
  }
  /** The key a file name stands for, or undefined when it must be read from the header. */
  const keyOfName = (bucket: string, name: string): string | undefined => {
    const base = name.endsWith('!') ? name.slice(0, -1) : name
    if (bucket.includes('~') || base.includes('~')) return undefined
    const head = decodeName(bucket.slice(1))
    return base === '=' ? head : `${head}/${decodeName(base.slice(1))}`
  }
  const live = (expiresAt: number) => expiresAt === 0 || expiresAt > now()

  async function syncDir(path: string) {
    if (!fsync) return
    let fh: FileHandle | undefined
    try {
      fh = await open(path, 'r')
      await fh.sync()
    } catch (e) {
      if (process.platform !== 'win32') throw e // Windows cannot fsync a directory
    } finally {
      await fh?.close()
    }
  }
  /** Write a synced temp file; returns its name in `tmp/`. */
  async function writeTemp(data: Uint8Array): Promise<string> {
    const name = randomBytes(12).toString('hex')
    const path = join(tmpDir, name)
    try {
      const fh = await open(path, 'wx')
      try {
        await fh.writeFile(data)
        if (fsync) await fh.sync()
      } finally {
        await fh.close()
      }
      return name
    } catch (e) {
      await rm(path, { force: true })
      throw e
    }
  }
  /** Remove a file; false when it was not there. */
  const unlinkQuiet = (path: string) =>
    unlink(path).then(
      () => true,
      (e) => {
        if (errno(e) !== 'ENOENT') throw e
        return false
      },
    )
  async function readEntry(path: string) {
    let buf: Buffer
    try {
      buf = await readFile(path)
    } catch (e) {
      if (errno(e) === 'ENOENT') return null
      throw e
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    const keyLength = buf.byteLength >= HEADER ? view.getUint16(6, true) : 0
    if (buf.byteLength < HEADER + keyLength || MAGIC.some((b, i) => buf[i] !== b) || buf[4] !== 1) {
      throw memoryError('CORRUPTED', `fs driver: ${path} is not an engram key file`)
    }
    const key = buf.toString('latin1', HEADER, HEADER + keyLength)
    return { key, expiresAt: view.getFloat64(8, true), value: buf.subarray(HEADER + keyLength) }
  }

  /** Phase 1: every value into a temp file and every bucket created. On failure nothing is left. */
  async function prepare(ops: DriverOp[]): Promise<Placement[]> {
    const at = now()
    const placements: Placement[] = []
    try {
      await eachLimit(ops, async (op) => {
        if (op.type === 'delete') return void placements.push(op)
        const { bucket } = locate(op.key)
        if (!knownBuckets.has(bucket)) {
          if (await mkdir(join(keysDir, bucket), { recursive: true })) await syncDir(keysDir)
          knownBuckets.add(bucket)
        }
        const expiresAt = op.ttlSeconds ? at + op.ttlSeconds * 1000 : 0
        placements.push({ type: 'set', key: op.key, temp: await writeTemp(keyFile(op.key, op.value, expiresAt)), expiresAt })
      })
    } catch (e) {
      await Promise.all(placements.map((p) => (p.type === 'set' ? rm(join(tmpDir, p.temp), { force: true }) : undefined)))
      throw e
    }
    return placements
  }
  /**
   * Phase 2: move prepared files into place. Idempotent: a temp already moved is skipped.
   * `otherAbsent`: the caller has just seen that no key has a file of the other kind to remove.
   */
  async function place(placements: Placement[], otherAbsent = false) {
    const dirs = new Set<string>()
    await eachLimit(placements, async (p) => {
      const { bucket, plain, ttl } = locate(p.key)
      // Before and after: a list() that read the directory in between must not cache what it saw.
      const touch = () => {
        generation++
        listCache.delete(bucket)
      }
      touch()
      if (p.type === 'set') {
        const target = p.expiresAt ? ttl : plain
        const temp = join(tmpDir, p.temp)
        await rename(temp, target).catch(async (e) => {
          // ENOENT: moved before a crash (idempotent replay), or the bucket is gone: then make it and move.
          if (errno(e) !== 'ENOENT' || !(await exists(temp))) return
          await mkdir(join(keysDir, bucket), { recursive: true })
          await syncDir(keysDir)
          await rename(temp, target)
        })
        if (!otherAbsent) await unlinkQuiet(p.expiresAt ? plain : ttl)
        if (p.expiresAt) expiries.set(p.key, p.expiresAt)
        else expiries.delete(p.key)
        dirs.add(join(keysDir, bucket))
      } else {
        const removed = await Promise.all([unlinkQuiet(plain), unlinkQuiet(ttl)])
        expiries.delete(p.key)
        if (removed.includes(true)) dirs.add(join(keysDir, bucket))
      }
      touch()
    })
    await eachLimit([...dirs], syncDir)
  }
  /**
   * Apply ops (keys distinct, already copied) all-or-nothing. One key that keeps its kind of file
   * needs no journal; anything else is committed by the journal between the two phases.
   */
  async function write(ops: DriverOp[]) {
    const placements = await prepare(ops)
    let journal = placements.length > 1
    if (placements.length === 1 && placements[0]!.type === 'set') {
      const { expiresAt, key } = placements[0]!
      journal = await exists(expiresAt ? locate(key).plain : locate(key).ttl)
    }
    if (!journal) return place(placements, placements[0]!.type === 'set')
    try {
      const name = await writeTemp(encodeJournal(placements))
      await rename(join(tmpDir, name), journalPath)
      await syncDir(dir)
    } catch (e) {
      await Promise.all(placements.map((p) => (p.type === 'set' ? rm(join(tmpDir, p.temp), { force: true }) : undefined)))
      throw e
    }
    try {
      await place(placements)
      await unlink(journalPath)
      await syncDir(dir) // or a later crash would resurrect the journal and re-place older values
    } catch (e) {
      broken = e
      throw memoryError('STORAGE', `fs driver: a committed write could not be completed; reopen ${dir} to finish it`, { cause: e })
    }
  }

  /** One process per directory: another live process holding it is a CONFLICT; a dead one's lock is taken over. */
  async function lock() {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(lockPath, 'wx')
        await fh.writeFile(lockToken)
        await fh.close()
        locked = true
        return
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e
      }
      const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).split(':')[0])
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw memoryError('CONFLICT', `fs driver: ${dir} is in use by process ${pid}; one process may open a store at a time`)
      }
      await unlinkQuiet(lockPath)
    }
    throw memoryError('CONFLICT', `fs driver: could not lock ${dir}`)
  }

  async function recover() {
    await mkdir(tmpDir, { recursive: true })
    await mkdir(keysDir, { recursive: true })
    await lock()
    let journal: Buffer | undefined
    try {
      journal = await readFile(journalPath)
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e
    }
    if (journal) {
      let placements: Placement[] | undefined
      try {
        placements = decodeJournal(journal)
      } catch {
        // Torn or corrupt: it never became the commit point, so nothing of it was placed.
      }
      if (placements) await place(placements)
      await unlink(journalPath)
      await syncDir(dir)
    }
    await rm(tmpDir, { recursive: true, force: true })
    await mkdir(tmpDir, { recursive: true })
  }

  const ready = recover()
  let chain: Promise<unknown> = ready.catch(() => {})
  /** One writer at a time: placements and the journal never interleave. Reads run freely. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn)
    chain = run.catch(() => {})
    return run
  }
  const guard = async <T>(verb: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) throw memoryError('CLOSED', 'fs driver is closed')
    if (broken) throw memoryError('STORAGE', `fs driver: an earlier write failed after its commit point; reopen ${dir}`, { cause: broken })
    try {
      await ready
      return await fn()
    } catch (e) {
      throw asMemoryError(e, 'STORAGE', `fs driver ${verb} in ${dir} failed`)
    }
  }
  /** Ops in order collapse to the last op per key: the same end state, and placeable in any order. */
  const lastPerKey = (ops: DriverOp[]): DriverOp[] => {
    const byKey = new Map<string, DriverOp>()
    for (const op of ops) byKey.set(op.key, op.type === 'set' ? { ...op, value: op.value.slice() } : { type: 'delete', key: op.key })
    return [...byKey.values()]
  }

  async function readKey(key: string): Promise<Uint8Array | null> {
    const { plain, ttl } = locate(key)
    const first = expiries.has(key) ? [ttl, plain] : [plain, ttl]
    const entry = (await readEntry(first[0]!)) ?? (await readEntry(first[1]!))
    if (!entry) return null
    if (entry.key !== key)
      throw memoryError('CORRUPTED', `fs driver: the file of ${JSON.stringify(key)} holds ${JSON.stringify(entry.key)}`)
    if (entry.expiresAt) expiries.set(key, entry.expiresAt)
    if (live(entry.expiresAt)) return new Uint8Array(entry.value)
    sweep(key)
    return null
  }
  async function listBucket(bucket: string): Promise<string[]> {
    const cached = listCache.get(bucket)
    if (cached) return cached
    const startGeneration = generation
    let names: string[]
    try {
      names = await readdir(join(keysDir, bucket))
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return []
      throw e
    }
    const keys = new Set<string>()
    await eachLimit(names, async (name) => {
      if (!name.startsWith('_') && !name.startsWith('=')) return
      let key = keyOfName(bucket, name)
      if (key === undefined || (name.endsWith('!') && !expiries.has(key))) {
        const entry = await readEntry(join(keysDir, bucket, name))
        if (!entry) return
        key = entry.key
        if (entry.expiresAt) expiries.set(key, entry.expiresAt)
      }
      keys.add(key)
    })
    const sorted = [...keys].sort()
    if (generation === startGeneration) listCache.set(bucket, sorted)
    return sorted
  }
  /** Remove an expired key's file in the background, checking again under the write lock (it may be new). */
  function sweep(key: string) {
    if (closed) return
    exclusive(async () => {
      const { bucket, ttl } = locate(key)
      const entry = await readEntry(ttl)
      if (!entry || live(entry.expiresAt)) return
      await unlinkQuiet(ttl)
      expiries.delete(key)
      generation++
      listCache.delete(bucket)
    }).catch(() => {}) // best effort: an expired file is invisible either way
  }
  async function exists(path: string) {
    try {
      await stat(path)
      return true
    } catch (e) {
      if (errno(e) === 'ENOENT') return false
      throw e
    }
  }

  return {
    name: 'fs',
    async get(key) {
      checkKey(key)
      return guard('get', () => readKey(key))
    },
    async getMany(keys) {
      for (const key of keys) checkKey(key)
      return guard('getMany', async () => {
        const out: (Uint8Array | null)[] = new Array(keys.length).fill(null)
        await eachLimit([...keys.keys()], async (i) => {
          out[i] = await readKey(keys[i]!)
        })
        return out
      })
    },
    async set(key, value, options = {}) {
      checkKey(key)
      checkValue(value, key)
      checkTtl(options.ttlSeconds)
      const op: DriverOp = { type: 'set', key, value: value.slice(), ...(options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}) }
      return guard('set', () => exclusive(() => write([op])))
    },
    async setMany(entries) {
      checkEntries(entries)
      const ops = lastPerKey(entries.map((e) => ({ type: 'set' as const, ...e })))
      return guard('setMany', () => exclusive(async () => (ops.length > 0 ? write(ops) : undefined)))
    },
    async delete(key) {
      checkKey(key)
      return guard('delete', () => exclusive(() => write([{ type: 'delete', key }])))
    },
    async list(prefix, options = {}) {
      checkList(prefix, options)
      return guard('list', async () => {
        const slash = prefix.indexOf('/')
        const buckets =
          slash >= 0
            ? [locate(prefix.slice(0, slash)).bucket]
            : (await readdir(keysDir)).filter((b) => b.startsWith('_') && (b.includes('~') || decodeName(b.slice(1)).startsWith(prefix)))
        const keys: string[] = []
        for (const bucket of buckets) {
          for (const key of await listBucket(bucket)) {
            if (!key.startsWith(prefix)) continue
            if (live(expiries.get(key) ?? 0)) keys.push(key)
            else sweep(key)
          }
        }
        return pageOfKeys(buckets.length > 1 ? keys.sort() : keys, options)
      })
    },
    async transaction(ops) {
      checkOps(ops)
      const last = lastPerKey(ops)
      return guard('transaction', () => exclusive(async () => (last.length > 0 ? write(last) : undefined)))
    },
    async estimate() {
      return guard('estimate', async () => {
        let usage = 0
        for (const bucket of await readdir(keysDir)) {
          const names = await readdir(join(keysDir, bucket)).catch(() => [] as string[])
          await eachLimit(names, async (name) => {
            usage += (await stat(join(keysDir, bucket, name)).catch(() => ({ size: 0 }))).size
          })
        }
        return { usage }
      })
    },
    async close() {
      if (closed) return
      closed = true
      await chain
      await ready.catch(() => {})
      if (locked && (await readFile(lockPath, 'utf8').catch(() => '')) === lockToken) await unlinkQuiet(lockPath).catch(() => {})
    },
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return errno(e) === 'EPERM'
  }
}

/** Run `fn` over items, a few at a time; after a failure start no more, let the running ones finish, then throw. */
async function eachLimit<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed = false
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await fn(items[next++]!)
      } catch (e) {
        failed = true
        throw e
      }
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(PARALLEL, items.length) }, worker))
  const failure = results.find((r) => r.status === 'rejected')
  if (failure) throw failure.reason
}

/** @internal The bytes of a key file (exported for crash-recovery tests). */
export function keyFile(key: string, value: Uint8Array, expiresAt: number): Uint8Array {
  const file = new Uint8Array(HEADER + key.length + value.byteLength)
  const view = new DataView(file.buffer)
  file.set(MAGIC)
  file[4] = 1
  view.setUint16(6, key.length, true)
  view.setFloat64(8, expiresAt, true)
  for (let i = 0; i < key.length; i++) file[HEADER + i] = key.charCodeAt(i)
  file.set(value, HEADER + key.length)
  return file
}

/** @internal The journal (exported for crash-recovery tests): the placements as JSON in a CRC frame. */
export function encodeJournal(placements: Placement[]): Uint8Array {
  return encodeFrame(jsonBytes(placements))
}

/** The placements of a journal; throws when it is torn, damaged or not a list of placements. */
function decodeJournal(bytes: Uint8Array): Placement[] {
  const placements = parseJsonBytes<unknown>(plainPayload(decodeFrame(bytes)))
  const valid = (p: Partial<Placement & { temp: unknown; expiresAt: unknown }>) =>
    p.type === 'delete' ||
    (p.type === 'set' && typeof p.temp === 'string' && /^[0-9a-f]{24}$/.test(p.temp) && typeof p.expiresAt === 'number' && p.expiresAt >= 0)
  if (!Array.isArray(placements)) throw memoryError('CORRUPTED', 'fs driver: the journal is not a list')
  for (const p of placements) {
    checkKey(p?.key)
    if (!valid(p)) throw memoryError('CORRUPTED', 'fs driver: invalid journal entry')
  }
  return placements as Placement[]
}

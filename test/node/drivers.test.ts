import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { DriverOp } from '../../src/store/driver.js'
import { encodeJournal, fsDriver, keyFile, type Placement } from '../../src/store/drivers/fs.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { driverSuite } from '../shared/driver-suite.js'

let clock = 0
const ttl = {
  advance: (ms: number) => {
    clock += ms
  },
}
const dirs: string[] = []
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'engram-fs-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

driverSuite('memory', () => memoryDriver({ now: () => clock }), { ttl })
driverSuite('fs', async () => fsDriver({ dir: await tempDir(), now: () => clock }), { ttl })
driverSuite('fs without fsync', async () => fsDriver({ dir: await tempDir(), fsync: false, now: () => clock }), { ttl })

describe('memory driver: the key order it keeps between listings', () => {
  const value = new Uint8Array([1])
  it('sees keys written, deleted and expired between the pages of one listing', async () => {
    let now = 0
    const driver = memoryDriver({ now: () => now })
    await driver.setMany(['a', 'b', 'c', 'd', 'e'].map((k) => ({ key: `p/${k}`, value })))
    await driver.setMany([
      { key: 'o/x', value },
      { key: 'q/x', value },
    ])
    const first = await driver.list('p/', { limit: 2 })
    expect(first).toEqual({ keys: ['p/a', 'p/b'], cursor: 'p/b' })
    await driver.set('p/bb', value) // a new key lands after the cursor
    const second = await driver.list('p/', { limit: 2, cursor: first.cursor! })
    expect(second).toEqual({ keys: ['p/bb', 'p/c'], cursor: 'p/c' })
    // The cursor key itself goes away and a later key expires.
    await driver.delete('p/c')
    await driver.set('p/d', value, { ttlSeconds: 1 })
    now = 1000
    expect(await driver.list('p/', { cursor: second.cursor! })).toEqual({ keys: ['p/e'] })
    expect(await driver.get('p/d')).toBeNull()
    expect((await driver.list('')).keys).toEqual(['o/x', 'p/a', 'p/b', 'p/bb', 'p/e', 'q/x'])
  })
})

const enc = new TextEncoder()
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))

/** A prepared temp file as the driver would leave it before its journal (see fs.ts). */
async function prepared(dir: string, key: string, value: string, expiresAt = 0): Promise<Placement> {
  const temp = randomBytes(12).toString('hex')
  await writeFile(join(dir, 'tmp', temp), keyFile(key, enc.encode(value), expiresAt))
  return { type: 'set', key, temp, expiresAt }
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

describe('fs driver', () => {
  it('keeps data and TTLs across a reopen', async () => {
    const dir = await tempDir()
    const first = fsDriver({ dir, now: () => clock })
    await first.set('rec/a', enc.encode('A'))
    await first.set('rec/short', enc.encode('S'), { ttlSeconds: 5 })
    await first.transaction!([{ type: 'set', key: 'meta', value: enc.encode('M') }])
    await first.close!()
    const second = fsDriver({ dir, now: () => clock })
    expect((await second.getMany(['rec/a', 'rec/short', 'meta'])).map(text)).toEqual(['A', 'S', 'M'])
    expect((await second.list('')).keys).toEqual(['meta', 'rec/a', 'rec/short'])
    clock += 6000
    expect(await second.get('rec/short')).toBeNull()
    expect((await second.list('rec/')).keys).toEqual(['rec/a'])
  })

  it('names files in lower case without dots, so keys that differ only in case stay apart', async () => {
    const dir = await tempDir()
    const d = fsDriver({ dir })
    const keys = ['Rec/A', 'rec/a', 'REC/a', 'rec/A', '../../etc', 'a/..', '.hidden', 'CON', 'x/y/../z']
    for (const k of keys) await d.set(k, enc.encode(k))
    for (const k of keys) expect(text(await d.get(k))).toBe(k)
    const names = (await filesUnder(join(dir, 'keys'))).map((f) => f.slice(join(dir, 'keys').length + 1))
    expect(names).toHaveLength(keys.length)
    for (const name of names) expect(name).toMatch(/^_[a-z0-9_^%-]+\/(=|_[a-z0-9_^%-]*)$/)
    expect((await d.list('')).keys).toEqual([...keys].sort())
  })

  it('round-trips and lists keys longer than a file name allows', async () => {
    const d = fsDriver({ dir: await tempDir() })
    const longRest = `rec/${'R'.repeat(300)}`
    const longHead = `${'h'.repeat(300)}/x`
    const longFlat = '~'.repeat(512)
    const longBoth = `${'%'.repeat(250)}/${'Z'.repeat(250)}`
    const keys = [longRest, `${longRest}2`, longHead, `${'h'.repeat(300)}/y`, longFlat, longBoth, 'rec/short']
    for (const k of keys) await d.set(k, enc.encode(k.slice(-3)))
    for (const k of keys) expect(text(await d.get(k))).toBe(k.slice(-3))
    expect((await d.list('')).keys).toEqual([...keys].sort())
    expect((await d.list('rec/')).keys).toEqual([longRest, `${longRest}2`, 'rec/short'])
    expect((await d.list('hhh')).keys).toEqual([longHead, `${'h'.repeat(300)}/y`])
    expect((await d.list(`${'h'.repeat(300)}/`)).keys).toEqual([longHead, `${'h'.repeat(300)}/y`])
    expect((await d.list('~~')).keys).toEqual([longFlat])
    await d.delete(longHead)
    expect((await d.list('h')).keys).toEqual([`${'h'.repeat(300)}/y`])
  })

  it('keeps one file per key when a key gains or loses its TTL', async () => {
    const dir = await tempDir()
    const d = fsDriver({ dir, now: () => clock })
    await d.set('k/a', enc.encode('1'), { ttlSeconds: 60 })
    await d.set('k/a', enc.encode('2'))
    expect(await filesUnder(join(dir, 'keys'))).toHaveLength(1)
    await d.setMany([{ key: 'k/a', value: enc.encode('3'), ttlSeconds: 60 }])
    expect(await filesUnder(join(dir, 'keys'))).toHaveLength(1)
    expect(text(await d.get('k/a'))).toBe('3')
    clock += 61_000
    expect(await d.get('k/a')).toBeNull()
    await d.set('k/a', enc.encode('4'))
    expect(await filesUnder(join(dir, 'keys'))).toHaveLength(1)
    expect(text(await d.get('k/a'))).toBe('4')
  })

  it('removes the file of an expired key once it is seen expired', async () => {
    const dir = await tempDir()
    const d = fsDriver({ dir, now: () => clock })
    await d.set('s/a', enc.encode('a'), { ttlSeconds: 1 })
    await d.set('s/b', enc.encode('b'), { ttlSeconds: 1 })
    await d.set('s/c', enc.encode('c'))
    clock += 2000
    expect(await d.get('s/a')).toBeNull()
    expect((await d.list('s/')).keys).toEqual(['s/c'])
    await d.close!() // waits for the background sweep
    expect(await filesUnder(join(dir, 'keys'))).toEqual([join(dir, 'keys', '_s', '_c')])
  })

  it('re-applies a leftover journal on open, including placements already done', async () => {
    const dir = await tempDir()
    const before = fsDriver({ dir, now: () => clock })
    await before.setMany(['x/old', 'x/gone', 'y/1'].map((key) => ({ key, value: enc.encode(`before ${key}`) })))
    await before.close!()
    // A crash right after the commit point: temps prepared, journal written, one placement done.
    const placements: Placement[] = [
      await prepared(dir, 'x/new', 'new'),
      await prepared(dir, 'x/old', 'overwritten'),
      await prepared(dir, 'z/ttl', 'expiring', clock + 10_000),
      { type: 'delete', key: 'x/gone' },
      { type: 'set', key: 'y/1', temp: randomBytes(12).toString('hex'), expiresAt: 0 },
    ]
    await writeFile(join(dir, 'keys', '_y', '_1'), keyFile('y/1', enc.encode('moved before the crash'), 0))
    await writeFile(join(dir, 'journal'), encodeJournal(placements))

    const after = fsDriver({ dir, now: () => clock })
    expect((await after.list('')).keys).toEqual(['x/new', 'x/old', 'y/1', 'z/ttl'])
    expect((await after.getMany(['x/new', 'x/old', 'y/1', 'z/ttl'])).map(text)).toEqual([
      'new',
      'overwritten',
      'moved before the crash',
      'expiring',
    ])
    expect(await readdir(dir)).not.toContain('journal')
    expect(await readdir(join(dir, 'tmp'))).toEqual([])
    clock += 11_000
    expect(await after.get('z/ttl')).toBeNull()
  })

  it('re-applying a journal twice gives the same store (crash during recovery)', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'tmp'), { recursive: true })
    await mkdir(join(dir, 'keys', '_a'), { recursive: true })
    const journal = encodeJournal([await prepared(dir, 'a/1', 'one'), { type: 'delete', key: 'a/2' }])
    await writeFile(join(dir, 'journal'), journal)
    const once = fsDriver({ dir })
    expect(text(await once.get('a/1'))).toBe('one')
    await once.close!()
    await writeFile(join(dir, 'journal'), journal) // as if the unlink of the journal had not reached the disk
    const twice = fsDriver({ dir })
    expect((await twice.list('')).keys).toEqual(['a/1'])
    expect(text(await twice.get('a/1'))).toBe('one')
  })

  it.each([
    ['truncated', (j: Uint8Array) => j.subarray(0, j.byteLength - 7)],
    ['cut inside the header', (j: Uint8Array) => j.subarray(0, 9)],
    ['empty', () => new Uint8Array(0)],
    ['one bit flipped', (j: Uint8Array) => j.map((b, i) => (i === 30 ? b ^ 4 : b))],
    ['garbage', () => enc.encode('not a journal at all, just some bytes')],
  ])('discards a %s journal and keeps the store as before', async (_, damage) => {
    const dir = await tempDir()
    const before = fsDriver({ dir })
    await before.setMany([
      { key: 'x/a', value: enc.encode('A') },
      { key: 'x/b', value: enc.encode('B') },
    ])
    await before.close!()
    const journal = encodeJournal([await prepared(dir, 'x/a', 'changed'), await prepared(dir, 'x/c', 'C'), { type: 'delete', key: 'x/b' }])
    await writeFile(join(dir, 'journal'), damage(journal))
    const after = fsDriver({ dir })
    expect((await after.list('')).keys).toEqual(['x/a', 'x/b'])
    expect((await after.getMany(['x/a', 'x/b'])).map(text)).toEqual(['A', 'B'])
    expect(await readdir(dir)).not.toContain('journal')
    expect(await readdir(join(dir, 'tmp'))).toEqual([])
  })

  it('an I/O failure before the commit point rejects with STORAGE and changes nothing', async () => {
    const dir = await tempDir()
    const d = fsDriver({ dir })
    await d.set('keep/1', enc.encode('kept'))
    await writeFile(join(dir, 'keys', '_blocked'), 'a file where the bucket directory should be')
    const ops: DriverOp[] = [
      { type: 'set', key: 'ok/1', value: enc.encode('x') },
      { type: 'delete', key: 'keep/1' },
      { type: 'set', key: 'blocked/1', value: enc.encode('x') },
    ]
    await expect(d.transaction!(ops)).rejects.toMatchObject({ name: 'MemoryError', code: 'STORAGE' })
    await expect(d.setMany(ops.filter((op) => op.type === 'set'))).rejects.toMatchObject({ code: 'STORAGE' })
    await expect(d.set('blocked/2', enc.encode('x'))).rejects.toMatchObject({ code: 'STORAGE' })
    expect((await d.list('')).keys).toEqual(['keep/1'])
    expect(text(await d.get('keep/1'))).toBe('kept')
    expect(await readdir(dir)).not.toContain('journal')
    expect(await readdir(join(dir, 'tmp'))).toEqual([])

    await rm(join(dir, 'keys', '_blocked'))
    await d.transaction!(ops)
    expect((await d.list('')).keys).toEqual(['blocked/1', 'ok/1'])
  })

  it('a full disk (ENOSPC) rejects with QUOTA_EXCEEDED and changes nothing', async (ctx) => {
    // Needs a tiny filesystem: a 512 KiB tmpfs, which only root on Linux can mount; skipped elsewhere.
    const mountPoint = await tempDir()
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint], { stdio: 'ignore' })
    } catch {
      ctx.skip()
    }
    try {
      const d = fsDriver({ dir: join(mountPoint, 'store') })
      await d.set('keep/1', enc.encode('kept'))
      const ops: DriverOp[] = [
        { type: 'set', key: 'a/1', value: new Uint8Array(200_000) },
        { type: 'set', key: 'a/2', value: new Uint8Array(400_000) },
        { type: 'delete', key: 'keep/1' },
      ]
      await expect(d.transaction!(ops)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' })
      await expect(d.set('big/1', new Uint8Array(600_000))).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' })
      expect((await d.list('')).keys).toEqual(['keep/1'])
      expect(await readdir(join(mountPoint, 'store', 'tmp'))).toEqual([])
      await d.set('small/1', enc.encode('still works'))
      expect((await d.list('')).keys).toEqual(['keep/1', 'small/1'])
      await d.close!()
    } finally {
      execFileSync('umount', [mountPoint])
    }
  })

  it('reports a damaged key file as CORRUPTED', async () => {
    const dir = await tempDir()
    const d = fsDriver({ dir })
    await d.set('rec/a', enc.encode('fine'))
    await writeFile(join(dir, 'keys', '_rec', '_a'), 'garbage')
    await expect(d.get('rec/a')).rejects.toMatchObject({ code: 'CORRUPTED' })
  })

  it('estimates usage from the files', async () => {
    const d = fsDriver({ dir: await tempDir() })
    const empty = (await d.estimate!()).usage!
    await d.set('big/1', new Uint8Array(100_000))
    expect((await d.estimate!()).usage! - empty).toBeGreaterThanOrEqual(100_000)
  })

  it('holds a lock file while open; closing an instance that was taken over keeps the new holder locked', async () => {
    const dir = await tempDir()
    const a = fsDriver({ dir })
    await a.get('k')
    const b = fsDriver({ dir }) // same process: allowed, takes the lock over
    await b.get('k')
    await a.close!()
    expect(await readdir(dir)).toContain('lock')
    await b.close!()
    expect(await readdir(dir)).not.toContain('lock')
  })

  it('rejects calls after close with CLOSED', async () => {
    const d = fsDriver({ dir: await tempDir() })
    await d.set('a', enc.encode('a'))
    await d.close!()
    await expect(d.get('a')).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(d.set('a', enc.encode('b'))).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('never leaves a transaction half applied when the process is killed (SIGKILL at random points)', async () => {
    const dir = await tempDir()
    const driverUrl = new URL('../../src/store/drivers/fs.ts', import.meta.url).href
    // Transaction i writes a/i and b/i and moves c/last to i: after any kill, a/i and b/i exist together.
    const child = `
      import { fsDriver } from ${JSON.stringify(driverUrl)}
      const d = fsDriver({ dir: process.argv[1], fsync: false }) // a killed process loses no page cache
      const v = (s) => new TextEncoder().encode(s)
      for (let i = Number(process.argv[2]); ; i++) {
        await d.transaction([{ type: 'set', key: 'a/' + i, value: v(String(i)) }, { type: 'set', key: 'b/' + i, value: v(String(i).repeat(500)) },
          { type: 'set', key: 'c/last', value: v(String(i)) }, { type: 'delete', key: 'a/' + (i - 3) }, { type: 'delete', key: 'b/' + (i - 3) }])
        process.stdout.write(i + '\\n')
      }`
    let next = 0
    let acked = -1
    for (let round = 0; round < 4; round++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, dir, String(next)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let out = ''
      const exited = new Promise((resolve) => proc.on('exit', resolve))
      await new Promise<void>((resolve) => {
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes('\n')) resolve()
        })
      })
      if (round === 0) {
        // While the child holds the store, another process must not open it.
        const intruder = fsDriver({ dir })
        await expect(intruder.get('c/last')).rejects.toMatchObject({ code: 'CONFLICT' })
      }
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 60))
      proc.kill('SIGKILL')
      await exited
      const lines = out.split('\n').filter((l) => l !== '')
      if (lines.length > 0) acked = Number(lines[lines.length - 1])
      const d = fsDriver({ dir })
      const a = (await d.list('a/')).keys.map((k) => Number(k.slice(2))).sort((x, y) => x - y)
      const b = (await d.list('b/')).keys.map((k) => Number(k.slice(2))).sort((x, y) => x - y)
      expect(a).toEqual(b)
      const last = a[a.length - 1]!
      expect(last).toBeGreaterThanOrEqual(acked)
      expect(a).toEqual([last - 2, last - 1, last].filter((i) => i >= 0))
      expect(text(await d.get('c/last'))).toBe(String(last))
      for (const i of a) expect(text(await d.get(`b/${i}`))).toBe(String(i).repeat(500))
      expect(await readdir(dir)).not.toContain('journal')
      await d.close!()
      next = last + 1
    }
    expect(acked).toBeGreaterThan(0)
  })
})

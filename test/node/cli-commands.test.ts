/**
 * The `engram` command end to end: every command run as a spawned process on a temp store, JSON
 * output parsed and checked, exit codes and messages of bad input, all-or-nothing imports.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { type CliResult, engram, ensureBuilt, FIXTURES, tempDir } from '../fixtures/cli/harness.js'

interface Hit {
  memory: { id: string; content: string; type: string }
  score: number
}

let dir: string
/** engram with --dir set to this file's store. */
const run = (...args: string[]) => engram(['--dir', dir, ...args])
const ok = (r: CliResult) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  return r
}

beforeAll(async () => {
  await ensureBuilt()
  dir = join(await tempDir(), 'store')
}, 120_000)

describe('engram CLI on a local store', () => {
  it('with the real default model, search finds a memory by meaning alone', async () => {
    const store = join(await tempDir(), 'model-store')
    const real = (...args: string[]) => engram(['--dir', store, ...args], { env: { ENGRAM_EMBEDDER: '' } })
    ok(await real('store', 'Allergic to peanuts', '--type', 'semantic'))
    ok(await real('store', 'The red bicycle was stolen from the garage'))
    const status = ok(await real('status', '--json')).json<{ embedder: { id: string } }>()
    expect(status.embedder.id).toMatch(/use-lite/)
    const hits = ok(await real('search', 'someone took my bike', '--k', '1', '--json')).json<{ results: Hit[] }>()
    expect(hits.results[0]!.memory.content).toBe('The red bicycle was stolen from the garage')
    const bad = await engram(['--dir', store, 'status'], { env: { ENGRAM_EMBEDDER: 'word2vec' } })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/ENGRAM_EMBEDDER=word2vec is not known/)
  }, 120_000)

  it('store prints { id } and search finds it first; status counts it', async () => {
    const pref = ok(await run('store', 'User prefers morning meetings', '--type', 'preference', '--json')).json<{ id: string }>()
    expect(pref.id).toMatch(/^\S+$/)
    ok(await run('store', 'Meeting with Bob about the apollo budget', '--metadata', '{"project":"apollo"}', '--importance', '0.7'))
    ok(await run('store', 'test note one'))
    ok(await run('store', 'Test note two'))
    ok(await run('store', 'The capital of France is Paris', '--type', 'semantic'))

    const search = ok(await run('search', 'when do I like morning meetings', '--k', '5', '--json')).json<{ results: Hit[] }>()
    expect(search.results.length).toBeGreaterThan(0)
    expect(search.results.length).toBeLessThanOrEqual(5)
    expect(search.results[0]!.memory.id).toBe(pref.id)

    const typed = ok(await run('search', 'meeting', '--type', 'semantic', '--json')).json<{ results: Hit[] }>()
    expect(typed.results.every((h) => h.memory.type === 'semantic')).toBe(true)
    const filtered = ok(await run('search', 'meeting', '--filter', '{"project":"apollo"}', '--json')).json<{ results: Hit[] }>()
    expect(filtered.results.map((h) => h.memory.content)).toEqual(['Meeting with Bob about the apollo budget'])

    const status = ok(await run('status', '--json')).json<{
      total: number
      byType: Record<string, number>
      byTier: Record<string, number>
      health: { ok: boolean }
    }>()
    expect(status.total).toBe(5)
    expect(status.byType).toMatchObject({ preference: 1, semantic: 1, episodic: 3 })
    expect(status.byTier['long-term']).toBe(5)
    expect(status.health.ok).toBe(true)

    const human = ok(await run('status'))
    expect(human.stdout).toContain('5 memories')
    expect(human.stdout).toMatch(/preference\s*│\s*1/)
  })

  it('get, update (versioned) and list', async () => {
    const [hit] = ok(await run('search', 'capital of France', '--k', '1', '--json')).json<{ results: Hit[] }>().results
    const id = hit!.memory.id
    const got = ok(await run('get', id, '--json')).json<{ memory: { content: string } }>()
    expect(got.memory.content).toBe('The capital of France is Paris')
    const updated = ok(
      await run('update', id, '--content', 'The capital of France is Paris (since 508 AD)', '--importance', '0.9', '--json'),
    ).json<{
      memory: { version: number; importance: number }
    }>()
    expect(updated.memory).toMatchObject({ version: 2, importance: 0.9 })
    const withHistory = ok(await run('get', id, '--history', '--json')).json<{ history: { op: string }[] }>()
    expect(withHistory.history.map((h) => h.op)).toEqual(['store', 'update'])
    const list = ok(await run('list', '--type', 'semantic', '--json')).json<{ items: { id: string }[] }>()
    expect(list.items.map((r) => r.id)).toEqual([id])

    const missing = await run('get', 'no-such-id')
    expect(missing.code).toBe(3)
    expect(missing.stderr).toContain("No memory with id 'no-such-id'")
    expect(missing.stderr).toContain('engram list')
    const nothing = await run('update', id)
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain('Nothing to update')
  })

  it('forget --pattern forgets exactly the glob matches, after a snapshot that rollback restores', async () => {
    const dry = ok(await run('forget', '--pattern', 'test*', '--dry-run', '--json')).json<{ ids: string[]; forgotten: number }>()
    expect(dry.ids).toHaveLength(2)
    expect(dry.forgotten).toBe(0)
    expect(ok(await run('status', '--json')).json<{ total: number }>().total).toBe(5)

    const done = ok(await run('forget', '--pattern', 'test*', '--json')).json<{ ids: string[]; forgotten: number; snapshot: string }>()
    expect(done.forgotten).toBe(2)
    expect(done.ids.sort()).toEqual(dry.ids.sort())
    const left = ok(await run('list', '--json'))
      .json<{ items: { content: string }[] }>()
      .items.map((r) => r.content)
    expect(left.some((c) => /^test/i.test(c))).toBe(false)
    expect(left).toHaveLength(3)

    const rolled = ok(await run('rollback', done.snapshot, '--json')).json<{ restored: number }>()
    expect(rolled.restored).toBe(2)
    expect(ok(await run('status', '--json')).json<{ total: number }>().total).toBe(5)
  })

  it('forget by id and by --filter; forget with nothing to go on is a usage error', async () => {
    const id = ok(await run('store', 'temporary scratch', '--metadata', '{"category":"scratch"}', '--json')).json<{ id: string }>().id
    ok(await run('store', 'another scratch', '--metadata', '{"category":"scratch"}'))
    const byFilter = ok(await run('forget', '--filter', '{"category":"scratch"}', '--json')).json<{ forgotten: number; ids: string[] }>()
    expect(byFilter.forgotten).toBe(2)
    expect(byFilter.ids).toContain(id)
    const again = await run('forget', id)
    expect(again.code).toBe(3)

    const keep = ok(await run('store', 'forget me by id', '--json')).json<{ id: string }>().id
    expect(ok(await run('forget', keep, '--json')).json<{ forgotten: number }>().forgotten).toBe(1)

    const bare = await run('forget')
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('--pattern')
  })

  it('clean --age spares recent, important (--min-importance) and pinned memories', async () => {
    ok(await run('import', join(FIXTURES, 'dated.jsonl')))
    const dry = ok(await run('clean', '--age', '30d', '--min-importance', '0.5', '--dry-run', '--json')).json<{ ids: string[] }>()
    expect(dry.ids).toEqual(['old-low'])
    const all = ok(await run('clean', '--age', '30d', '--json')).json<{ ids: string[]; forgotten: number }>()
    expect(all.ids.sort()).toEqual(['old-high', 'old-low'])
    expect(ok(await run('get', 'old-pinned', '--json')).json<{ memory: { pinned: boolean } }>().memory.pinned).toBe(true)
    expect(ok(await run('status', '--json')).json<{ total: number }>().total).toBe(6)
    const bad = await run('clean', '--age', 'thirty days')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('not a duration')
  })

  it('analyze --timeframe reports what was stored and recalled, by type, with charts', async () => {
    const a = ok(await run('analyze', '--timeframe', '7d', '--json')).json<{
      stored: { total: number; byType: Record<string, number> }
      recalled: { memories: number; byType: Record<string, number> }
      buckets: { stored: number }[]
      total: number
    }>()
    // old-pinned was created in 2020: held, but not stored in the last 7 days.
    expect(a.total).toBe(6)
    expect(a.stored.total).toBe(5)
    expect(a.stored.byType.preference).toBe(1)
    expect(a.recalled.memories).toBeGreaterThanOrEqual(2)
    expect(a.recalled.byType.preference).toBe(1)
    expect(a.buckets).toHaveLength(7)
    expect(a.buckets.reduce((s, b) => s + b.stored, 0)).toBe(5)
    const human = ok(await run('analyze', '--timeframe', '7d'))
    expect(human.stdout).toContain('by type')
    expect(human.stdout).toMatch(/preference\s+1\s+█/)
  })

  it('export (jsonl and json) and import round-trip into a new store', async () => {
    const jsonl = ok(await run('export'))
    const lines = jsonl.stdout.trim().split('\n')
    expect(lines).toHaveLength(6)
    const first = JSON.parse(lines[0]!) as { id: string; embedding?: number[] }
    expect(Array.isArray(first.embedding)).toBe(true)
    const asJson = ok(await run('export', '--json')).json<{ id: string }[]>()
    expect(asJson.map((r) => r.id)).toEqual(lines.map((l) => (JSON.parse(l) as { id: string }).id))

    const out = join(await tempDir(), 'mem.json')
    expect(ok(await run('export', '--format', 'json', '--output', out, '--json')).json<{ exported: number }>().exported).toBe(6)
    const other = join(await tempDir(), 'store')
    const imported = ok(await engram(['--dir', other, 'import', out, '--json'])).json<{ imported: number }>()
    expect(imported.imported).toBe(6)
    const search = ok(await engram(['--dir', other, 'search', 'morning meetings', '--json'])).json<{ results: Hit[] }>()
    expect(search.results[0]!.memory.content).toBe('User prefers morning meetings')
  })

  it('a malformed import names the line and imports nothing', async () => {
    const fresh = join(await tempDir(), 'store')
    ok(await engram(['--dir', fresh, 'store', 'already here']))
    const syntax = await engram(['--dir', fresh, 'import', join(FIXTURES, 'malformed-syntax.jsonl')])
    expect(syntax.code).toBe(2)
    expect(syntax.stderr).toContain('malformed-syntax.jsonl line 3')
    expect(syntax.stderr).toContain('nothing was imported')
    // Line 4 holds record 3: the blank line 2 does not count as a record.
    const record = await engram(['--dir', fresh, 'import', join(FIXTURES, 'malformed-record.jsonl'), '--json'])
    expect(record.code).toBe(2)
    const error = record.json<{ error: { code: string; message: string } }>().error
    expect(error.code).toBe('VALIDATION')
    expect(error.message).toContain('malformed-record.jsonl line 4 (record 3)')
    expect(error.message).toContain('gossip')
    const status = ok(await engram(['--dir', fresh, 'status', '--json'])).json<{ total: number }>()
    expect(status.total).toBe(1)
    const missing = await engram(['--dir', fresh, 'import', join(FIXTURES, 'no-such-file.jsonl')])
    expect(missing.code).toBe(3)
  })

  it('backup and restore: verified, refuses to clobber, --replace makes the namespace the backup', async () => {
    const backupDir = join(await tempDir(), 'bk')
    const b = ok(await run('backup', backupDir, '--json')).json<{ records: number; sha256: string }>()
    expect(b.records).toBe(6)
    expect((await engram(['--dir', dir, 'backup', backupDir])).code).toBe(6)

    const target = join(await tempDir(), 'store')
    const r = ok(await engram(['--dir', target, 'restore', backupDir, '--json'])).json<{ restored: number }>()
    expect(r.restored).toBe(6)
    ok(await engram(['--dir', target, 'store', 'only in the target']))
    const refused = await engram(['--dir', target, 'restore', backupDir])
    expect(refused.code).toBe(6)
    expect(refused.stderr).toContain('--replace')
    const replaced = ok(await engram(['--dir', target, 'restore', backupDir, '--replace', '--json'])).json<{
      removed: number
      snapshot: string
    }>()
    expect(replaced.removed).toBe(1)
    expect(ok(await engram(['--dir', target, 'status', '--json'])).json<{ total: number }>().total).toBe(6)

    const records = join(backupDir, 'records.jsonl')
    await writeFile(records, (await readFile(records, 'utf8')).replace('morning', 'evening'))
    const damaged = await engram(['--dir', join(await tempDir(), 'store'), 'restore', backupDir])
    expect(damaged.code).toBe(1)
    expect(damaged.stderr).toContain('damaged')
  })

  it('snapshot, snapshot --list and rollback', async () => {
    const snap = ok(await run('snapshot', 'before-experiment', '--json')).json<{ snapshot: { id: string; label: string } }>().snapshot
    expect(snap.label).toBe('before-experiment')
    ok(await run('store', 'experimental memory'))
    const list = ok(await run('snapshot', '--list', '--json')).json<{ snapshots: { id: string }[] }>()
    expect(list.snapshots.map((s) => s.id)).toContain(snap.id)
    ok(await run('rollback', snap.id))
    const found = ok(await run('search', 'experimental memory', '--json')).json<{ results: Hit[] }>()
    expect(found.results.some((h) => h.memory.content === 'experimental memory')).toBe(false)
    expect((await run('rollback', 'no-such-snapshot')).code).toBe(3)
  })

  it('optimize reports; consolidate and summarize do real work or say plainly they are not available', async () => {
    const opt = ok(await run('optimize', '--json')).json<Record<string, unknown>>()
    expect(typeof opt).toBe('object')
    const fresh = join(await tempDir(), 'store')
    const inFresh = (...args: string[]) => engram(['--dir', fresh, ...args])
    for (const text of ['User prefers morning meetings', 'User prefers meetings in the morning', 'Paris is the capital of France']) {
      ok(await inFresh('store', text, '--type', 'preference'))
    }
    const consolidated = await inFresh('consolidate', '--similarity', '0.5', '--json')
    if (consolidated.code === 0) {
      const r = consolidated.json<{ merged: number; removed: number; groups: { canonical: string; merged: string[] }[] }>()
      expect(r.merged).toBeGreaterThanOrEqual(1)
      expect(ok(await inFresh('status', '--json')).json<{ total: number }>().total).toBe(3 - r.removed)
    } else {
      expect(consolidated.code, consolidated.stderr).toBe(4)
      expect(consolidated.json<{ error: { code: string } }>().error.code).toBe('UNSUPPORTED')
      expect(consolidated.stderr).toContain('not available')
    }
    const summarized = await inFresh('summarize', '--json')
    if (summarized.code === 0) {
      const summary = summarized.json<{ id: string; content: string; sourceIds: string[] }>()
      expect(summary.sourceIds.length).toBeGreaterThanOrEqual(1)
      expect(ok(await inFresh('get', summary.id, '--json')).json<{ memory: { content: string } }>().memory.content).toBe(summary.content)
    } else {
      expect(summarized.code, summarized.stderr).toBe(4)
      expect(summarized.stderr).toContain('not available')
    }
  })

  it('namespaces are separate', async () => {
    ok(await run('--namespace', 'other', 'store', 'lives in another namespace'))
    expect(ok(await run('--namespace', 'other', 'status', '--json')).json<{ total: number }>().total).toBe(1)
    const main = ok(await run('search', 'another namespace', '--json')).json<{ results: Hit[] }>()
    expect(main.results.some((h) => h.memory.content === 'lives in another namespace')).toBe(false)
  })

  it('bad arguments exit non-zero with a message that says what to do', async () => {
    const cases: [string[], number, RegExp][] = [
      [['frobnicate'], 2, /unknown command/],
      [['search', 'x', '--k', 'abc'], 2, /whole number from 1 to 1000/],
      [['search', 'x', '--filter', '{oops'], 2, /not valid JSON/],
      [['store', 'x', '--type', 'gossip'], 2, /use one of episodic/],
      [['store', 'x', '--importance', '2'], 2, /from 0 to 1/],
      [['store', 'x', '--tier', 'working'], 2, /short-term or long-term/],
      [['search'], 2, /missing required argument/],
      [['search', 'x', '--url', 'not a url'], 2, /is not a URL/],
      [['status', '--url', 'http://127.0.0.1:9'], 1, /Could not reach/],
    ]
    const results = await Promise.all(cases.map(([args]) => run(...args)))
    results.forEach((r, i) => {
      const [args, code, message] = cases[i]!
      expect(r.code, args.join(' ')).toBe(code)
      expect(r.stderr, args.join(' ')).toMatch(message)
    })
    const typo = join(await tempDir(), 'no-store-here')
    const missing = await engram(['--dir', typo, 'search', 'x'])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toContain(`No engram store at ${typo}`)
    const json = await run('search', 'x', '--k', '0', '--json')
    expect(json.code).toBe(2)
    expect(json.json<{ error: { message: string } }>().error.message).toContain('--k')
  })
})

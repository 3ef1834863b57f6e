/**
 * The `engram` command as people and other programs meet it: `serve` answering `search --url` over
 * loopback (the same REST routes as the edge), `--help` on every command, the store lock while a server holds it, and a real
 * terminal session in tmux (send-keys + capture-pane) of status, search and analyze.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, type CliResult, engram, ensureBuilt, FIXTURES, tempDir } from '../fixtures/cli/harness.js'

interface Hit {
  memory: { id: string; content: string }
}

let dir: string
const SECRET = 'a-test-secret-of-enough-length'
const ok = (r: CliResult) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  return r
}

beforeAll(async () => {
  await ensureBuilt()
  dir = join(await tempDir(), 'store')
  const run = (...args: string[]) => engram(['--dir', dir, ...args])
  for (const r of await Promise.all([run('import', join(FIXTURES, 'dated.jsonl'))])) expect(r.code, r.stderr).toBe(0)
  for (const [text, type] of [
    ['User prefers morning meetings', 'preference'],
    ['Meeting with Bob about the apollo budget', 'episodic'],
    ['The capital of France is Paris', 'semantic'],
  ] as const) {
    const r = await run('store', text, '--type', type)
    expect(r.code, r.stderr).toBe(0)
  }
  expect((await run('search', 'morning meetings')).code).toBe(0)
}, 120_000)

describe('help', () => {
  it('--help works for the program and every command', async () => {
    const top = ok(await engram(['--help']))
    const commands = ['status', 'store', 'search', 'get', 'update', 'list', 'forget', 'clean', 'optimize', 'consolidate', 'summarize']
    commands.push('analyze', 'export', 'import', 'backup', 'restore', 'snapshot', 'rollback', 'serve', 'token')
    for (const c of commands) expect(top.stdout).toContain(c)
    expect(top.stdout).toContain('Exit codes')
    const each = await Promise.all(commands.map((c) => engram([c, '--help'])))
    each.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0)
      expect(r.stdout, commands[i]).toContain(`Usage: engram ${commands[i]}`)
    })
  })
})

describe('engram serve', () => {
  let server: ChildProcess | undefined
  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL')
  })

  it('search --url against serve over loopback; the store is locked meanwhile; SIGTERM stops it cleanly', async () => {
    server = spawn(process.execPath, [BIN, '--dir', dir, 'serve', '--port', '0', '--json'], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ENGRAM_TOKEN_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const proc = server
    let stdout = ''
    let stderr = ''
    proc.stderr!.on('data', (d) => {
      stderr += d
    })
    const info = await new Promise<{ url: string; token: string; namespace: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stdout}\n${stderr}`)), 30_000)
      proc.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)))
      proc.stdout!.on('data', (d) => {
        stdout += d
        try {
          const doc = JSON.parse(stdout) as { url: string; token: string; namespace: string }
          clearTimeout(timer)
          resolve(doc)
        } catch {
          // not all of it yet
        }
      })
    })
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(info.namespace).toBe('default')

    const remote = (...args: string[]) => engram([...args, '--url', info.url, '--token', info.token])
    const search = await remote('search', 'morning meetings', '--k', '5', '--json')
    expect(search.code, search.stderr).toBe(0)
    const { results } = search.json<{ results: Hit[] }>()
    expect(results[0]!.memory.content).toBe('User prefers morning meetings')
    expect(results.length).toBeLessThanOrEqual(5)

    const stored = await engram(['store', '-', '--type', 'procedural', '--json', '--url', info.url, '--token', info.token], {
      input: 'stored over HTTP\n',
    })
    expect(stored.code, stored.stderr).toBe(0)
    const id = stored.json<{ id: string }>().id
    const status = await remote('status', '--json')
    expect(status.json<{ total: number; byType: Record<string, number> }>()).toMatchObject({ total: 7, byType: { procedural: 1 } })
    // engram token mints tokens with the server's secret: a read-only one can search, not store.
    const minted = await engram(['token', '--scopes', 'read', '--ttl', '1h', '--json'], { env: { ENGRAM_TOKEN_SECRET: SECRET } })
    expect(minted.code, minted.stderr).toBe(0)
    const readOnly = minted.json<{ token: string; scopes: string[] }>()
    expect(readOnly.scopes).toEqual(['read'])
    const asReader = (...args: string[]) => engram([...args, '--url', info.url, '--token', readOnly.token])
    const [readerSearch, readerStore] = await Promise.all([asReader('search', 'meetings', '--json'), asReader('store', 'not allowed')])
    expect(readerSearch.code, readerSearch.stderr).toBe(0)
    expect(readerStore.code).toBe(5)
    expect(readerStore.stderr).toContain("needs the 'write' scope")
    expect((await engram(['token'])).stderr).toContain('Set ENGRAM_TOKEN_SECRET')

    const summary = await remote('summarize', '--json')
    expect(summary.code, summary.stderr).toBe(0)
    const made = summary.json<{ id: string; sourceIds: string[] }>()
    expect(made.sourceIds.length).toBeGreaterThan(0)
    // Forgotten again so the terminal session below sees the same store as before.
    expect((await remote('forget', made.id)).code).toBe(0)
    const got = await remote('get', id, '--json')
    expect(got.json<{ memory: { content: string } }>().memory.content).toBe('stored over HTTP')

    const port = new URL(info.url).port
    const [noToken, badToken, notHere, local, secondServer] = await Promise.all([
      engram(['search', 'x', '--url', info.url]),
      engram(['search', 'x', '--url', info.url, '--token', 'eg1.bad.token']),
      remote('rollback', 'whatever'),
      engram(['--dir', dir, 'status']),
      tempDir().then((other) => engram(['--dir', other, 'serve', '--port', port])),
    ])
    expect(noToken.code).toBe(5)
    expect(noToken.stderr).toContain('--token')
    expect(badToken.code).toBe(5)
    expect(notHere.code).toBe(4)
    expect(notHere.stderr).toContain('not available over --url')
    // The fs driver wants one process per directory: a second opener is told where the server is.
    expect(local.code).toBe(6)
    expect(local.stderr).toContain(`--url ${info.url}`)
    expect(secondServer.code).toBe(6)
    expect(secondServer.stderr).toContain(`Port ${port} on 127.0.0.1 is in use`)

    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
    proc.kill('SIGTERM')
    expect(await exited).toBe(0)
    const after = await engram(['--dir', dir, 'status', '--json'])
    expect(after.code, after.stderr).toBe(0)
    expect(after.json<{ total: number }>().total).toBe(7)
  })
})

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe('a terminal session', () => {
  // tmux comes from Debian: `npm test` installs it (root + apt) or stops with the command that does.
  it('status, search and analyze read well in a real terminal (tmux), with colors only there', async () => {
    expect(hasTmux, 'tmux is missing: apt-get install -y tmux').toBe(true)
    const bin = join(await tempDir(), 'bin')
    await mkdir(bin)
    await symlink(BIN, join(bin, 'engram'))
    const session = `engram-cli-${process.pid}`
    const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' })
    const shell = `env -i PATH=${bin}:${process.env.PATH} HOME=/tmp TERM=xterm-256color ENGRAM_DIR=${dir} PS1='$ ' bash --norc --noprofile`
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '50', shell)
    try {
      let step = 0
      const type = async (command: string) => {
        step++
        tmux('send-keys', '-t', session, `${command}; echo __done_$((0+${step}))__`, 'Enter')
        const deadline = Date.now() + 30_000
        for (;;) {
          const screen = tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session)
          if (screen.split('\n').some((l) => l.trim() === `__done_${step}__`)) return screen
          if (Date.now() > deadline) throw new Error(`'${command}' did not finish:\n${screen}`)
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      const status = await type('engram status')
      expect(status).toMatch(/engram · namespace default/)
      expect(status).toMatch(/\d+ memories · /)
      expect(status).toMatch(/│ preference\s+│\s+1 │ █+/)
      const search = await type('engram search "when do I like to meet" --k 3')
      const firstRow = search.split('\n').find((l) => /^│ 1 /.test(l))
      expect(firstRow).toContain('User prefers morning meetings')
      const analyze = await type('engram analyze --timeframe 7d')
      expect(analyze).toMatch(/\d+ stored · \d+ recalled/)
      expect(analyze).toMatch(/preference\s+1\s+█+·+\s+1\s+█+/)
      const colored = tmux('capture-pane', '-p', '-e', '-S', '-', '-t', session)
      expect(colored).toContain('\u001b[')
    } finally {
      tmux('kill-session', '-t', session)
    }
  })

  it('pipes get no colors', async () => {
    const r = await engram(['--dir', dir, 'status'], { env: { NO_COLOR: '' } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain('\u001b[')
    expect(existsSync(dir)).toBe(true)
  })
})

#!/usr/bin/env node
// `npm start`: engram's edge runtime on this machine. Runs `wrangler dev --local` on 127.0.0.1 with local
// KV, R2 and Durable Object state (kept in .wrangler/state), makes the token secret once (.dev.vars),
// seeds a demo namespace on first start, then prints the dashboard URL and a demo token:
//
//   Dashboard: http://127.0.0.1:<port>/memory/dashboard
//   Token: <read+write token for the 'demo' namespace>
//
// Options: --port <n> (default 8787, or a free port when taken), --namespace <name> (default demo).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback
}
const namespace = option('namespace', 'demo')

/** The HMAC secret lives in .dev.vars (wrangler's local secrets file, never committed). */
export function ensureSecret() {
  const file = `${root}.dev.vars`
  const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const found = /^ENGRAM_TOKEN_SECRET\s*=\s*"?([^"\n]+)"?\s*$/m.exec(text)
  if (found) return found[1]
  const secret = randomBytes(32).toString('hex')
  writeFileSync(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}ENGRAM_TOKEN_SECRET="${secret}"\n`, { mode: 0o600 })
  return secret
}

export function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

export async function waitUntilUp(base, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`)
    try {
      const response = await fetch(`${base}/memory/dashboard`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`wrangler dev did not answer within ${timeoutMs / 1000} s`)
}

const DEMO = [
  ['User prefers morning meetings, ideally before 10am', 'preference', 0.8, { category: 'scheduling' }],
  ['User is allergic to peanuts', 'semantic', 0.95, { category: 'health' }],
  ['User likes green tea, not coffee', 'preference', 0.6, { category: 'food' }],
  ['To deploy, run the test suite first, then wrangler deploy', 'procedural', 0.7, { category: 'work' }],
  ['Had a stressful week before the product launch', 'emotional', 0.5, { category: 'mood' }],
  ['Current project: a memory layer for AI agents called engram', 'contextual', 0.7, { category: 'work' }],
  ['Met Dana at the Berlin conference; she works on vector search', 'episodic', 0.6, { category: 'people' }],
  ['User’s daughter starts school on September 3rd', 'episodic', 0.8, { category: 'family' }],
  ['Prefers concise answers with code examples', 'preference', 0.7, { category: 'style' }],
  ['The staging database is reset every Sunday night', 'semantic', 0.5, { category: 'work' }],
  ['User runs 5 km on Tuesdays and Thursdays', 'episodic', 0.4, { category: 'health' }],
  ['Booked flights to Lisbon for the October offsite', 'episodic', 0.6, { category: 'travel' }],
  ['Favourite editor is Neovim with a dark theme', 'preference', 0.3, { category: 'tools' }],
  ['Review pull requests in the afternoon, never before standup', 'procedural', 0.5, { category: 'work' }],
  ['Felt proud after the conference talk went well', 'emotional', 0.5, { category: 'mood' }],
  ['Asked about rate limits on the Cloudflare free plan', 'contextual', 0.3, { category: 'work' }],
]
const QUERIES = [
  'when should we schedule the meeting',
  'food allergies',
  'what drink does the user like',
  'how do I deploy',
  'travel plans',
  'morning meetings',
]

/** Seed the demo namespace through the API when it is empty; resolves to whether it seeded. */
export async function seedDemo(base, token) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const stats = await (await fetch(`${base}/memory/stats`, { headers })).json()
  if (stats.error) throw new Error(`seeding failed: ${stats.error.message}`)
  if (stats.total > 0) return false
  const day = 86_400_000
  // Spread over two weeks and two tiers so every chart has something to show.
  const items = DEMO.map(([content, type, importance, metadata], i) => {
    const item = { content, type, importance, metadata, createdAt: Date.now() - (DEMO.length - i) * day * 0.9 }
    if (i % 4 === 3) Object.assign(item, { tier: 'short-term', ttlMs: 7 * day })
    return item
  })
  const stored = await fetch(`${base}/memory/store`, { method: 'POST', headers, body: JSON.stringify({ items }) })
  if (!stored.ok) throw new Error(`seeding failed: ${await stored.text()}`)
  for (let round = 0; round < 3; round++) {
    for (const q of QUERIES.slice(0, QUERIES.length - round)) {
      await fetch(`${base}/memory/recall?q=${encodeURIComponent(q)}&k=3`, { headers })
    }
  }
  return true
}

/**
 * Spawn `wrangler dev --local` on 127.0.0.1 (stdout/stderr piped). Options: port, persistTo (state
 * directory, default .wrangler/state), envFile (secrets, default .dev.vars), vars ({ NAME: value }),
 * script (instead of wrangler.toml's main), cwd (the project folder, default this repository),
 * extraArgs (more wrangler arguments).
 */
export function spawnWranglerDev({ port, persistTo, envFile, vars = {}, script, cwd = root, extraArgs = [] }) {
  const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url))
  const args = [
    wrangler,
    'dev',
    ...(script ? [script] : []),
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--show-interactive-dev-session=false',
  ]
  if (persistTo) args.push('--persist-to', persistTo)
  if (envFile) args.push('--env-file', envFile)
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`)
  args.push(...extraArgs)
  return spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stopping it also stops the workerd processes it started.
    detached: true,
  })
}

/** Stop a process started by {@link spawnWranglerDev} and its workerd children; resolves when it exited. */
export function stopWranglerDev(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {
    child.kill('SIGTERM')
  }
  return exited
}

async function main() {
  const secret = ensureSecret()
  const { tsImport } = await import('tsx/esm/api')
  const { signToken } = await tsImport('../src/edge/auth.ts', import.meta.url)
  const wanted = Number(option('port', '8787'))
  const port = (await portIsFree(wanted)) ? wanted : await freePort()
  const base = `http://127.0.0.1:${port}`
  console.log(`engram: starting wrangler dev on ${base} (local KV, R2 and Durable Objects in .wrangler/state) ...`)

  const child = spawnWranglerDev({ port })
  // Hold wrangler's chatter until our two lines are out, so they come first.
  let held = []
  const forward = (stream, out) =>
    stream.on('data', (chunk) => {
      if (held) held.push([out, chunk])
      else out.write(chunk)
    })
  forward(child.stdout, process.stdout)
  forward(child.stderr, process.stderr)
  const flush = () => {
    for (const [out, chunk] of held ?? []) out.write(chunk)
    held = null
  }
  const stop = (code) => {
    process.exitCode = code
    stopWranglerDev(child)
  }
  process.on('SIGINT', () => stop(0))
  process.on('SIGTERM', () => stop(0))
  child.on('exit', (code) => {
    flush()
    process.exit(code ?? 0)
  })

  try {
    await waitUntilUp(base, child, 120_000)
    const token = await signToken(secret, { namespace, scopes: ['read', 'write'], ttlSeconds: 30 * 86_400, subject: 'npm-start' })
    const admin = await signToken(secret, { namespace, scopes: ['admin'], ttlSeconds: 600, subject: 'npm-start-seed' })
    const seeded = await seedDemo(base, admin)
    console.log(`Dashboard: ${base}/memory/dashboard`)
    console.log(`Token: ${token}`)
    console.log(`engram: namespace '${namespace}' ${seeded ? 'seeded with demo memories' : 'already has memories'}; try:`)
    console.log(`  curl -H "Authorization: Bearer <token>" "${base}/memory/recall?q=meetings&k=3"`)
    console.log('  (paste the token into the dashboard once; Ctrl-C stops the server)')
  } catch (e) {
    console.error(`engram: ${e.message}`)
    flush()
    stop(1)
    return
  }
  flush()
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main()

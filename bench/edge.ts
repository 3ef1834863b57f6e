/**
 * Loopback load against `wrangler dev --local` (workerd, a Durable Object per namespace, local DO
 * storage and R2): store and recall requests/s and p50/p95/p99 latency with 1k and 10k memories in a
 * namespace, and the bundle `wrangler deploy` would upload. Bounded: each phase stops after
 * REQUESTS requests or SECONDS seconds, whichever comes first.
 *
 * Run: npx tsx bench/edge.ts  (writes docs/bench/edge.md and docs/bench/edge.json)
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
// @ts-expect-error -- plain ESM script without type declarations
import { freePort, spawnWranglerDev, stopWranglerDev, waitUntilUp } from '../scripts/start.mjs'
import { createMemory } from '../src/core/memory.js'
import { signToken, tokenAuth } from '../src/edge/auth.js'
import { createHttpHandler } from '../src/edge/http.js'
import { createTestEmbedder } from '../src/embed/hashing.js'
import { memoryDriver } from '../src/store/drivers/memory.js'

const root = new URL('..', import.meta.url).pathname
const SIZES = [1000, 10_000]
const CONCURRENCY = 8
const REQUESTS = 300
const SECONDS = 10
const SECRET = 'bench-secret-0123456789abcdef'

const WORDS =
  'meeting coffee project deadline travel berlin lisbon report budget design review launch customer invoice doctor school garden recipe music guitar running tennis holiday flight hotel birthday dinner sister brother manager contract server database deploy release bug feature tea breakfast weekend office remote laptop phone battery train ticket museum book novel podcast movie concert'.split(
    ' ',
  )
let seed = 42
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed / 2 ** 32
}
const pick = () => WORDS[Math.floor(rand() * WORDS.length)]!
const sentence = (i: number) =>
  `Note ${i}: the user mentioned ${pick()} and ${pick()} while talking about ${pick()} ${pick()} on day ${i % 365}`
const TYPES = ['episodic', 'semantic', 'preference', 'procedural', 'emotional', 'contextual']

interface Phase {
  requests: number
  errors: number
  seconds: number
  rps: number
  p50: number
  p95: number
  p99: number
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0

async function load(make: (i: number) => Promise<Response>): Promise<Phase> {
  const latencies: number[] = []
  let next = 0
  let errors = 0
  const started = performance.now()
  const deadline = started + SECONDS * 1000
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS && performance.now() < deadline) {
        const i = next++
        const t0 = performance.now()
        const response = await make(i)
        await response.arrayBuffer()
        latencies.push(performance.now() - t0)
        if (!response.ok) errors++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const r = (x: number) => Math.round(x * 100) / 100
  return {
    requests: latencies.length,
    errors,
    seconds: r(seconds),
    rps: r(latencies.length / seconds),
    p50: r(pct(latencies, 50)),
    p95: r(pct(latencies, 95)),
    p99: r(pct(latencies, 99)),
  }
}

/** Build what `wrangler deploy` would upload into `out`, and measure it. */
function buildBundle(out: string): { files: number; bytes: number; gzipBytes: number } {
  {
    const run = spawnSync(process.execPath, [join(root, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', out], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    })
    if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`)
    const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && /\.(m?js|wasm)$/.test(d.name))
    let bytes = 0
    let gzipBytes = 0
    for (const f of files) {
      const path = join(f.parentPath, f.name)
      bytes += statSync(path).size
      gzipBytes += gzipSync(readFileSync(path), { level: 9 }).byteLength
    }
    return { files: files.length, bytes, gzipBytes }
  }
}

/**
 * A frozen copy of the project for wrangler dev: it rebuilds and restarts the runtime whenever a
 * watched source changes, and the sources may change under a long run.
 */
function snapshotProject(dir: string): string {
  const copy = join(dir, 'project')
  mkdirSync(copy)
  for (const part of ['src', 'worker', 'wrangler.toml', 'package.json', 'tsconfig.json'])
    cpSync(join(root, part), join(copy, part), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'))
  return copy
}

/**
 * Store one batch; if wrangler answers 503 "restarted mid-request" (its runtime can restart right
 * after start-up), retry only when the batch did not land.
 */
async function seedBatch(base: string, headers: Record<string, string>, items: unknown[], before: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(`${base}/memory/store`, { method: 'POST', headers, body: JSON.stringify({ items }) })
    const text = await r.text()
    if (r.ok) return
    if (r.status !== 503 || attempt >= 3) throw new Error(`seeding failed: ${text}`)
    console.log(`edge: retrying a seed batch after: ${text.slice(0, 120)}`)
    await new Promise((res) => setTimeout(res, 2000))
    const total = ((await (await fetch(`${base}/memory/stats`, { headers })).json()) as { total: number }).total
    if (total >= before + items.length) return
  }
}

async function runSize(size: number, dir: string, stateDir: string, project: string): Promise<unknown> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const child = spawnWranglerDev({
    port,
    persistTo: join(stateDir, String(size)),
    envFile: join(dir, 'dev.vars'),
    vars: { RATE_LIMIT_PER_MINUTE: 'off', MAX_BODY_BYTES: String(4 * 1024 * 1024) },
    cwd: project,
  })
  let log = ''
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  try {
    await waitUntilUp(base, child, 120_000)
    const namespace = `bench-${size}`
    const token = await signToken(SECRET, { namespace, scopes: ['read', 'write'], ttlSeconds: 3600 })
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const seedStart = performance.now()
    for (let i = 0; i < size; i += 1000) {
      const items = Array.from({ length: Math.min(1000, size - i) }, (_, j) => ({
        content: sentence(i + j),
        type: TYPES[(i + j) % TYPES.length],
      }))
      await seedBatch(base, headers, items, i)
    }
    const seedSeconds = (performance.now() - seedStart) / 1000
    console.log(`edge: ${size} memories seeded in ${seedSeconds.toFixed(1)} s`)
    const recall = await load(() => fetch(`${base}/memory/recall?q=${encodeURIComponent(`${pick()} ${pick()}`)}&k=10`, { headers }))
    const recallPeek = await load(() =>
      fetch(`${base}/memory/recall?q=${encodeURIComponent(`${pick()} ${pick()}`)}&k=10&peek=1`, { headers }),
    )
    const store = await load((i) =>
      fetch(`${base}/memory/store`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ content: sentence(size + i), type: TYPES[i % TYPES.length] }),
      }),
    )
    const total = ((await (await fetch(`${base}/memory/stats`, { headers })).json()) as { total: number }).total
    const row = {
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      seedPerSecond: Math.round(size / seedSeconds),
      recall,
      recallPeek,
      store,
      totalAfter: total,
    }
    console.log(`edge: ${size}`, JSON.stringify(row))
    return row
  } catch (e) {
    console.error(log)
    throw e
  } finally {
    await stopWranglerDev(child)
  }
}

/**
 * The peer: the same routes and data, the handler called in this Node process (memory driver, no
 * HTTP, no workerd): what the code costs without wrangler dev's proxy and the runtime hop.
 */
async function runInProcess(size: number): Promise<{ recall: Phase; store: Phase }> {
  const memory = await createMemory({ namespace: `bench-${size}`, store: memoryDriver(), embedder: createTestEmbedder({ dims: 256 }) })
  const handle = createHttpHandler({
    resolveMemory: async () => memory,
    auth: tokenAuth({ secret: SECRET }),
    limits: { rateLimitPerMinute: false },
  })
  const token = await signToken(SECRET, { namespace: `bench-${size}`, scopes: ['read', 'write'], ttlSeconds: 3600 })
  const headers = { authorization: `Bearer ${token}` }
  for (let i = 0; i < size; i += 1000) {
    await memory.storeBatch(
      Array.from({ length: Math.min(1000, size - i) }, (_, j) => ({
        content: sentence(i + j),
        type: TYPES[(i + j) % TYPES.length] as 'episodic',
      })),
    )
  }
  const recall = await load(() =>
    handle(new Request(`http://x/memory/recall?q=${encodeURIComponent(`${pick()} ${pick()}`)}&k=10`, { headers })),
  )
  const store = await load((i) =>
    handle(
      new Request('http://x/memory/store', {
        method: 'POST',
        headers,
        body: JSON.stringify({ content: sentence(size + i), type: TYPES[i % TYPES.length] }),
      }),
    ),
  )
  await memory.close()
  return { recall, store }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'engram-edge-bench-'))
  const stateDir = mkdtempSync(join(tmpdir(), 'engram-edge-bench-state-'))
  writeFileSync(join(dir, 'dev.vars'), `ENGRAM_TOKEN_SECRET="${SECRET}"\n`)
  const bundle = buildBundle(join(dir, 'bundle'))
  const project = snapshotProject(dir)
  const results: Record<string, unknown> = {}
  try {
    // A fresh `wrangler dev` per size: in one long run its isolate restarted after several hundred
    // requests (wrangler attaches a DevTools inspector that records every response), which would
    // mix restarts into the figures.
    for (const size of SIZES) {
      const edge = (await runSize(size, dir, stateDir, project)) as Record<string, unknown>
      edge.inProcess = await runInProcess(size)
      console.log(`edge: ${size} in-process`, JSON.stringify(edge.inProcess))
      results[size] = edge
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    rmSync(stateDir, { recursive: true, force: true })
  }
  const json = {
    concurrency: CONCURRENCY,
    maxRequestsPerPhase: REQUESTS,
    maxSecondsPerPhase: SECONDS,
    embedder: 'hashing (EMBEDDER var)',
    sizes: results,
    bundle,
  }
  mkdirSync(join(root, 'docs', 'bench'), { recursive: true })
  writeFileSync(join(root, 'docs', 'bench', 'edge.json'), `${JSON.stringify(json, null, 2)}\n`)

  type Row = {
    seedSeconds: number
    seedPerSecond: number
    recall: Phase
    recallPeek: Phase
    store: Phase
    inProcess: { recall: Phase; store: Phase }
  }
  const [small, large] = SIZES.map((s) => results[s] as Row) as [Row, Row]
  const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`)
  const line = (name: string, pick: (r: Row) => Phase) => {
    const a = pick(small)
    const b = pick(large)
    return [
      `| ${name} req/s | ${a.rps} | ${b.rps} | ${ratio(b.rps, a.rps)} |`,
      `| ${name} p50 ms | ${a.p50} | ${b.p50} | ${ratio(b.p50, a.p50)} |`,
      `| ${name} p95 ms | ${a.p95} | ${b.p95} | ${ratio(b.p95, a.p95)} |`,
      `| ${name} p99 ms | ${a.p99} | ${b.p99} | ${ratio(b.p99, a.p99)} |`,
    ]
  }
  const verdict = (route: string, share: number) =>
    share < 0.5
      ? `${route}: most of its cost here is the local runtime and its proxy, not the memory.`
      : `${route}: its cost here is mostly the memory's own work, which the runtime adds little to.`
  const errors = SIZES.flatMap((s) => {
    const r = results[s] as Row
    return [r.recall, r.recallPeek, r.store].map((p) => p.errors)
  }).reduce((a, b) => a + b, 0)
  const md = [
    '## Edge runtime (wrangler dev, loopback HTTP)',
    '',
    `\`wrangler dev --local\` on 127.0.0.1 (workerd; one Durable Object per namespace over its local storage, R2 for large values), the hashing embedder, rate limit off. ${CONCURRENCY} concurrent clients; each phase stops after ${REQUESTS} requests or ${SECONDS} s. Client-side latency over loopback HTTP, so it includes wrangler's local proxy and the Worker → Durable Object hop; wrangler dev also attaches a DevTools inspector that records every response. This is a local-runtime figure, not a prediction for Cloudflare's network. Recall counts an access (one storage write per recall); "recall (peek)" skips that write. Errors in all phases: ${errors}.`,
    '',
    `| | ${SIZES[0]} memories | ${SIZES[1]} memories | ${SIZES[1]}/${SIZES[0]} |`,
    '|---|---:|---:|---:|',
    ...line('recall', (r) => r.recall),
    ...line('recall (peek)', (r) => r.recallPeek),
    ...line('store', (r) => r.store),
    ...line('in-process recall', (r) => r.inProcess.recall),
    ...line('in-process store', (r) => r.inProcess.store),
    `| seeding (batches of 1000) memories/s | ${small.seedPerSecond} | ${large.seedPerSecond} | ${ratio(large.seedPerSecond, small.seedPerSecond)} |`,
    '',
    `Same run, ${SIZES[1]} memories: wrangler dev serves recall at ${ratio(large.recall.rps, large.inProcess.recall.rps)} and store at ${ratio(large.store.rps, large.inProcess.store.rps)} the requests/s of the same handler called in-process ("in-process" rows: Node, memory driver, no HTTP). ${verdict('Recall', large.recall.rps / large.inProcess.recall.rps)} ${verdict('Store', large.store.rps / large.inProcess.store.rps)} Recall (peek) serves ${ratio(large.recallPeek.rps, large.recall.rps)} the requests/s of counted recall; single stores run at ${ratio(large.store.rps, large.recall.rps)} the rate of recalls.`,
    '',
    `Deploy bundle (\`wrangler deploy --dry-run --outdir\`): ${bundle.files} file(s), ${(bundle.bytes / 1024).toFixed(1)} KiB, ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzipped (${ratio(bundle.gzipBytes, bundle.bytes)} of raw); the Workers limit is 3 MiB gzipped on the free plan.`,
    '',
  ].join('\n')
  writeFileSync(join(root, 'docs', 'bench', 'edge.md'), md)
  console.log(md)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

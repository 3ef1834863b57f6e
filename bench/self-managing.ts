/**
 * What the self-managing layer costs a write, and how long its heavy verbs take. Same machine, same run:
 *   - store() latency (p50/p95, one memory at a time) with N memories already stored, with the default
 *     policy (exact dedup, supersession, entity extraction in the write path) against the same memory
 *     with all three switched off — the ratio is the write-path overhead;
 *   - consolidate() over a 24-hour window of 1,000 memories, summarize() of a 200-turn conversation,
 *     context() packing at 1,024 tokens, optimize() (lifecycle) over N memories.
 * The hashing test embedder keeps the model out of the figures (it measures this layer, not embedding).
 *
 * Run: npx tsx bench/self-managing.ts  (writes docs/bench/self-managing.md and .json)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createMemory } from '../src/core/memory.js'
import type { PolicyInput } from '../src/core/policy.js'
import { createTestEmbedder } from '../src/embed/hashing.js'
import { memoryDriver } from '../src/store/drivers/memory.js'

const SIZES = [1000, 10_000, 30_000]
const PROBES = 200
const WORDS =
  'meeting coffee project deadline travel berlin lisbon report budget design review launch customer invoice doctor school garden recipe music guitar running tennis holiday flight hotel birthday dinner sister brother manager contract server database deploy release bug feature tea breakfast weekend office'.split(
    ' ',
  )
let seed = 7
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed / 2 ** 32
}
const pick = () => WORDS[Math.floor(rand() * WORDS.length)]!
const NAMES = ['Anna', 'Ben', 'Caroline', 'Melanie', 'Sam', 'Jenna']
const sentence = (i: number) =>
  `${NAMES[i % NAMES.length]} mentioned ${pick()} and ${pick()} while talking about ${pick()} ${pick()} in Berlin on day ${i}`
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
const ms = (x: number) => Math.round(x * 1000) / 1000

const OFF: PolicyInput = { dedup: { exact: false }, supersede: { enabled: false }, entities: { enabled: false } }

async function filled(n: number, policy: PolicyInput | undefined) {
  const mem = await createMemory({
    embedder: createTestEmbedder({ dims: 256 }),
    store: memoryDriver(),
    snapshotEvery: 1e9,
    ...(policy ? { policy } : {}),
  })
  for (let i = 0; i < n; i += 1000) {
    await mem.storeBatch(Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ content: sentence(i + j) })))
  }
  return mem
}

/** Both memories hold N records; probes alternate between them so load changes hit both alike. */
async function storeLatency(n: number) {
  const on = await filled(n, undefined)
  const off = await filled(n, OFF)
  const times = { on: [] as number[], off: [] as number[] }
  for (let i = 0; i < PROBES; i++) {
    for (const [name, mem] of [
      ['on', on],
      ['off', off],
    ] as const) {
      const t0 = performance.now()
      await mem.store(sentence(n + i))
      times[name].push(performance.now() - t0)
    }
  }
  await Promise.all([on.close(), off.close()])
  const stat = (list: number[]) => {
    list.sort((a, b) => a - b)
    return { p50: ms(pct(list, 50)), p95: ms(pct(list, 95)) }
  }
  return { on: stat(times.on), off: stat(times.off) }
}

async function verbs() {
  const mem = await createMemory({ embedder: createTestEmbedder({ dims: 256 }), store: memoryDriver(), snapshotEvery: 1e9 })
  await mem.storeBatch(
    Array.from({ length: 1000 }, (_, i) => ({ content: sentence(i % 400), scope: { userId: 'u' } })),
    {},
  )
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now()
    await fn()
    return ms(performance.now() - t0)
  }
  const consolidate = await time(() => mem.consolidate({ windowHours: 24, similarity: 0.9 }))
  const consolidateAgain = await time(() => mem.consolidate({ windowHours: 24, similarity: 0.9 }))
  await mem.storeBatch(
    Array.from({ length: 200 }, (_, i) => ({ content: `Turn ${i}: ${sentence(i)}.`, scope: { userId: 'u', conversationId: 'c' } })),
  )
  const summarize = await time(() => mem.summarize({ conversationId: 'c' }))
  const context = await time(() => mem.context({ conversationId: 'c', maxTokens: 1024 }))
  const optimize = await time(() => mem.optimize())
  await mem.close()
  return { consolidate, consolidateAgain, summarize, context, optimize }
}

const rows: { n: number; on: { p50: number; p95: number }; off: { p50: number; p95: number } }[] = []
for (const n of SIZES) {
  const { on, off } = await storeLatency(n)
  rows.push({ n, on, off })
  console.log(n, on, off)
}
const v = await verbs()
console.log(v)

const md = [
  '## Self-managing memory: write-path overhead and heavy verbs',
  '',
  `store() latency in ms, one memory at a time (${PROBES} probes each, alternating between the two memories), in-memory driver, hashing test embedder (256-d), after N memories were stored. "policy on" is the default policy (exact dedup, supersession heuristic, entity extraction inside the write); "off" switches all three off.`,
  '',
  '| N stored | policy on p50 | off p50 | on/off | policy on p95 | off p95 | on/off |',
  '|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.n.toLocaleString('en')} | ${r.on.p50} | ${r.off.p50} | ${(r.on.p50 / r.off.p50).toFixed(2)}× | ${r.on.p95} | ${r.off.p95} | ${(r.on.p95 / r.off.p95).toFixed(2)}× |`,
  ),
  '',
  'Heavy verbs (run after writes are durable: explicitly, or by `optimize()` / `schedule`), ms:',
  '',
  '| verb | ms |',
  '|---|---:|',
  `| consolidate(), 1,000 memories in the window (pairwise clustering) | ${v.consolidate} |`,
  `| consolidate() again (idempotent, nothing to merge) | ${v.consolidateAgain} |`,
  `| summarize() of a 200-turn conversation (MMR over sentence embeddings) | ${v.summarize} |`,
  `| context() at 1,024 tokens | ${v.context} |`,
  `| optimize() lifecycle + snapshot over ~1,200 memories | ${v.optimize} |`,
  '',
].join('\n')
mkdirSync(new URL('../docs/bench/', import.meta.url), { recursive: true })
writeFileSync(new URL('../docs/bench/self-managing.md', import.meta.url), md)
writeFileSync(new URL('../docs/bench/self-managing.json', import.meta.url), `${JSON.stringify({ store: rows, verbs: v }, null, 2)}\n`)

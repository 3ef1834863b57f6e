import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { createMemory } from '../../src/node.js'

const ROOT = new URL('../..', import.meta.url).pathname
const RUNS = 50

/** Start the writer, let it acknowledge some writes, SIGKILL it at a random moment; resolves to the acknowledged lines. */
function runAndKill(writer: string, dir: string, run: number, killAfterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir, String(run)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let buffer = ''
    let stderr = ''
    const acked: string[] = []
    let timer: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop()!
      for (const line of lines) {
        if (line === 'ready') timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
        else if (line) acked.push(line)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('exit', (_code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${String(signal)}): ${stderr}`))
      else resolve(acked)
    })
  })
}

describe('crash safety on the fs driver', () => {
  const dirs: string[] = []
  let writer = ''
  beforeAll(async () => {
    // One bundle for the child: 50 starts of a plain .mjs instead of 50 TypeScript transforms.
    const out = await mkdtemp(join(tmpdir(), 'engram-crash-writer-'))
    dirs.push(out)
    writer = join(out, 'writer.mjs')
    await build({
      entryPoints: [join(ROOT, 'test/fixtures/crash-writer.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: writer,
      logLevel: 'error',
    })
  })
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

  it(`loses no acknowledged write across ${RUNS} SIGKILLs at random points`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'engram-crash-'))
    dirs.push(dir)
    // A seeded sequence of kill delays, so a failure can be reproduced.
    let seed = 12345
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const all = new Map<string, string>()
    for (let run = 0; run < RUNS; run++) {
      const acked = await runAndKill(writer, dir, run, 5 + Math.floor(random() * 250))
      for (const line of acked) {
        const [ids, token] = line.split(' ')
        const parts = ids!.split(',')
        if (parts.length === 2) {
          all.set(parts[0]!, `${token}a`)
          all.set(parts[1]!, `${token}b`)
        } else all.set(parts[0]!, token!)
      }
      const mem = await createMemory({ path: dir, embedder: createTestEmbedder() })
      const missing: string[] = []
      for (const [id, token] of all) if (!(await mem.find(id))) missing.push(`${id} (${token})`)
      expect(missing, `run ${run}: acknowledged writes lost`).toEqual([])
      // Every write of this run is recallable by its unique token.
      for (const line of acked.slice(-3)) {
        const [ids, token] = line.split(' ')
        const id = ids!.split(',')[0]!
        const query = ids!.includes(',') ? `${token}a` : token!
        const hits = await mem.recall(query, { k: 3, mode: 'keyword', peek: true })
        expect(
          hits.map((h) => h.memory.id),
          `run ${run}: ${query} not recalled`,
        ).toContain(id)
      }
      expect((await mem.health()).ok).toBe(true)
      await mem.close()
    }
    expect(all.size).toBeGreaterThan(RUNS)
  }, 600_000)
})

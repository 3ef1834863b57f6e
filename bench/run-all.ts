/**
 * `npm run bench`: runs every benchmark in bench/ (each writes docs/bench/<name>.md and .json), then
 * assembles docs/BENCHMARKS.md with the machine, the versions and the date.
 * `npm run bench -- vector embed` runs only those; the report still includes every section on disk.
 * `npm run bench -- --assemble` runs nothing and rebuilds docs/BENCHMARKS.md from the sections on disk.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const benchDir = join(root, 'bench')
const sectionsDir = join(root, 'docs', 'bench')
mkdirSync(sectionsDir, { recursive: true })

const all = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && f !== 'run-all.ts' && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort()
const assembleOnly = process.argv.includes('--assemble')
const wanted = process.argv.slice(2).filter((a) => a !== '--assemble')
const unknown = wanted.filter((w) => !all.includes(w))
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${all.join(', ')}`)
  process.exit(2)
}

const failures: string[] = []
for (const name of assembleOnly ? [] : wanted.length > 0 ? wanted : all) {
  console.log(`\n=== bench/${name}.ts`)
  const started = Date.now()
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`)], { cwd: root, stdio: 'inherit' })
  console.log(`=== bench/${name}.ts ${run.status === 0 ? 'done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  if (run.status !== 0) failures.push(name)
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>
const versionOf = (name: string) => {
  const file = join(root, 'node_modules', name, 'package.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'not installed'
}
const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).sort()
const cpu = cpus()[0]?.model ?? 'unknown CPU'
const header = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (bench/run-all.ts); every section below comes from its own script in bench/.',
  'Machines here are shared and noisy: read each figure against its peer from the same run (the ratio), not alone.',
  '',
  assembleOnly
    ? `- Assembled ${new Date().toISOString()} from the sections on disk; each section names its own run (date, load) where its script records it`
    : `- Date: ${new Date().toISOString()}`,
  `- Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform}/${process.arch}`,
  `- Node ${process.version}`,
  `- Versions: ${deps.map((d) => `${d} ${versionOf(d)}`).join(', ')}`,
  failures.length > 0 ? `- Failed in this run (sections may be from an earlier run): ${failures.join(', ')}` : '',
  '',
]
const sections = readdirSync(sectionsDir)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => readFileSync(join(sectionsDir, f), 'utf8').trim())
writeFileSync(join(root, 'docs', 'BENCHMARKS.md'), `${header.join('\n')}\n${sections.join('\n\n')}\n`)
console.log(`\nWrote docs/BENCHMARKS.md (${sections.length} sections)${failures.length ? `; failed: ${failures.join(', ')}` : ''}`)
process.exit(failures.length > 0 ? 1 : 0)

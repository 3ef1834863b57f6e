#!/usr/bin/env node
// `npm test`: every vitest project (node, browser, workers), with a JSON report for CI.
// Extra arguments go to vitest (e.g. `npm test -- --project node`).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { ensureSystemTools } from './ensure-chromium.mjs'

const args = process.argv.slice(2)
const projects = readdirSync(new URL('../test', import.meta.url)).filter((d) =>
  existsSync(new URL(`../test/${d}/vitest.config.ts`, import.meta.url)),
)
const only = args.flatMap((a, i) => (a === '--project' ? [args[i + 1]] : a.startsWith('--project=') ? [a.slice(10)] : []))
const wanted = only.length > 0 ? only : projects
ensureSystemTools({ chromium: wanted.includes('browser') || wanted.includes('workers') })

const vitest = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=.vitest-report.json', ...args],
  { stdio: 'inherit', cwd: new URL('..', import.meta.url).pathname },
)
process.exit(vitest.status ?? 1)

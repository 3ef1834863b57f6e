#!/usr/bin/env node
/** Entry of the `engram` bin (package.json `bin.engram` → dist/src/cli/main.js). */
import { run } from './program.js'

// `engram export | head`: the reader went away; stop quietly like other Unix tools.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})

process.exitCode = await run(process.argv.slice(2))
// A stray handle (a model runtime's worker, a keep-alive socket) must not keep a finished command alive.
setTimeout(() => process.exit(), 2000).unref()

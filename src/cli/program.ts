/**
 * The `engram` command: global options, every subcommand, and one place that turns failures into
 * a message that says what to do and a meaningful exit code (see exit-codes.ts).
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError, Help, Option } from 'commander'
import { isMemoryError } from '../core/errors.js'
import { registerAnalyzeCommand } from './commands/analyze.js'
import { registerForgetCommands } from './commands/forget.js'
import { registerMaintainCommands } from './commands/maintain.js'
import { registerRecordCommands } from './commands/records.js'
import { registerServeCommand, registerTokenCommand } from './commands/serve.js'
import { registerTransferCommands } from './commands/transfer.js'
import { EXIT, exitCodeOf } from './exit-codes.js'
import { Output } from './output.js'

/** The package version, from dist/src/cli (built) or src/cli (run from source). */
function version(): string {
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'engram' && pkg.version) return pkg.version
    } catch {
      // not at this level
    }
  }
  return '0.0.0'
}

const EPILOG = `
Exit codes: 0 ok · 1 failed · 2 bad usage or input · 3 not found · 4 not available here ·
            5 not authorized · 6 store busy or conflict
Environment: ENGRAM_DIR, ENGRAM_NAMESPACE, ENGRAM_URL, ENGRAM_TOKEN (same as the options),
             ENGRAM_TOKEN_SECRET (serve), NO_COLOR.
Run 'engram <command> --help' for a command's options.`

/** The order `engram --help` lists commands in: everyday verbs first. */
const ORDER = ['status', 'store', 'search', 'get', 'update', 'list', 'forget', 'clean', 'analyze', 'optimize', 'consolidate', 'summarize']
ORDER.push('snapshot', 'rollback', 'export', 'import', 'backup', 'restore', 'serve', 'token')

export function buildProgram(): Command {
  const program = new Command('engram')
    .description('Private long-term memory for AI agents: look inside a local store or a deployed endpoint.')
    .version(version(), '-V, --version')
    .addOption(new Option('-d, --dir <dir>', 'local store directory').default('./.engram').env('ENGRAM_DIR'))
    .addOption(new Option('-n, --namespace <ns>', 'memory namespace (default "default")').env('ENGRAM_NAMESPACE'))
    .addOption(new Option('--json', 'print exactly one JSON document on stdout'))
    .addOption(new Option('--url <url>', 'use a deployed endpoint instead of --dir (e.g. http://127.0.0.1:8787)').env('ENGRAM_URL'))
    .addOption(new Option('--token <token>', 'bearer token for --url').env('ENGRAM_TOKEN'))
    .showHelpAfterError("(run 'engram --help' or 'engram <command> --help' for usage)")
    .showSuggestionAfterError(true)
    .addHelpText('after', EPILOG)
  registerMaintainCommands(program)
  registerRecordCommands(program)
  registerForgetCommands(program)
  registerAnalyzeCommand(program)
  registerTransferCommands(program)
  registerServeCommand(program)
  registerTokenCommand(program)
  const rank = (c: Command) => (ORDER.includes(c.name()) ? ORDER.indexOf(c.name()) : ORDER.length)
  const help = new Help()
  program.configureHelp({ visibleCommands: (cmd) => help.visibleCommands(cmd).sort((a, b) => rank(a) - rank(b)) })
  program.commands.forEach((c) => {
    c.showHelpAfterError(`(run 'engram ${c.name()} --help' for usage)`)
  })
  const exit = (cmd: Command) => {
    cmd.exitOverride()
    cmd.commands.forEach(exit)
  }
  exit(program)
  return program
}

const HINTS: Record<string, string> = {
  NOT_FOUND: "List memories with 'engram list' or find one with 'engram search <text>'.",
  UNAUTHORIZED: 'Pass --token <token> (engram serve prints one at start) or set ENGRAM_TOKEN.',
  FORBIDDEN: 'The token does not allow this: use a token for this namespace with the needed scope.',
  STORAGE: 'Check that the --dir directory is writable, or that the --url server is up.',
  CORRUPTED: "The store or file is damaged: restore a backup ('engram restore <dir>') or roll back ('engram rollback <snapshot>').",
  EMBEDDING: 'The embedding model failed: check that the model files are installed.',
  RATE_LIMITED: 'Too many requests: wait a moment and try again.',
}

/** Run the command line; resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv, { from: 'user' })
    return EXIT.OK
  } catch (e) {
    const out = new Output({ json: argv.includes('--json') })
    if (e instanceof CommanderError) {
      // Help and version are printed by commander itself and are not failures.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK
      if (out.json) out.error('USAGE', e.message.replace(/^error: /, ''), undefined, { printed: true })
      return EXIT.USAGE
    }
    if (isMemoryError(e)) {
      const hint =
        e.code !== 'VALIDATION'
          ? HINTS[e.code]
          : typeof e.details?.line === 'number'
            ? 'Fix that line and run the import again; the store is unchanged.'
            : 'Run the command with --help for its options.'
      out.error(e.code, e.message, hint)
      return exitCodeOf(e)
    }
    const err = e as Error
    out.error('INTERNAL', err?.message ?? String(e), 'This looks like a bug in engram; please report it with the command you ran.')
    if (process.env.ENGRAM_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`)
    return EXIT.FAILURE
  }
}

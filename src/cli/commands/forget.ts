/**
 * forget and clean. Bulk removal first lists what matches (so --dry-run shows exactly what would go),
 * then takes a snapshot when the backend can (so `engram rollback <id>` undoes it), then forgets the
 * ids in one call.
 */
import { type Command, Option } from 'commander'
import { memoryError } from '../../core/errors.js'
import type { Filter, MemoryRecord, MemoryTier, MemoryType } from '../../core/types.js'
import type { Backend } from '../backend.js'
import { Context } from '../context.js'
import { clip, isoTime } from '../output.js'
import { formatDuration, globToRegExp, parseDuration, parseJsonObject, parseTiers, parseTypes, parseUnit } from '../parse.js'

/** Every memory matching the list options, across pages. */
export async function allRecords(
  backend: Backend,
  options: { filter?: Filter; types?: MemoryType[]; tiers?: MemoryTier[] } = {},
): Promise<MemoryRecord[]> {
  const out: MemoryRecord[] = []
  let cursor: string | undefined
  do {
    const page = await backend.list({ ...options, limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
    out.push(...page.items)
    cursor = page.cursor
  } while (cursor !== undefined)
  return out
}

interface BulkResult {
  forgotten: number
  ids: string[]
  dryRun: boolean
  snapshot?: string
}

async function forgetMatching(backend: Backend, matches: MemoryRecord[], dryRun: boolean, label: string): Promise<BulkResult> {
  const ids = matches.map((r) => r.id)
  if (dryRun || ids.length === 0) return { forgotten: 0, ids, dryRun }
  let snapshot: string | undefined
  if (!backend.remote) snapshot = (await backend.snapshot(`before ${label}`)).id
  const forgotten = await backend.forget({ ids })
  const result: BulkResult = { forgotten, ids, dryRun }
  if (snapshot) result.snapshot = snapshot
  return result
}

function report(ctx: Context, result: BulkResult, matches: MemoryRecord[]): void {
  const { out } = ctx
  out.result(result, () => {
    if (matches.length === 0) {
      out.line(out.color.dim('Nothing matches; nothing was forgotten.'))
      return
    }
    out.table(
      ['id', 'type', 'imp.', 'last used', 'content'],
      matches
        .slice(0, 20)
        .map((r) => [
          r.id,
          r.type,
          r.importance.toFixed(2),
          isoTime(Math.max(r.lastAccessedAt, r.updatedAt)).slice(0, 10),
          clip(r.content, 50),
        ]),
    )
    if (matches.length > 20) out.line(out.color.dim(`… and ${matches.length - 20} more`))
    if (result.dryRun)
      out.line(`${out.color.yellow('dry run:')} ${matches.length} memories would be forgotten (run again without --dry-run).`)
    else {
      out.line(`${out.color.green('forgot')} ${result.forgotten} memories.`)
      if (result.snapshot) out.line(out.color.dim(`Undo with: engram rollback ${result.snapshot}`))
    }
  })
}

export function registerForgetCommands(program: Command): void {
  program
    .command('forget')
    .description('Forget one memory by id, or every memory matching --pattern and/or --filter')
    .argument('[id]', 'the memory id')
    .option('-p, --pattern <glob>', 'glob on the whole content, case-insensitive: * any text, ? one character (e.g. "test*")')
    .option('-f, --filter <json>', 'filter on metadata/fields, e.g. \'{"category":"scratch"}\'', parseJsonObject)
    .addOption(new Option('-t, --type <types>', 'only these types (with --pattern/--filter)').argParser(parseTypes))
    .option('--dry-run', 'show what would be forgotten, change nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  $ engram forget m_123\n  $ engram forget --pattern "test*" --dry-run\n  $ engram forget --filter \'{"category":"scratch"}\'\n\nBulk forgets take a snapshot first (local stores): undo with engram rollback <snapshot>.',
    )
    .action(async (id: string | undefined, opts, command: Command) => {
      const ctx = new Context(command)
      const bulk = opts.pattern !== undefined || opts.filter !== undefined
      if (id !== undefined && bulk) throw memoryError('VALIDATION', 'Give either an id or --pattern/--filter, not both.')
      if (id === undefined && !bulk) {
        throw memoryError('VALIDATION', 'Say what to forget: an id (engram forget <id>), --pattern "<glob>" or --filter <json>.')
      }
      if (id !== undefined) {
        if (opts.dryRun) {
          const memory = await ctx.withBackend((b) => b.get(id))
          report(ctx, { forgotten: 0, ids: [id], dryRun: true }, [memory])
          return
        }
        const forgotten = await ctx.withBackend((b) => b.forget(id))
        ctx.out.result({ forgotten, ids: [id], dryRun: false }, () => ctx.out.line(`${ctx.out.color.green('forgot')} ${id}`))
        return
      }
      const regex = opts.pattern === undefined ? undefined : globToRegExp(opts.pattern)
      const label = opts.pattern !== undefined ? `forget --pattern ${opts.pattern}` : 'forget --filter'
      let matches: MemoryRecord[] = []
      const result = await ctx.withBackend(async (b) => {
        const listed = await allRecords(b, { ...(opts.filter ? { filter: opts.filter } : {}), ...(opts.type ? { types: opts.type } : {}) })
        matches = regex ? listed.filter((r) => regex.test(r.content)) : listed
        return forgetMatching(b, matches, opts.dryRun === true, label)
      })
      report(ctx, result, matches)
    })

  program
    .command('clean')
    .description('Forget memories not used (stored, updated or recalled) within --age; pinned ones are kept')
    .requiredOption('-a, --age <duration>', 'forget what was last used longer ago than this (e.g. 30d, 12h)', parseDuration)
    .option('--min-importance <0..1>', 'keep memories at least this important', parseUnit)
    .addOption(new Option('--tier <tiers>', 'only these tiers (default: all)').argParser(parseTiers))
    .option('--include-pinned', 'forget pinned memories too')
    .option('--dry-run', 'show what would be forgotten, change nothing')
    .addHelpText('after', '\nExample:\n  $ engram clean --age 30d --min-importance 0.7 --dry-run')
    .action(async (opts, command: Command) => {
      const ctx = new Context(command)
      const cutoff = Date.now() - (opts.age as number)
      let matches: MemoryRecord[] = []
      const result = await ctx.withBackend(async (b) => {
        const listed = await allRecords(b, opts.tier ? { tiers: opts.tier } : {})
        matches = listed.filter(
          (r) =>
            Math.max(r.createdAt, r.updatedAt, r.lastAccessedAt) < cutoff &&
            (opts.minImportance === undefined || r.importance < opts.minImportance) &&
            (opts.includePinned || !r.pinned),
        )
        return forgetMatching(b, matches, opts.dryRun === true, `clean --age ${formatDuration(opts.age)}`)
      })
      report(ctx, result, matches)
    })
}

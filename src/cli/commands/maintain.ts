/** status, optimize, consolidate, summarize, snapshot, rollback. */
import { type Command, Option } from 'commander'
import { memoryError } from '../../core/errors.js'
import { MEMORY_TIERS, MEMORY_TYPES, type MemoryRecord } from '../../core/types.js'
import type { Backend } from '../backend.js'
import { Context } from '../context.js'
import { isoTime } from '../output.js'
import { formatBytes, integerIn, parseInstant, parseTier, parseTypes, parseUnit } from '../parse.js'
import { printRecord } from './records.js'

function missing(verb: 'consolidate' | 'summarize', backend: Backend): never {
  throw memoryError(
    'UNSUPPORTED',
    backend.remote
      ? `The server at ${backend.where} has no ${verb}().`
      : `'${verb}' is not available in this build of engram yet: its memory has no ${verb}() (issue 4). Nothing was changed.`,
  )
}

/** A result object of a self-managing verb, printed as aligned key/value lines. */
function printSummary(ctx: Context, title: string, result: unknown): void {
  const { out } = ctx
  out.line(out.color.bold(title))
  if (result && typeof result === 'object' && !Array.isArray(result)) {
    for (const [k, v] of Object.entries(result)) {
      const text = Array.isArray(v)
        ? `${v.length} (${v.slice(0, 5).join(', ')}${v.length > 5 ? ', …' : ''})`
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v)
      out.line(`  ${out.color.dim(k.padEnd(14))}${text}`)
    }
  } else out.line(`  ${JSON.stringify(result)}`)
}

export function registerMaintainCommands(program: Command): void {
  program
    .command('status')
    .description('Counts per tier and type, size, embedder, index and health')
    .action(async (_opts, command: Command) => {
      const ctx = new Context(command)
      const { stats, health, where } = await ctx.withBackend(async (b) => ({
        stats: await b.stats(),
        health: await b.health(),
        where: b.where,
      }))
      const { out } = ctx
      out.result({ ...stats, health, where }, () => {
        const c = out.color
        out.line(`${c.bold('engram')} · namespace ${c.cyan(stats.namespace)} · ${c.dim(where)}`)
        out.line(
          `${stats.total} memories · ${formatBytes(stats.bytes)} · embedder ${stats.embedder.id} (${stats.embedder.dims}-d) · index ${stats.index.kind} (${stats.index.size})`,
        )
        const verdict = health.ok
          ? c.green(`healthy (score ${health.score.toFixed(2)})`)
          : c.red(`unhealthy (score ${health.score.toFixed(2)})`)
        out.line(`health: ${verdict}`)
        for (const issue of health.issues)
          out.line(`  ${c.yellow('•')} ${issue.message}${issue.count === undefined ? '' : ` (${issue.count})`}`)
        if (stats.retrieval.count > 0) {
          out.line(`recalls this session: ${stats.retrieval.count}, mean latency ${stats.retrieval.meanLatencyMs.toFixed(1)} ms`)
        }
        out.line()
        const max = Math.max(1, ...Object.values(stats.byType), ...Object.values(stats.byTier))
        out.table(
          ['type', 'count', ''],
          MEMORY_TYPES.map((t) => [t, stats.byType[t], out.bar(stats.byType[t], max, 20)]),
          ['left', 'right', 'left'],
        )
        out.table(
          ['tier', 'count', ''],
          MEMORY_TIERS.map((t) => [t, stats.byTier[t], out.bar(stats.byTier[t], max, 20)]),
          ['left', 'right', 'left'],
        )
      })
    })

  program
    .command('optimize')
    .description('Remove expired memories and write a fresh index snapshot (faster next open)')
    .action(async (_opts, command: Command) => {
      const ctx = new Context(command)
      const result = await ctx.withBackend((b) => b.optimize())
      ctx.out.result(result, () => printSummary(ctx, 'optimized', result))
    })

  program
    .command('consolidate')
    .description('Merge near-duplicate memories stored within a time window into one (the merged ones stay in history)')
    .option('--window-hours <n>', 'look at memories stored in the last n hours (default 24)', integerIn(1, 24 * 365 * 10))
    .option('--similarity <0..1>', 'how similar two memories must be to merge (default 0.85)', parseUnit)
    .addOption(new Option('-t, --type <types>', 'only these types').argParser(parseTypes))
    .action(async (opts, command: Command) => {
      const ctx = new Context(command)
      const options: Record<string, unknown> = {}
      if (opts.windowHours !== undefined) options.windowHours = opts.windowHours
      if (opts.similarity !== undefined) options.similarity = opts.similarity
      if (opts.type) options.types = opts.type
      ctx.out.note(ctx.out.color.dim('consolidating…'))
      const result = await ctx.withBackend(async (b) => {
        if (!b.consolidate) missing('consolidate', b)
        return b.consolidate(options)
      })
      ctx.out.result(result, () => {
        const r = result as { merged?: number; removed?: number; kept?: number; groups?: { canonical: string; merged: string[] }[] }
        if (!Array.isArray(r.groups)) return printSummary(ctx, 'consolidated', result)
        ctx.out.line(`${ctx.out.color.green('consolidated')}: ${r.merged} groups merged, ${r.removed} memories folded in, ${r.kept} kept`)
        if (r.groups.length > 0)
          ctx.out.table(
            ['kept', 'merged into it'],
            r.groups.map((g) => [g.canonical, g.merged.join(', ')]),
          )
      })
    })

  program
    .command('summarize')
    .description('Write a summary memory of a tier, type, conversation or time range, linked to its sources')
    .addOption(new Option('--tier <tier>', 'summarize this tier').argParser(parseTier))
    .option('--from <date>', 'created at or after (ISO date, epoch ms or an age like 7d)', (v) => parseInstant(v))
    .option('--to <date>', 'created before', (v) => parseInstant(v))
    .addOption(new Option('-t, --type <types>', 'only these types').argParser(parseTypes))
    .option('--conversation <id>', 'only this conversation (scope.conversationId)')
    .option('--max-chars <n>', 'longest summary text', integerIn(20, 100_000))
    .action(async (opts, command: Command) => {
      const ctx = new Context(command)
      const options: Record<string, unknown> = {}
      if (opts.tier) options.tier = opts.tier
      if (opts.from !== undefined) options.from = opts.from
      if (opts.to !== undefined) options.to = opts.to
      if (opts.type) options.types = opts.type
      if (opts.conversation) options.conversationId = opts.conversation
      if (opts.maxChars !== undefined) options.maxChars = opts.maxChars
      const result = await ctx.withBackend(async (b) => {
        if (!b.summarize) missing('summarize', b)
        return b.summarize(options)
      })
      ctx.out.result(result, () => {
        const record = result as MemoryRecord
        if (record && typeof record.id === 'string' && typeof record.content === 'string') {
          ctx.out.line(`${ctx.out.color.green('summary stored')} ${record.id} (from ${record.sourceIds.length} memories)`)
          ctx.out.line()
          printRecord(ctx.out, record)
        } else printSummary(ctx, 'summarized', result)
      })
    })

  program
    .command('snapshot')
    .description('Mark the current state so it can be restored with rollback (or list marks with --list)')
    .argument('[label]', 'a name to remember it by')
    .option('-l, --list', 'list the snapshots instead of taking one')
    .action(async (label: string | undefined, opts, command: Command) => {
      const ctx = new Context(command)
      const { out } = ctx
      if (opts.list) {
        const snapshots = await ctx.withBackend((b) => b.snapshots())
        out.result({ snapshots }, () => {
          if (snapshots.length === 0) out.line(out.color.dim('No snapshots yet: take one with engram snapshot [label].'))
          else
            out.table(
              ['id', 'log seq', 'taken', 'label'],
              snapshots.map((s) => [s.id, s.seq, isoTime(s.createdAt), s.label ?? '']),
            )
        })
        return
      }
      const snapshot = await ctx.withBackend((b) => b.snapshot(label))
      out.result({ snapshot }, () => {
        out.line(`${out.color.green('snapshot')} ${snapshot.id}${label ? ` (${label})` : ''}`)
        out.line(out.color.dim(`Restore with: engram rollback ${snapshot.id}`))
      })
    })

  program
    .command('rollback')
    .description('Restore every memory to its state at a snapshot (the rollback itself is logged)')
    .argument('<snapshot>', 'the snapshot id (see engram snapshot --list)')
    .action(async (snapshotId: string, _opts, command: Command) => {
      const ctx = new Context(command)
      const result = await ctx.withBackend((b) => b.rollback(snapshotId))
      ctx.out.result({ snapshot: snapshotId, ...result }, () =>
        ctx.out.line(`${ctx.out.color.green('rolled back')} to ${snapshotId}: ${result.restored} memories restored or removed`),
      )
    })
}

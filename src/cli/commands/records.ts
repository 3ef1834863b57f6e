/** store, search, get, update, list: the everyday verbs. */
import { readFile } from 'node:fs/promises'
import { type Command, Option } from 'commander'
import { memoryError } from '../../core/errors.js'
import type {
  ListOptions,
  MemoryRecord,
  MemoryTier,
  MemoryType,
  Metadata,
  RecallOptions,
  Scope,
  StoreOptions,
  UpdatePatch,
} from '../../core/types.js'
import { Context } from '../context.js'
import { clip, isoTime, type Output } from '../output.js'
import {
  integerIn,
  parseDuration,
  parseInstant,
  parseJsonObject,
  parseTier,
  parseTiers,
  parseType,
  parseTypes,
  parseUnit,
  parseWords,
} from '../parse.js'

/** Content from the argument, or from stdin when it is `-`. */
async function contentOf(arg: string): Promise<string> {
  if (arg !== '-') return arg
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\n$/, '')
}

function noWorking(tier: MemoryTier | undefined): void {
  if (tier === 'working') {
    throw memoryError(
      'VALIDATION',
      "The 'working' tier lives only in the process that stores it, and this command exits right away; use short-term or long-term.",
    )
  }
}

export function printRecord(out: Output, r: MemoryRecord): void {
  const c = out.color
  const rows: [string, string][] = [
    ['id', r.id],
    ['type', r.type],
    ['tier', r.tier],
    ['importance', r.importance.toFixed(2)],
    ['created', isoTime(r.createdAt)],
    ['updated', isoTime(r.updatedAt)],
    ['last access', `${isoTime(r.lastAccessedAt)} (${r.accessCount} recalls)`],
    ['version', String(r.version)],
  ]
  if (r.expiresAt !== undefined) rows.push(['expires', isoTime(r.expiresAt)])
  if (r.pinned) rows.push(['pinned', 'yes'])
  if (Object.keys(r.metadata).length > 0) rows.push(['metadata', JSON.stringify(r.metadata)])
  if (Object.keys(r.scope).length > 0) rows.push(['scope', JSON.stringify(r.scope)])
  if (r.entities.length > 0) rows.push(['entities', r.entities.join(', ')])
  if (r.sourceIds.length > 0) rows.push(['sources', r.sourceIds.join(', ')])
  for (const [k, v] of rows) out.line(`${c.dim(k.padEnd(12))}${v}`)
  out.line()
  out.line(r.content)
}

export function registerRecordCommands(program: Command): void {
  program
    .command('store')
    .description('Store a memory and print its id')
    .argument('<content>', "the text to remember ('-' reads it from stdin)")
    .addOption(new Option('-t, --type <type>', 'episodic, semantic, preference, procedural, emotional or contextual').argParser(parseType))
    .addOption(new Option('--tier <tier>', 'short-term or long-term (default long-term)').argParser(parseTier))
    .option('-i, --importance <0..1>', 'how much it matters (default 0.5)', parseUnit)
    .option('-m, --metadata <json>', 'JSON object of metadata, e.g. \'{"category":"work"}\'', parseJsonObject)
    .option('--scope <json>', 'JSON object with userId, agentId, sessionId, conversationId', parseJsonObject)
    .option('--ttl <duration>', 'for short-term memories: how long until it expires (e.g. 30m)', parseDuration)
    .option('--id <id>', 'use this id instead of a generated one')
    .option('--created-at <date>', 'when it happened (ISO date, epoch ms or an age like 3d)', (v) => parseInstant(v))
    .option('--entities <names>', 'comma-separated entity names', parseWords)
    .option('--pin', 'never evict or decay this memory')
    .addHelpText('after', '\nExample:\n  $ engram store "User prefers morning meetings" --type preference --importance 0.8 --json')
    .action(async (arg: string, opts, command: Command) => {
      const ctx = new Context(command)
      noWorking(opts.tier)
      const content = await contentOf(arg)
      const options: StoreOptions = {}
      if (opts.type) options.type = opts.type as MemoryType
      if (opts.tier) options.tier = opts.tier as MemoryTier
      if (opts.importance !== undefined) options.importance = opts.importance
      if (opts.metadata) options.metadata = opts.metadata as Metadata
      if (opts.scope) options.scope = opts.scope as Scope
      if (opts.ttl !== undefined) options.ttlMs = opts.ttl
      if (opts.id) options.id = opts.id
      if (opts.createdAt !== undefined) options.createdAt = opts.createdAt
      if (opts.entities) options.entities = opts.entities
      if (opts.pin) options.pinned = true
      const id = await ctx.withBackend((b) => b.store(content, options))
      ctx.out.result({ id }, () => ctx.out.line(`${ctx.out.color.green('stored')} ${id}`))
    })

  program
    .command('search')
    .alias('recall')
    .description('Find the memories most relevant to a query (hybrid vector + keyword ranking)')
    .argument('<query>', 'what to look for')
    .option('-k, --k <n>', 'how many results (default 10)', integerIn(1, 1000))
    .addOption(new Option('-t, --type <types>', 'only these types (comma-separated or repeated)').argParser(parseTypes))
    .addOption(new Option('--tier <tiers>', 'only these tiers (default: all but archived)').argParser(parseTiers))
    .option('-f, --filter <json>', 'filter on metadata/fields, e.g. \'{"category":{"$in":["work"]}}\'', parseJsonObject)
    .option('--min-relevance <0..1>', 'drop hits whose relevance is below this', parseUnit)
    .addOption(new Option('--mode <mode>', 'ranking mode').choices(['hybrid', 'vector', 'keyword']))
    .option('--peek', 'do not count this search as an access of the hits')
    .option('--explain', 'show the score breakdown of every hit')
    .addHelpText(
      'after',
      '\nExamples:\n  $ engram search "when do I like meetings" --k 5\n  $ engram search "budget" --type semantic --filter \'{"project":"apollo"}\' --json',
    )
    .action(async (query: string, opts, command: Command) => {
      const ctx = new Context(command)
      const options: RecallOptions = {}
      if (opts.k !== undefined) options.k = opts.k
      if (opts.type) options.types = opts.type
      if (opts.tier) options.tiers = opts.tier
      if (opts.filter) options.filter = opts.filter
      if (opts.minRelevance !== undefined) options.minRelevance = opts.minRelevance
      if (opts.mode) options.mode = opts.mode
      if (opts.peek) options.peek = true
      const results = await ctx.withBackend((b) => b.recall(query, options))
      ctx.out.result({ results }, () => {
        if (results.length === 0) {
          ctx.out.line(ctx.out.color.dim('No matching memories.'))
          return
        }
        const head = ['#', 'score', 'type', 'id', 'content']
        if (opts.explain) head.splice(2, 0, 'vector', 'keyword', 'recency')
        ctx.out.table(
          head,
          results.map((h, i) => {
            const row: (string | number)[] = [i + 1, h.score.toFixed(3), h.memory.type, h.memory.id, clip(h.memory.content, 60)]
            if (opts.explain) row.splice(2, 0, h.explain.vector.toFixed(2), h.explain.keyword.toFixed(2), h.explain.recency.toFixed(2))
            return row
          }),
        )
      })
    })

  program
    .command('get')
    .description('Show one memory (and its version history with --history)')
    .argument('<id>', 'the memory id')
    .option('--history', 'also show every version')
    .action(async (id: string, opts, command: Command) => {
      const ctx = new Context(command)
      const { memory, history } = await ctx.withBackend(async (b) => ({
        memory: await b.get(id),
        history: opts.history ? await b.history(id) : undefined,
      }))
      ctx.out.result(history ? { memory, history } : { memory }, () => {
        printRecord(ctx.out, memory)
        if (history) {
          ctx.out.line()
          ctx.out.table(
            ['seq', 'op', 'version', 'at', 'content'],
            history.map((h) => [h.seq, h.op, h.version, isoTime(h.at), h.record ? clip(h.record.content, 50) : '—']),
          )
        }
      })
    })

  program
    .command('update')
    .description('Change a memory (a new version; the old one stays in its history)')
    .argument('<id>', 'the memory id')
    .option('-c, --content <text>', 'new content (re-embedded)')
    .addOption(new Option('-t, --type <type>', 'new type').argParser(parseType))
    .addOption(new Option('--tier <tier>', 'new tier').argParser(parseTier))
    .option('-i, --importance <0..1>', 'new importance', parseUnit)
    .option('-m, --metadata <json>', 'replace the metadata with this JSON object', parseJsonObject)
    .option('--scope <json>', 'replace the scope with this JSON object', parseJsonObject)
    .option('--entities <names>', 'replace the entities (comma-separated)', parseWords)
    .option('--pin', 'pin it')
    .option('--unpin', 'unpin it')
    .addHelpText('after', '\nExample:\n  $ engram update m_123 --importance 0.9 --metadata \'{"category":"work"}\'')
    .action(async (id: string, opts, command: Command) => {
      const ctx = new Context(command)
      noWorking(opts.tier)
      const patch: UpdatePatch = {}
      if (opts.content !== undefined) patch.content = opts.content
      if (opts.type) patch.type = opts.type
      if (opts.tier) patch.tier = opts.tier
      if (opts.importance !== undefined) patch.importance = opts.importance
      if (opts.metadata) patch.metadata = opts.metadata as Metadata
      if (opts.scope) patch.scope = opts.scope as Scope
      if (opts.entities) patch.entities = opts.entities
      if (opts.pin && opts.unpin) throw memoryError('VALIDATION', 'Give --pin or --unpin, not both.')
      if (opts.pin) patch.pinned = true
      if (opts.unpin) patch.pinned = false
      if (Object.keys(patch).length === 0) {
        throw memoryError(
          'VALIDATION',
          'Nothing to update: give at least one of --content, --type, --tier, --importance, --metadata, --scope, --entities, --pin, --unpin.',
        )
      }
      const memory = await ctx.withBackend((b) => b.update(id, patch))
      ctx.out.result({ memory }, () => ctx.out.line(`${ctx.out.color.green('updated')} ${memory.id} (version ${memory.version})`))
    })

  program
    .command('list')
    .description('List memories in id order')
    .addOption(new Option('-t, --type <types>', 'only these types').argParser(parseTypes))
    .addOption(new Option('--tier <tiers>', 'only these tiers (default: all)').argParser(parseTiers))
    .option('-f, --filter <json>', 'filter on metadata/fields', parseJsonObject)
    .option('--limit <n>', 'at most this many (default 50)', integerIn(1, 10_000))
    .option('--cursor <id>', 'continue after this id (printed at the end of a page)')
    .action(async (opts, command: Command) => {
      const ctx = new Context(command)
      const options: ListOptions = { limit: opts.limit ?? 50 }
      if (opts.type) options.types = opts.type
      if (opts.tier) options.tiers = opts.tier
      if (opts.filter) options.filter = opts.filter
      if (opts.cursor) options.cursor = opts.cursor
      const page = await ctx.withBackend((b) => b.list(options))
      ctx.out.result(page, () => {
        if (page.items.length === 0) ctx.out.line(ctx.out.color.dim('No memories.'))
        else
          ctx.out.table(
            ['id', 'type', 'tier', 'imp.', 'created', 'content'],
            page.items.map((r) => [r.id, r.type, r.tier, r.importance.toFixed(2), isoTime(r.createdAt).slice(0, 10), clip(r.content, 50)]),
          )
        if (page.cursor) ctx.out.note(ctx.out.color.dim(`more: engram list --cursor ${page.cursor}`))
      })
    })
}

/** Read a whole file as UTF-8, turning ENOENT into a clear NOT_FOUND. */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw memoryError('NOT_FOUND', `No file ${path}`)
    throw memoryError('STORAGE', `Cannot read ${path}: ${(e as Error).message}`, { cause: e })
  }
}

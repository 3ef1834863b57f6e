/**
 * export, import, backup, restore. Imports are all-or-nothing (the core commits them in one
 * transaction); a bad record is reported with its file line and nothing is written. Backups are a
 * directory: `records.jsonl` (records with their vectors) and `manifest.json` (count, checksum,
 * embedder), the manifest written last so a half-written backup is never taken for a whole one.
 */
import { createHash } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Command, Option } from 'commander'
import { isMemoryError, memoryError } from '../../core/errors.js'
import type { ExportedRecord } from '../../core/types.js'
import type { Backend } from '../backend.js'
import { Context } from '../context.js'
import type { Output } from '../output.js'
import { parseRecordsFile } from '../records-file.js'
import { allRecords } from './forget.js'
import { readText } from './records.js'

const MANIFEST = 'manifest.json'
const RECORDS = 'records.jsonl'
const BACKUP_FORMAT = 'engram-backup'
const BACKUP_VERSION = 1

interface Manifest {
  format: typeof BACKUP_FORMAT
  version: number
  namespace: string
  createdAt: string
  records: number
  sha256: string
  embedder: { id: string; dims: number }
  source: string
}

/** Write a file through a temp name + rename, so a crash never leaves a half file under the real name. */
async function writeFileAtomic(path: string, produce: (write: (text: string) => Promise<void>) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  const fh = await open(tmp, 'w')
  try {
    await produce(async (text) => {
      await fh.write(text)
    })
    await fh.sync()
    await fh.close()
    await rename(tmp, path)
  } catch (e) {
    await fh.close().catch(() => {})
    await rm(tmp, { force: true })
    throw e
  }
}

/** Stream every record through `write` as JSON Lines, with a progress bar; returns count and sha256. */
async function exportLines(out: Output, backend: Backend, embeddings: boolean, write: (line: string) => Promise<void>) {
  const total = (await backend.stats()).total
  const bar = out.progress('export', total)
  const hash = createHash('sha256')
  let count = 0
  try {
    for await (const record of backend.export({ includeEmbeddings: embeddings })) {
      const line = `${JSON.stringify(record)}\n`
      hash.update(line)
      await write(line)
      bar.tick(++count, Math.max(total, count))
    }
  } finally {
    bar.stop()
  }
  return { count, sha256: hash.digest('hex') }
}

/** Import parsed records; a core error at record N is re-told with the file line of record N. */
async function importRecords(out: Output, backend: Backend, text: string, name: string): Promise<number> {
  const parsed = parseRecordsFile(text, name)
  // The core reports progress when it is done (embedding and one all-or-nothing transaction): the
  // bar's clock shows the work is alive meanwhile.
  out.note(out.color.dim(`importing ${parsed.records.length} records from ${name} in one transaction (all or nothing)…`))
  const bar = out.progress('import', parsed.records.length)
  try {
    const { imported } = await backend.import(parsed.records as ExportedRecord[], { onProgress: (p) => bar.tick(p.done) })
    return imported
  } catch (e) {
    const n = isMemoryError(e) ? e.details?.line : undefined
    if (isMemoryError(e, 'VALIDATION') && typeof n === 'number') {
      const line = parsed.lines[n - 1]
      const reason = e.message.replace(/^Import failed at record \d+: /, '').replace(/; nothing was imported$/, '')
      throw memoryError('VALIDATION', `${name} line ${line} (record ${n}): ${reason}; nothing was imported`, {
        details: { line, record: n },
        cause: e,
      })
    }
    throw e
  } finally {
    bar.stop()
  }
}

export function registerTransferCommands(program: Command): void {
  program
    .command('export')
    .description('Write every memory (with its vector) as JSON Lines or a JSON array')
    .addOption(new Option('--format <format>', 'jsonl (one record per line) or json (one array)').choices(['jsonl', 'json']))
    .option('-o, --output <file>', 'write to this file (default: stdout)')
    .option('--no-embeddings', 'leave the vectors out (import re-embeds them)')
    .addHelpText('after', '\nExamples:\n  $ engram export > memories.jsonl\n  $ engram export --format json --output memories.json')
    .action(async (opts, command: Command) => {
      const ctx = new Context(command)
      const { out } = ctx
      const format: 'jsonl' | 'json' = opts.format ?? (opts.output?.endsWith('.json') || (out.json && !opts.output) ? 'json' : 'jsonl')
      if (out.json && !opts.output && format === 'jsonl') {
        throw memoryError('VALIDATION', '--json prints one JSON document: use --format json, or --output FILE for JSON Lines.')
      }
      const embeddings = opts.embeddings !== false
      const emit = async (write: (text: string) => Promise<void>) => {
        let first = true
        const result = await ctx.withBackend((b) =>
          exportLines(out, b, embeddings, async (line) => {
            if (format === 'jsonl') return write(line)
            await write(`${first ? '[\n' : ',\n'}${line.slice(0, -1)}`)
            first = false
          }),
        )
        if (format === 'json') await write(first ? '[]\n' : '\n]\n')
        return result
      }
      if (!opts.output) {
        const { count } = await emit((text) => out.write(text))
        out.note(out.color.dim(`exported ${count} memories`))
        return
      }
      const file = resolve(opts.output)
      let count = 0
      await writeFileAtomic(file, async (write) => {
        count = (await emit(write)).count
      })
      out.result({ exported: count, file, format }, () =>
        out.line(`${out.color.green('exported')} ${count} memories to ${file} (${format})`),
      )
    })

  program
    .command('import')
    .description('Import an export file (JSON Lines or a JSON array); all or nothing')
    .argument('<file>', "the file ('-' reads stdin)")
    .addHelpText(
      'after',
      '\nRecords keep their ids, timestamps and versions; a record whose id exists replaces it.\nA malformed record stops the import with its line number and nothing is written.',
    )
    .action(async (file: string, _opts, command: Command) => {
      const ctx = new Context(command)
      const text = file === '-' ? await readStdin() : await readText(file)
      const name = file === '-' ? 'stdin' : file
      const imported = await ctx.withBackend((b) => importRecords(ctx.out, b, text, name))
      ctx.out.result({ imported }, () => ctx.out.line(`${ctx.out.color.green('imported')} ${imported} memories from ${name}`))
    })

  program
    .command('backup')
    .description('Write a verifiable backup of the namespace to a directory')
    .argument('<dir>', 'the backup directory (created if missing)')
    .option('--force', 'overwrite a backup already in that directory')
    .action(async (dirArg: string, opts, command: Command) => {
      const ctx = new Context(command)
      const dir = resolve(dirArg)
      if (!opts.force && (await exists(join(dir, MANIFEST)))) {
        throw memoryError('CONFLICT', `${dir} already holds a backup; pick another directory or pass --force to overwrite it.`)
      }
      await mkdir(dir, { recursive: true })
      const manifest = await ctx.withBackend(async (b) => {
        const stats = await b.stats()
        let result = { count: 0, sha256: '' }
        await writeFileAtomic(join(dir, RECORDS), async (write) => {
          result = await exportLines(ctx.out, b, true, write)
        })
        const m: Manifest = {
          format: BACKUP_FORMAT,
          version: BACKUP_VERSION,
          namespace: stats.namespace,
          createdAt: new Date().toISOString(),
          records: result.count,
          sha256: result.sha256,
          embedder: stats.embedder,
          source: b.where,
        }
        await writeFileAtomic(join(dir, MANIFEST), (write) => write(`${JSON.stringify(m, null, 2)}\n`))
        return m
      })
      ctx.out.result({ dir, ...manifest }, () =>
        ctx.out.line(`${ctx.out.color.green('backed up')} ${manifest.records} memories of ${manifest.namespace} to ${dir}`),
      )
    })

  program
    .command('restore')
    .description('Restore a backup directory into the namespace (checksum verified first)')
    .argument('<dir>', 'a directory written by engram backup')
    .option('--merge', 'add the backup to what the namespace holds (same ids are replaced)')
    .option('--replace', 'make the namespace exactly the backup (a snapshot is taken first, for rollback)')
    .action(async (dirArg: string, opts, command: Command) => {
      const ctx = new Context(command)
      if (opts.merge && opts.replace) throw memoryError('VALIDATION', 'Give --merge or --replace, not both.')
      const dir = resolve(dirArg)
      const manifest = await readManifest(dir)
      const text = await readText(join(dir, RECORDS))
      const sha256 = createHash('sha256').update(text).digest('hex')
      if (sha256 !== manifest.sha256) {
        throw memoryError(
          'CORRUPTED',
          `The backup in ${dir} is damaged: ${RECORDS} does not match the checksum in ${MANIFEST}. Nothing was restored.`,
        )
      }
      const result = await ctx.withBackend(async (b) => {
        const before = await b.count()
        if (before > 0 && !opts.merge && !opts.replace) {
          throw memoryError(
            'CONFLICT',
            `Namespace ${b.namespace} already holds ${before} memories. Use --merge to add the backup to them, or --replace to make the namespace exactly the backup.`,
          )
        }
        const snapshot = opts.replace && before > 0 ? (await b.snapshot('before restore')).id : undefined
        const restored = await importRecords(ctx.out, b, text, join(dir, RECORDS))
        let removed = 0
        if (opts.replace && before > 0) {
          const keep = new Set(parseRecordsFile(text, RECORDS).records.map((r) => (r as { id: string }).id))
          const extra = (await allRecords(b)).filter((r) => !keep.has(r.id)).map((r) => r.id)
          if (extra.length > 0) removed = await b.forget({ ids: extra })
        }
        return { restored, removed, ...(snapshot ? { snapshot } : {}) }
      })
      if (result.restored !== manifest.records)
        ctx.out.warn(`the manifest lists ${manifest.records} records but ${result.restored} were restored`)
      ctx.out.result({ dir, ...result }, () => {
        ctx.out.line(
          `${ctx.out.color.green('restored')} ${result.restored} memories from ${dir}${result.removed ? `, removed ${result.removed} not in the backup` : ''}`,
        )
        if (result.snapshot) ctx.out.line(ctx.out.color.dim(`Undo with: engram rollback ${result.snapshot}`))
      })
    })
}

async function readManifest(dir: string): Promise<Manifest> {
  let manifest: Manifest
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT')
      throw memoryError('NOT_FOUND', `No backup in ${dir} (no ${MANIFEST}); give a directory written by engram backup.`)
    throw memoryError('CORRUPTED', `${join(dir, MANIFEST)} is not valid JSON: ${(e as Error).message}`)
  }
  if (manifest?.format !== BACKUP_FORMAT || typeof manifest.sha256 !== 'string') {
    throw memoryError('CORRUPTED', `${join(dir, MANIFEST)} is not an engram backup manifest.`)
  }
  if (manifest.version > BACKUP_VERSION) {
    throw memoryError(
      'UNSUPPORTED',
      `This backup has format version ${manifest.version}; this engram reads up to ${BACKUP_VERSION}. Upgrade engram.`,
    )
  }
  return manifest
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

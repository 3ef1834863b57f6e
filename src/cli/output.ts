/**
 * Everything the CLI prints. Human output goes to stdout with colors only on a TTY (and never with
 * NO_COLOR); `--json` prints exactly one JSON document on stdout; diagnostics and progress bars go
 * to stderr so they never mix with data a script reads.
 */
import { SingleBar } from 'cli-progress'
import Table from 'cli-table3'
import { createColors } from 'picocolors'

export type Colors = ReturnType<typeof createColors>

export interface OutputOptions {
  json: boolean
  stdout?: NodeJS.WriteStream
  stderr?: NodeJS.WriteStream
  env?: NodeJS.ProcessEnv
}

export interface Progress {
  tick(done: number, total?: number): void
  stop(): void
}

const noProgress: Progress = { tick() {}, stop() {} }

export class Output {
  readonly json: boolean
  readonly color: Colors
  readonly #stdout: NodeJS.WriteStream
  readonly #stderr: NodeJS.WriteStream
  readonly #interactive: boolean

  constructor({ json, stdout = process.stdout, stderr = process.stderr, env = process.env }: OutputOptions) {
    this.json = json
    this.#stdout = stdout
    this.#stderr = stderr
    const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ''
    this.color = createColors(!json && !noColor && (stdout.isTTY === true || env.FORCE_COLOR === '1'))
    this.#interactive = !json && stderr.isTTY === true
  }

  /** Print `doc` as the one JSON document under --json, else run `human`. */
  result(doc: unknown, human: () => void): void {
    if (this.json) this.#stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
    else human()
  }

  line(text = ''): void {
    this.#stdout.write(`${text}\n`)
  }

  /** Raw data (export) on stdout. */
  write(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#stdout.write(text, (e) => (e ? reject(e) : resolve()))
    })
  }

  /** A note for people: stderr, never under --json. */
  note(text: string): void {
    if (!this.json) this.#stderr.write(`${text}\n`)
  }

  warn(text: string): void {
    this.#stderr.write(`${this.color.yellow('warning:')} ${text}\n`)
  }

  /** The error line(s), and under --json also the error as the one document on stdout (`printed`: stderr already has it). */
  error(code: string, message: string, hint?: string, { printed = false } = {}): void {
    const c = createColors(this.#stderr.isTTY === true)
    if (!printed) this.#stderr.write(`${c.red(c.bold('error:'))} ${message}\n`)
    if (hint) this.#stderr.write(`${c.dim(hint)}\n`)
    if (this.json) this.#stdout.write(`${JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } }, null, 2)}\n`)
  }

  /** A table; `head` cells are bold, borders plain so it reads in any terminal. */
  table(head: string[], rows: (string | number)[][], colAligns?: ('left' | 'right')[]): void {
    const table = new Table({
      head: head.map((h) => this.color.bold(h)),
      style: { head: [], border: [], compact: true },
      ...(colAligns ? { colAligns } : {}),
      wordWrap: false,
    })
    table.push(...rows.map((r) => r.map(String)))
    this.line(table.toString())
  }

  /** A progress bar on stderr, only when a person is watching (TTY, not --json). */
  progress(label: string, total: number): Progress {
    if (!this.#interactive || total <= 0) return noProgress
    const bar = new SingleBar({
      format: `${label} [{bar}] {value}/{total} {percentage}% · {duration_formatted}`,
      stream: this.#stderr,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    })
    bar.start(total, 0)
    return {
      tick(done, newTotal) {
        if (newTotal !== undefined) bar.setTotal(newTotal)
        bar.update(done)
      },
      stop() {
        bar.stop()
      },
    }
  }

  /** A horizontal bar for charts: `width` cells for `max`. */
  bar(value: number, max: number, width = 30): string {
    const cells = max > 0 ? Math.round((value / max) * width) : 0
    const filled = value > 0 ? Math.max(1, cells) : 0
    return this.color.cyan('█'.repeat(filled)) + this.color.dim('·'.repeat(width - filled))
  }
}

/** One line of at most `max` characters (newlines shown as ⏎). */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ⏎ ')
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
}

export function isoTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z')
}

/**
 * PII redaction, applied to content, metadata string values and entities before they are stored and
 * before they reach the embedder, and to recall queries before they are embedded.
 *
 * Detectors: emails, phone numbers, card numbers (Luhn-checked), IBANs (ISO 13616 mod-97), national
 * ids (US SSN, UK National Insurance number), IPv4 and IPv6 addresses, plus custom patterns.
 * - 'mask' replaces a value by its kind: `[EMAIL]`.
 * - 'pseudonymize' replaces it by a stable token per value per namespace: `[EMAIL:3f9a1c0b2d]`,
 *   an HMAC-SHA-256 of the normalized value under a random per-namespace key (stored in
 *   `<ns>/meta/pii` through the blob codec, so encrypted when the namespace is). The same person's
 *   email always gets the same token, so recall by that email still finds their memories, and the
 *   value itself is never stored.
 * What was redacted is counted per kind for the audit log; values never are.
 */
import { memoryError } from '../core/errors.js'
import type { JsonValue, Metadata } from '../core/types.js'
import { type BlobCodec, jsonBytes, parseJsonBytes } from '../store/codec.js'
import type { StoreDriver } from '../store/driver.js'

export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'national-id', 'ip'] as const
export type PiiKind = (typeof PII_KINDS)[number]

export interface CustomPattern {
  /** Label used in the replacement (`[EMPLOYEE_ID]`) and in the audit counts. */
  name: string
  pattern: RegExp | string
}

/**
 * @example
 * createMemory({ redact: true })                                       // mask every built-in kind
 * createMemory({ redact: { mode: 'pseudonymize', patterns: [{ name: 'employee-id', pattern: /EMP-\d{6}/ }] } })
 */
export interface RedactOptions {
  /** @default 'mask' */
  mode?: 'mask' | 'pseudonymize'
  /** Built-in detectors to run. @default all of {@link PII_KINDS} */
  kinds?: PiiKind[]
  /** Extra patterns (a RegExp, or a name + RegExp/source). They run before the built-in detectors. */
  patterns?: (RegExp | CustomPattern)[]
}

export interface PiiSpan {
  kind: string
  start: number
  end: number
}

export type RedactionCounts = Record<string, number>

export interface Redactor {
  readonly mode: 'mask' | 'pseudonymize'
  /** Text with every detected value replaced, and how many of each kind. */
  text(text: string): Promise<{ text: string; found: RedactionCounts }>
  /** Metadata with every string value (at any depth) redacted; keys are kept. */
  metadata(metadata: Metadata): Promise<{ metadata: Metadata; found: RedactionCounts }>
}

// Bounded quantifiers keep every detector linear-ish on hostile input (content is capped at 100k chars).
interface Detector {
  pattern: RegExp
  /** Length of the valid match (a prefix of `m`, cut at a space), 0 when there is none. @default the whole match */
  accept?: (m: string) => number
}

const whole = (test: (m: string) => boolean) => (m: string) => (test(m) ? m.length : 0)

const DETECTORS: Record<PiiKind, Detector> = {
  email: { pattern: /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/g },
  iban: { pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/gi, accept: ibanPrefix },
  card: { pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g, accept: whole((m) => luhnValid(m.replace(/\D/g, ''))) },
  'national-id': {
    pattern:
      /\b(?:(?!000|666|9\d\d)\d{3}[- ](?!00)\d{2}[- ](?!0000)\d{4}|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D])\b/g,
  },
  ip: {
    pattern:
      /(?<![\w.:])(?:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)|(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(?![\w.:])/g,
    accept: whole(ipValid),
  },
  phone: {
    pattern: /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5}(?![\w])/g,
    accept: whole(phoneValid),
  },
}
const ORDER: PiiKind[] = ['email', 'iban', 'card', 'national-id', 'ip', 'phone']

export function luhnValid(digits: string): boolean {
  if (!/^\d{13,19}$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

export function ibanValid(text: string): boolean {
  const iban = text.replace(/ /g, '').toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let rest = 0
  for (const c of rearranged) {
    const v = c >= 'A' ? c.charCodeAt(0) - 55 : c.charCodeAt(0) - 48
    rest = v >= 10 ? (rest * 100 + v) % 97 : (rest * 10 + v) % 97
  }
  return rest === 1
}

/** IBANs are often followed by words the pattern swallows: keep the longest prefix (cut at a space) that checks. */
function ibanPrefix(m: string): number {
  for (let end = m.length; end > 0; end = m.lastIndexOf(' ', end - 1)) {
    if (ibanValid(m.slice(0, end))) return end
  }
  return 0
}

function ipValid(text: string): boolean {
  if (!text.includes(':')) return true
  // IPv6: at most one '::', 1-4 hex digits per group, 8 groups without '::' and fewer with it.
  const double = text.split('::')
  if (double.length > 2) return false
  const groups = (part: string) => (part === '' ? [] : part.split(':'))
  const parts = double.flatMap(groups)
  if (parts.length === 0 || !parts.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false
  return double.length === 2 ? parts.length <= 7 : parts.length === 8
}

function phoneValid(text: string): boolean {
  const digits = text.replace(/\D/g, '')
  if (digits.length < 7 || digits.length > 15) return false
  if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/.test(text) || /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(text)) return false // dates
  const grouped = /[ .()-]/.test(text) || text.startsWith('+')
  return grouped || digits.length >= 10
}

function compileCustom(p: RegExp | CustomPattern, i: number): { kind: string; pattern: RegExp } {
  const name = p instanceof RegExp ? `custom-${i + 1}` : p?.name
  const source = p instanceof RegExp ? p : p?.pattern
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name)) {
    throw memoryError('VALIDATION', `redact.patterns[${i}].name must be 1-32 characters of letters, digits, _ and -`)
  }
  let pattern: RegExp
  try {
    pattern =
      source instanceof RegExp
        ? new RegExp(source.source, source.flags.includes('g') ? source.flags : `${source.flags}g`)
        : new RegExp(String(source), 'g')
  } catch (e) {
    throw memoryError('VALIDATION', `redact.patterns[${i}] is not a valid regular expression`, { cause: e })
  }
  if (pattern.test('')) throw memoryError('VALIDATION', `redact.patterns[${i}] matches the empty string`)
  pattern.lastIndex = 0
  return { kind: name.toLowerCase(), pattern }
}

/** Detect PII spans (non-overlapping, in text order). Exported for tests and for callers that only want to flag. */
export function findPii(text: string, options: Pick<RedactOptions, 'kinds' | 'patterns'> = {}): PiiSpan[] {
  return detect(text, plan(options))
}

interface Plan {
  custom: { kind: string; pattern: RegExp }[]
  kinds: PiiKind[]
}

function plan(options: Pick<RedactOptions, 'kinds' | 'patterns'>): Plan {
  const kinds = options.kinds ?? [...PII_KINDS]
  if (!Array.isArray(kinds) || kinds.some((k) => !PII_KINDS.includes(k))) {
    throw memoryError('VALIDATION', `redact.kinds must list some of ${PII_KINDS.join(', ')}`)
  }
  const patterns = options.patterns ?? []
  if (!Array.isArray(patterns)) throw memoryError('VALIDATION', 'redact.patterns must be an array')
  return { custom: patterns.map(compileCustom), kinds: ORDER.filter((k) => kinds.includes(k)) }
}

function detect(text: string, p: Plan): PiiSpan[] {
  const spans: PiiSpan[] = []
  // One byte per character: overlap checks cost the span's length, not the number of spans so far.
  const covered = new Uint8Array(text.length)
  const taken = (s: number, e: number) => covered.subarray(s, e).includes(1)
  const run = (kind: string, pattern: RegExp, accept?: (m: string) => number) => {
    pattern.lastIndex = 0
    for (const m of text.matchAll(pattern)) {
      const start = m.index
      const end = start + (accept ? accept(m[0]) : m[0].length)
      if (end === start || taken(start, end)) continue
      spans.push({ kind, start, end })
      covered.fill(1, start, end)
    }
  }
  for (const c of p.custom) run(c.kind, c.pattern)
  for (const kind of p.kinds) run(kind, DETECTORS[kind].pattern, DETECTORS[kind].accept)
  return spans.sort((a, b) => a.start - b.start)
}

function normalize(kind: string, value: string): string {
  if (kind === 'email' || kind === 'ip') return value.toLowerCase()
  if (kind === 'phone' || kind === 'card') return value.replace(/\D/g, '')
  if (kind === 'iban' || kind === 'national-id') return value.replace(/[ -]/g, '').toUpperCase()
  return value
}

const secretKey = (namespace: string) => `${namespace}/meta/pii`

/**
 * Build the redactor of a namespace. In 'pseudonymize' mode the namespace's HMAC key is read from
 * the store, or created (through `codec`) on first use.
 */
export async function openRedactor(
  store: StoreDriver,
  namespace: string,
  codec: BlobCodec,
  options: true | RedactOptions,
): Promise<Redactor> {
  const opts: RedactOptions = options === true ? {} : options
  if (!opts || typeof opts !== 'object') throw memoryError('VALIDATION', 'redact must be true or an options object')
  const mode = opts.mode ?? 'mask'
  if (mode !== 'mask' && mode !== 'pseudonymize') throw memoryError('VALIDATION', "redact.mode must be 'mask' or 'pseudonymize'")
  const p = plan(opts)
  let hmac: CryptoKey | undefined
  if (mode === 'pseudonymize') {
    const bytes = await store.get(secretKey(namespace))
    let raw: Uint8Array
    if (bytes) {
      const stored = parseJsonBytes<{ v?: number; key?: number[] }>(await codec.decode(bytes))
      if (stored?.v !== 1 || !Array.isArray(stored.key) || stored.key.length !== 32) {
        throw memoryError('CORRUPTED', 'The pseudonymization key record is damaged')
      }
      raw = Uint8Array.from(stored.key)
    } else {
      raw = crypto.getRandomValues(new Uint8Array(32))
      await store.set(secretKey(namespace), await codec.encode(jsonBytes({ v: 1, key: Array.from(raw) })))
    }
    hmac = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    raw.fill(0)
  }
  const encoder = new TextEncoder()
  const replacement = async (kind: string, value: string): Promise<string> => {
    const label = kind.toUpperCase().replace(/-/g, '_')
    if (!hmac) return `[${label}]`
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, encoder.encode(`${kind}\u0000${normalize(kind, value)}`)))
    let token = ''
    for (const b of mac.subarray(0, 5)) token += b.toString(16).padStart(2, '0')
    return `[${label}:${token}]`
  }
  const text = async (input: string): Promise<{ text: string; found: RedactionCounts }> => {
    const found: RedactionCounts = {}
    const spans = detect(input, p)
    if (spans.length === 0) return { text: input, found }
    let out = ''
    let at = 0
    for (const s of spans) {
      out += input.slice(at, s.start) + (await replacement(s.kind, input.slice(s.start, s.end)))
      at = s.end
      found[s.kind] = (found[s.kind] ?? 0) + 1
    }
    return { text: out + input.slice(at), found }
  }
  const value = async (v: JsonValue, found: RedactionCounts): Promise<JsonValue> => {
    if (typeof v === 'string') {
      const r = await text(v)
      mergeCounts(found, r.found)
      return r.text
    }
    if (Array.isArray(v)) {
      const out: JsonValue[] = []
      for (const x of v) out.push(await value(x, found))
      return out
    }
    if (v && typeof v === 'object') {
      const out: { [key: string]: JsonValue } = {}
      for (const [k, x] of Object.entries(v)) out[k] = await value(x, found)
      return out
    }
    return v
  }
  return {
    mode,
    text,
    async metadata(metadata: Metadata) {
      const found: RedactionCounts = {}
      const out = (await value(metadata, found)) as Metadata
      return { metadata: out, found }
    },
  }
}

export function mergeCounts(into: RedactionCounts, from: RedactionCounts): RedactionCounts {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n
  return into
}

/** Redact the text-bearing fields of a store/update input; `found` is empty when nothing matched. */
export async function redactInput<T extends { content?: string; metadata?: Metadata; entities?: string[] }>(
  redactor: Redactor,
  input: T,
): Promise<{ input: T; found: RedactionCounts }> {
  const found: RedactionCounts = {}
  if (!input || typeof input !== 'object') return { input, found }
  const out: T = { ...input }
  if (typeof input.content === 'string') {
    const r = await redactor.text(input.content)
    out.content = r.text
    mergeCounts(found, r.found)
  }
  if (input.metadata && typeof input.metadata === 'object' && !Array.isArray(input.metadata)) {
    const r = await redactor.metadata(input.metadata)
    out.metadata = r.metadata
    mergeCounts(found, r.found)
  }
  if (Array.isArray(input.entities)) {
    const entities: string[] = []
    for (const e of input.entities) {
      if (typeof e !== 'string') {
        entities.push(e)
        continue
      }
      const r = await redactor.text(e)
      entities.push(r.text)
      mergeCounts(found, r.found)
    }
    out.entities = entities
  }
  return { input: out, found }
}

/** Redact every item of a store batch; `found[i]` counts what item i lost. */
export async function redactItems<T extends { content?: string; metadata?: Metadata; entities?: string[] }>(
  redactor: Redactor,
  items: T[],
): Promise<{ items: T[]; found: RedactionCounts[] }> {
  if (!Array.isArray(items)) return { items, found: [] }
  const out: T[] = []
  const found: RedactionCounts[] = []
  for (const item of items) {
    const r = await redactInput(redactor, item)
    out.push(r.input)
    found.push(r.found)
  }
  return { items: out, found }
}

/** Attach redaction counts to the log entries that store those records (the audit keeps counts, never values). */
export function noteRedactions(
  changes: { id?: string; detail?: Record<string, unknown> }[],
  records: { id: string }[],
  found: RedactionCounts[],
): void {
  records.forEach((record, i) => {
    const counts = found[i]
    if (!counts || Object.keys(counts).length === 0) return
    const change = changes.find((c) => c.id === record.id)
    if (change) change.detail = { ...change.detail, redacted: counts }
  })
}

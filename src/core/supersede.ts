/**
 * Supersession: a new memory that updates an older fact closes the older one's validity
 * (`validTo`, `supersededBy`) instead of deleting it, so `recall` shows current facts and
 * `recall(q, { asOf })` still sees what was true then.
 *
 * The built-in detection is a heuristic over one-sentence facts: it extracts (subject, attribute, value)
 * and says B supersedes A when both have the same subject and attribute, a different value, the same
 * scope, and B is newer. Recognized shapes (case-insensitive; "favourite/colour" spelled either way):
 *   - "<possessor> <attribute> is|are|was|became|changed to [now|currently] <value>"
 *     possessor: my, I, the user's, user's, his, her, their, or a capitalized name's ("Anna's")
 *     e.g. "My favourite colour is now green", "The user's phone number is 555-0101"
 *     (a value starting with a preposition such as "in", "at", "with" is a state, not an attribute value)
 *   - "<subject> [now] live(s)|moved|relocated in|to <place>"  → attribute residence
 *     (the value stops at a connective: "in Paris with two cats" → "paris")
 *   - "<subject> [now] work(s) at|for <org>"                   → attribute employer
 *   - "<subject> [now] stud(y|ies) at <school>"                → attribute school
 *   - "<subject> am|is|'m <n> years old"                       → attribute age
 *   subject: I, the user, user, or a capitalized name.
 * Anything else never supersedes. An optional async callback (`policy.supersede.decide`) can decide
 * instead; it runs after the store is durable.
 */

import { sameScope } from './dedup.js'
import type { MemoryRecord } from './types.js'

export interface Fact {
  subject: string
  attribute: string
  value: string
}

const SELF = new Set(['my', 'i', "i'm", 'user', "user's", 'users', 'the user', "the user's", 'the users'])
const PRONOUNS = new Set(['his', 'her', 'their'])
const NOT_VALUES = /^(?:in|at|on|from|with|to|into|by|for|not|no|very|so|too|also|still|always|never|really|quite)\b/
const FILLER = /^(?:now|currently|actually|presently|officially|finally)\s+/

const POSSESSIVE =
  /^(my|the user'?s|user'?s|his|her|their|[A-Z][\p{L}-]*(?:\s[A-Z][\p{L}-]*)?['’]s)\s+([\p{L}\s-]{2,40}?)\s+(?:is|are|was|were|has become|became|has changed to|changed to)\s+(.+)$/iu
const MOVE =
  /^(i|the user|user|[A-Z][\p{L}-]*)\s+(?:now\s+|currently\s+|recently\s+|just\s+|have\s+|has\s+)?(lives?|living|moved|relocated|works?|working|stud(?:y|ies|ying))\s+(in|to|at|for)\s+(.+)$/iu
const AGE = /^(i|the user|user|[A-Z][\p{L}-]*)\s*(?:am|is|'m|’m)\s+(?:now\s+)?(\d{1,3})\s+years?\s+old\b/iu

function canonicalWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/favourite/g, 'favorite')
    .replace(/colour/g, 'color')
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

function subjectOf(raw: string): string {
  const s = raw
    .toLowerCase()
    .replace(/['’]s$/, '')
    .replace(/[’]/g, "'")
    .trim()
  if (SELF.has(s) || SELF.has(raw.toLowerCase())) return 'user'
  return s
}

/** The fact a one-sentence memory states, or undefined when it matches no known shape. */
export function extractFact(content: string): Fact | undefined {
  const sentence = content
    .trim()
    .replace(/[.!?]+$/, '')
    .trim()
  if (sentence.length === 0 || sentence.length > 300 || /[.!?]\s/.test(sentence)) return undefined
  const age = AGE.exec(sentence)
  if (age) return { subject: subjectOf(age[1]!), attribute: 'age', value: age[2]! }
  const move = MOVE.exec(sentence)
  if (move) {
    const verb = move[2]!.toLowerCase()
    const attribute = verb.startsWith('work') ? 'employer' : verb.startsWith('stud') ? 'school' : 'residence'
    // "lives in Paris with two cats": the place is the value, what follows a connective is not.
    const value = canonicalWords(move[4]!).split(/\s(?:with|and|since|because|for|but|where|when|after|before|until)\s/)[0]!
    return { subject: subjectOf(move[1]!), attribute, value }
  }
  const pos = POSSESSIVE.exec(sentence)
  if (pos) {
    const possessor = pos[1]!
    if (PRONOUNS.has(possessor.toLowerCase())) return undefined
    const value = canonicalWords(pos[3]!).replace(FILLER, '')
    if (value.length === 0 || NOT_VALUES.test(value)) return undefined
    return { subject: subjectOf(possessor), attribute: canonicalWords(pos[2]!), value }
  }
  return undefined
}

const factCache = new WeakMap<MemoryRecord, Fact | null>()

export function factOf(record: MemoryRecord): Fact | undefined {
  let fact = factCache.get(record)
  if (fact === undefined) {
    fact = extractFact(record.content) ?? null
    factCache.set(record, fact)
  }
  return fact ?? undefined
}

export interface Supersession {
  /** The memory that stops being current. */
  oldId: string
  /** The memory that replaces it. */
  newId: string
  /** When the old one stopped being valid: the newer memory's createdAt. */
  at: number
}

function eligible(r: MemoryRecord, now: number): boolean {
  return r.tier !== 'working' && r.validTo === undefined && r.summaryLevel === undefined && (r.expiresAt === undefined || r.expiresAt > now)
}

/** `subject\0attribute` of the fact a record states (what the catalog files it under), if any. */
export function factKeyOf(record: MemoryRecord): string | undefined {
  const f = factOf(record)
  return f ? `${f.subject}\u0000${f.attribute}` : undefined
}

/**
 * Supersessions implied by storing `incoming` (in order) next to the current records, which
 * `withFactKey` looks up by fact key. Newer facts supersede older ones; an incoming fact that is older
 * than a current one (a dated import) is itself superseded.
 */
export function planSupersession(incoming: MemoryRecord[], withFactKey: (key: string) => MemoryRecord[], now: number): Supersession[] {
  const keyed = incoming.filter((r) => eligible(r, now) && factOf(r))
  if (keyed.length === 0) return []
  const current = new Map<string, MemoryRecord[]>()
  const out: Supersession[] = []
  const closed = new Set<string>()
  for (const r of [...keyed].sort((a, b) => a.createdAt - b.createdAt)) {
    const key = factKeyOf(r)!
    let list = current.get(key)
    if (!list) {
      list = withFactKey(key).filter((e) => e.id !== r.id && eligible(e, now) && !keyed.includes(e))
      current.set(key, list)
    }
    const value = factOf(r)!.value
    for (const old of list) {
      if (closed.has(old.id) || closed.has(r.id) || !sameScope(old.scope, r.scope)) continue
      if (factOf(old)!.value === value) continue
      if (old.createdAt <= r.createdAt) {
        out.push({ oldId: old.id, newId: r.id, at: r.createdAt })
        closed.add(old.id)
      } else {
        out.push({ oldId: r.id, newId: old.id, at: old.createdAt })
        closed.add(r.id)
      }
    }
    list.push(r)
  }
  return out
}

/** The old record after being superseded (a new version, not a deletion). */
export function markSuperseded(old: MemoryRecord, byId: string, at: number, now: number): MemoryRecord {
  const next = structuredClone(old)
  next.validTo = at
  next.supersededBy = byId
  next.updatedAt = now
  next.version = old.version + 1
  return next
}

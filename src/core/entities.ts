/**
 * Local entity extraction (no model): what links memories into a graph. Each entity is `kind:value`
 * with a lowercased value, so the same name written in two memories links them.
 *
 * Kinds and rules:
 *   email  — RFC-ish `local@domain.tld`
 *   url    — http(s) URLs (trailing punctuation dropped), and bare `www.` hosts
 *   date   — ISO dates (2024-05-03), d/m/y or m/d/y with a 4-digit year, "3 May 2024", "May 3(, 2024)",
 *            month names alone with a year ("May 2024"), weekday names
 *   term   — anything in double or typographic quotes (2–60 characters)
 *   org    — capitalized words ending in Inc, Corp, LLC, Ltd, GmbH, University, College, Bank, Company,
 *            Foundation, Institute, Hospital, School, Group, Labs; or "University of X"
 *   place  — a capitalized word sequence after in/at/from/to/near/visited
 *   person — other runs of capitalized words, ignoring the first word of a sentence when it is a common
 *            sentence starter, pronouns, month and day names
 * Replace it with `policy.entities.extract` (e.g. an NER model).
 */

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']
const MONTH = `(?:${MONTHS.map((m) => `${m[0]!.toUpperCase()}${m.slice(1)}`).join('|')}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\\.?)`
const NOT_NAMES = new Set([
  ...MONTHS,
  ...DAYS,
  'i',
  'i’m',
  "i'm",
  'the',
  'a',
  'an',
  'this',
  'that',
  'these',
  'those',
  'my',
  'our',
  'your',
  'his',
  'her',
  'their',
  'its',
  'we',
  'you',
  'he',
  'she',
  'they',
  'it',
  'user',
  'yes',
  'no',
  'ok',
  'okay',
  'hi',
  'hello',
  'hey',
  'thanks',
  'thank',
  'what',
  'when',
  'where',
  'who',
  'why',
  'how',
  'and',
  'but',
  'or',
  'so',
  'if',
  'then',
  'also',
  'today',
  'tomorrow',
  'yesterday',
  'wow',
  'oh',
  'great',
  'sure',
  'well',
  'just',
  'let',
  'lets',
  'let’s',
  "let's",
  'please',
  'can',
  'could',
  'would',
  'should',
  'will',
  'do',
  'did',
  'does',
  'is',
  'are',
  'was',
  'were',
  'have',
  'has',
  'had',
  'not',
  'after',
  'before',
  'last',
  'next',
  'every',
  'some',
  'there',
  'here',
  // imperative sentence starters
  'email',
  'call',
  'send',
  'remember',
  'note',
  'tell',
  'ask',
  'meet',
  'buy',
  'go',
  'see',
  'check',
  'remind',
  'book',
])
const ORG_SUFFIX =
  /\b((?:[A-Z][\p{L}&.-]*\s){0,4}(?:Inc|Corp|Corporation|LLC|Ltd|GmbH|University|College|Bank|Company|Foundation|Institute|Hospital|School|Group|Labs))\b\.?|\b(University of (?:[A-Z][\p{L}-]*\s?){1,3})/gu
const PLACE = /\b(?:in|at|from|to|near|visited|visiting)\s+((?:[A-Z][\p{L}-]+)(?:\s+[A-Z][\p{L}-]+){0,3})/gu
const CAPITALIZED = /(?:^|[^\p{L}\p{N}'’])((?:[A-Z][\p{L}'’-]*)(?:\s+(?:[A-Z][\p{L}'’-]*))*)/gu
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g
const URL_RE = /\bhttps?:\/\/[^\s<>"')\]]+|\bwww\.[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s<>"')\]]*/g
const QUOTED = /"([^"\n]{2,60})"|“([^”\n]{2,60})”/g
const DATES = [
  /\b\d{4}-\d{2}-\d{2}\b/g,
  /\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b/g,
  new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+${MONTH}(?:,?\\s+\\d{4})?\\b`, 'g'),
  new RegExp(`\\b${MONTH}\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?\\b`, 'g'),
  new RegExp(`\\b${MONTH}\\s+\\d{4}\\b`, 'g'),
  /\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b/g,
]

const clean = (s: string) =>
  s
    .trim()
    .replace(/[.,;:!?]+$/, '')
    .replace(/['’]s$/, '')
    .replace(/\s+/g, ' ')
    .toLowerCase()

/** Entities of `text`, deduplicated, in order of first appearance. */
export function extractEntities(text: string): string[] {
  const out = new Set<string>()
  const taken: [number, number][] = []
  const take = (kind: string, value: string, start: number, end: number) => {
    const v = clean(value)
    if (v.length < 2) return
    out.add(`${kind}:${v}`)
    taken.push([start, end])
  }
  const overlaps = (start: number, end: number) => taken.some(([s, e]) => start < e && end > s)
  for (const m of text.matchAll(EMAIL)) take('email', m[0], m.index, m.index + m[0].length)
  for (const m of text.matchAll(URL_RE)) if (!overlaps(m.index, m.index + m[0].length)) take('url', m[0], m.index, m.index + m[0].length)
  for (const re of DATES) {
    for (const m of text.matchAll(re)) if (!overlaps(m.index, m.index + m[0].length)) take('date', m[0], m.index, m.index + m[0].length)
  }
  for (const m of text.matchAll(QUOTED)) take('term', m[1] ?? m[2] ?? '', m.index, m.index + m[0].length)
  for (const m of text.matchAll(ORG_SUFFIX)) {
    const value = (m[1] ?? m[2] ?? '').trim()
    if (!overlaps(m.index, m.index + m[0].length)) take('org', value, m.index, m.index + m[0].length)
  }
  for (const m of text.matchAll(PLACE)) {
    const start = m.index + m[0].length - m[1]!.length
    const words = trimNames(m[1]!)
    if (words && !overlaps(start, start + m[1]!.length)) take('place', words, start, start + m[1]!.length)
  }
  for (const m of text.matchAll(CAPITALIZED)) {
    const start = m.index + m[0].length - m[1]!.length
    const atSentenceStart = /(?:^|[.!?]\s*|\n\s*)$/.test(text.slice(0, start))
    let words = m[1]!.split(/\s+/)
    if (atSentenceStart && words.length >= 1 && NOT_NAMES.has(clean(words[0]!))) words = words.slice(1)
    const name = trimNames(words.join(' '))
    if (!name) continue
    if (atSentenceStart && !name.includes(' ') && words.length === 1 && isCommonStarter(name)) continue
    if (!overlaps(start, start + m[1]!.length)) take('person', name, start, start + m[1]!.length)
  }
  return [...out]
}

function trimNames(phrase: string): string | undefined {
  const words = phrase.split(/\s+/).filter((w) => w.length > 0 && !NOT_NAMES.has(clean(w)))
  return words.length > 0 ? words.join(' ') : undefined
}

/** A lone capitalized first word is a name only if it does not look like an ordinary sentence starter. */
function isCommonStarter(word: string): boolean {
  return /(?:ing|ed|ly)$/.test(word.toLowerCase()) || NOT_NAMES.has(clean(word))
}

/**
 * LoCoMo loading: turns, sessions with their dates, and questions with cleaned evidence
 * (../shared/data/README.md: ids like "D8:6; D9:17", "D:11:26", "D30:05" are repaired; ids that still
 * point nowhere are dropped; questions left without evidence are excluded and counted).
 */
import { readFileSync } from 'node:fs'

export interface Turn {
  id: string
  session: number
  speaker: string
  content: string
  createdAt: number
}

export interface Question {
  index: number
  question: string
  category: number
  evidence: Set<string>
}

export interface Conversation {
  id: string
  turns: Turn[]
  questions: Question[]
  /** Questions of the wanted categories dropped because none of their evidence ids exists. */
  excluded: number
  /** Evidence ids repaired by cleaning, and ids dropped as pointing nowhere. */
  repaired: number
  dropped: number
}

interface RawTurn {
  speaker: string
  dia_id: string
  text: string
  blip_caption?: string
}
interface RawQa {
  question: string
  evidence?: string[]
  category: number
}
interface RawSample {
  sample_id: string
  conversation: Record<string, unknown>
  qa: RawQa[]
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']

/** "1:56 pm on 8 May, 2023" -> epoch ms (UTC, so the result is the same on every machine). */
export function parseLocomoDate(text: string): number {
  const m = /^(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})$/i.exec(text.trim())
  if (!m) throw new Error(`Unrecognized LoCoMo date: ${JSON.stringify(text)}`)
  const [, h, min, ampm, day, monthName, year] = m as unknown as string[]
  const month = MONTHS.indexOf(monthName!.toLowerCase())
  if (month < 0) throw new Error(`Unrecognized month in LoCoMo date: ${JSON.stringify(text)}`)
  const hour = (Number(h) % 12) + (ampm!.toLowerCase() === 'pm' ? 12 : 0)
  return Date.UTC(Number(year), month, Number(day), hour, Number(min))
}

/** Split and repair one raw evidence entry into candidate dia_ids ("D:11:26" -> "D11:26", "D30:05" -> "D30:5"). */
export function cleanEvidence(raw: string): string[] {
  const out: string[] = []
  for (const part of raw.split(/[;,\s]+/)) {
    const m = /^D:?(\d+):(\d+)$/.exec(part.trim())
    if (m) out.push(`D${Number(m[1])}:${Number(m[2])}`)
  }
  return out
}

export function turnContent(t: RawTurn): string {
  const caption = t.blip_caption?.trim()
  return caption ? `${t.speaker}: ${t.text} [shares ${caption}]` : `${t.speaker}: ${t.text}`
}

export function loadLocomo(file: string, categories: readonly number[] = [1, 2, 3, 4]): Conversation[] {
  const samples = JSON.parse(readFileSync(file, 'utf8')) as RawSample[]
  if (!Array.isArray(samples)) throw new Error(`${file}: expected a list of LoCoMo samples`)
  return samples.map((s) => {
    const turns: Turn[] = []
    for (const [key, value] of Object.entries(s.conversation)) {
      const m = /^session_(\d+)$/.exec(key)
      if (!m || !Array.isArray(value)) continue
      const session = Number(m[1])
      const date = s.conversation[`session_${session}_date_time`]
      if (typeof date !== 'string') throw new Error(`${s.sample_id}: session ${session} has no date`)
      const createdAt = parseLocomoDate(date)
      // A second per turn after the session's start keeps the turns of a session in their spoken order.
      for (const [i, t] of (value as RawTurn[]).entries())
        turns.push({ id: t.dia_id, session, speaker: t.speaker, content: turnContent(t), createdAt: createdAt + i * 1000 })
    }
    turns.sort((a, b) => a.session - b.session || turnNumber(a.id) - turnNumber(b.id))
    const known = new Set(turns.map((t) => t.id))
    let excluded = 0
    let repaired = 0
    let dropped = 0
    const questions: Question[] = []
    s.qa.forEach((q, index) => {
      if (!categories.includes(q.category)) return
      const evidence = new Set<string>()
      for (const raw of q.evidence ?? []) {
        const ids = cleanEvidence(raw)
        if (ids.length !== 1 || ids[0] !== raw) repaired++
        for (const id of ids) {
          if (known.has(id)) evidence.add(id)
          else dropped++
        }
        if (ids.length === 0) dropped++
      }
      if (evidence.size === 0) excluded++
      else questions.push({ index, question: q.question, category: q.category, evidence })
    })
    return { id: s.sample_id, turns, questions, excluded, repaired, dropped }
  })
}

function turnNumber(id: string): number {
  return Number(id.split(':')[1])
}

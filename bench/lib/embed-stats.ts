/** Spearman rank correlation (average ranks for ties) and STS-B loading for the embedding benchmark. */
import { readFileSync } from 'node:fs'

export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0])
  const out = new Array<number>(values.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2
    i = j + 1
  }
  return out
}

export function pearson(a: readonly number[], b: readonly number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length
  const mb = b.reduce((s, x) => s + x, 0) / b.length
  let num = 0
  let da = 0
  let db = 0
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - ma) * (b[i]! - mb)
    da += (a[i]! - ma) ** 2
    db += (b[i]! - mb) ** 2
  }
  return num / Math.sqrt(da * db)
}

export const spearman = (a: readonly number[], b: readonly number[]) => pearson(ranks(a), ranks(b))

export interface StsPair {
  score: number
  a: string
  b: string
}

/** STS-B: tab separated genre, file, year, id, score, sentence1, sentence2. */
export function readSts(path: string): StsPair[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.split('\t'))
    .filter((c) => c.length >= 7)
    .map((c) => ({ score: Number(c[4]), a: c[5]!, b: c[6]! }))
}

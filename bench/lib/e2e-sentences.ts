/** Deterministic, varied synthetic memories and queries for the end-to-end benchmark (no two alike). */

const NAMES =
  'Alice Bob Carla Dmitri Elena Farid Grace Hiro Ines Jonas Kemal Lena Marco Nadia Omar Priya Quentin Rosa Sami Tara Umar Vera Wen Xavier Yara Zoe'.split(
    ' ',
  )
const VERBS = [
  'booked a table at',
  'complained about',
  'recommended',
  'wants to visit',
  'lost a glove at',
  'took photos of',
  'paid too much for',
  'organized a party at',
  'read a review of',
  'is saving money for',
  'had a long talk about',
  'fixed the leak near',
  'argued with a friend about',
  'is learning about',
  'volunteered at',
  'ran into an old teacher at',
  'dreams of opening',
  'cancelled the trip to',
  'painted a picture of',
  'forgot the keys at',
]
const THINGS = [
  'the Italian restaurant',
  'the new climbing gym',
  'a second-hand bicycle',
  'the central library',
  'the jazz festival',
  'a vegan bakery',
  'the harbour market',
  'the old cinema',
  'a pottery class',
  'the mountain cabin',
  'the electric car',
  'a chess tournament',
  'the botanical garden',
  'the night train',
  'a tiny bookshop',
  'the science museum',
  'a surfing school',
  'the community garden',
  'the vintage guitar',
  'a cooking course',
  'the rooftop bar',
  'the dog shelter',
  'the tax office',
  'a coffee roaster',
  'the running club',
  'the flea market',
  'the ferry terminal',
  'a language exchange',
  'the yoga studio',
  'the observatory',
]
const WHEN = [
  'last Monday',
  'on Friday evening',
  'in early spring',
  'during the holidays',
  'two weeks ago',
  'yesterday morning',
  'after work',
  'on her birthday',
  'on his birthday',
  'before the exam',
  'in the rain',
  'at dawn',
  'over the weekend',
  'last summer',
  'in November',
  'after the concert',
]
const EXTRA = [
  'and it went better than expected',
  'but the prices were shocking',
  'with three colleagues',
  'because a friend insisted',
  'and plans to go again',
  'and wrote about it online',
  'for the second time this year',
  'while the kids were at school',
  'and felt nervous',
  'to celebrate a promotion',
  'and met a famous chef',
  'and got completely lost',
  'without telling anyone',
  'on a tight budget',
  'despite a sore knee',
  'and lost track of time',
]

/** mulberry32: a small seeded PRNG, so every run generates the same text. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(rand: () => number, list: readonly T[]) => list[Math.floor(rand() * list.length)]!

/** `n` distinct sentences (a running number keeps them unique when the combinations repeat). */
export function sentences(n: number, seed = 42): string[] {
  const rand = prng(seed)
  const seen = new Set<string>()
  const out: string[] = []
  while (out.length < n) {
    let s = `${pick(rand, NAMES)} ${pick(rand, VERBS)} ${pick(rand, THINGS)} ${pick(rand, WHEN)} ${pick(rand, EXTRA)}.`
    if (seen.has(s)) s = `${s.slice(0, -1)} (note ${out.length}).`
    seen.add(s)
    out.push(s)
  }
  return out
}

export function queries(n: number, seed = 7): string[] {
  const rand = prng(seed)
  const forms = [
    (a: string, b: string) => `What did ${a} think of ${b}?`,
    (a: string, b: string) => `When was ${a} at ${b}?`,
    (a: string, b: string) => `Who went to ${b} with ${a}?`,
    (a: string, b: string) => `${a} and ${b}`,
  ]
  return Array.from({ length: n }, () => pick(rand, forms)(pick(rand, NAMES), pick(rand, THINGS)))
}

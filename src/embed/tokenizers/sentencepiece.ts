/**
 * The Universal Sentence Encoder lite tokenizer: a SentencePiece unigram segmenter over the model's
 * `vocab.json` (a list of `[piece, score]`). Ported to match the reference TF.js tokenizer id for id:
 * NFKC, a "▁" before the text and in place of every ASCII space, then the segmentation whose summed
 * piece scores is highest (ties go to the later, shorter piece), a character no piece covers becomes the
 * unknown id 0, and a run of unknowns collapses to one.
 */

/** `[piece, score]`; a few pieces of the shipped vocab have a null score, which counts as 0. */
export type SentencePieceVocab = ReadonlyArray<readonly [string, number | null]>

/** Id of the unknown piece. The USE-lite graph also uses 0 as padding (see {@link SentencePieceTokenizer.encode}). */
export const UNKNOWN_ID = 0
const WORD_MARK = '\u2581'
/** The first ids are control symbols (unknown, <s>, </s>, three extras), never produced by segmentation. */
const RESERVED = 6

interface TrieNode {
  children: Map<number, TrieNode>
  /** Vocabulary id when a piece ends here, else -1. */
  id: number
  score: number
}

const newNode = (): TrieNode => ({ children: new Map(), id: -1, score: 0 })

export class SentencePieceTokenizer {
  readonly #root = newNode()
  /** Length in code points of each piece, for walking the best path back. */
  readonly #pieceLength: Int32Array
  /** 1 where the piece begins with "▁" (starts a word). */
  readonly #wordStart: Uint8Array
  /** Id of the bare "▁" piece: what a text of unknown characters only is left with. */
  readonly wordMarkId: number

  constructor(vocab: SentencePieceVocab) {
    this.#pieceLength = new Int32Array(vocab.length)
    this.#pieceLength[0] = 1
    this.#wordStart = new Uint8Array(vocab.length)
    let wordMarkId = -1
    for (let id = RESERVED; id < vocab.length; id++) {
      const entry = vocab[id]!
      const piece = entry[0]
      let node = this.#root
      let length = 0
      for (const ch of piece) {
        const cp = ch.codePointAt(0)!
        let next = node.children.get(cp)
        if (!next) {
          next = newNode()
          node.children.set(cp, next)
        }
        node = next
        length++
      }
      node.id = id
      node.score = entry[1] ?? 0
      this.#pieceLength[id] = length
      if (piece.startsWith(WORD_MARK)) this.#wordStart[id] = 1
      if (piece === WORD_MARK) wordMarkId = id
    }
    if (wordMarkId < 0) throw new Error('SentencePiece vocabulary has no "▁" piece')
    this.wordMarkId = wordMarkId
  }

  /**
   * Token ids of `text`, exactly as the reference tokenizer gives them (unknown runs as one 0).
   * Empty text gives no ids.
   */
  encode(text: string): number[] {
    const normalized = text.normalize('NFKC')
    if (normalized.length === 0) return []
    const symbols: number[] = []
    symbols.push(WORD_MARK.codePointAt(0)!)
    for (const ch of normalized) symbols.push(ch === ' ' ? 0x2581 : ch.codePointAt(0)!)
    const n = symbols.length
    // best[e]: best total score of a segmentation of symbols[0, e); choice[e]: id of its last piece.
    // Relaxing from each start in increasing order visits the candidates for every end in the same order
    // as the reference, which matters for its tie rule and its "0 means unset" rule.
    const best = new Float64Array(n + 1)
    const choice = new Int32Array(n + 1)
    for (let start = 0; start < n; start++) {
      const base = best[start]!
      let node: TrieNode | undefined = this.#root.children.get(symbols[start]!)
      let matched = false
      for (let end = start + 1; node; end++) {
        if (node.id >= 0) {
          matched = true
          relax(best, choice, end, node.score + base, node.id)
        }
        node = end < n ? node.children.get(symbols[end]!) : undefined
      }
      if (!matched) relax(best, choice, start + 1, base, UNKNOWN_ID)
    }
    const reversed: number[] = []
    for (let at = n; at > 0; at -= this.#pieceLength[choice[at]!]!) reversed.push(choice[at]!)
    const ids: number[] = []
    for (let i = reversed.length - 1; i >= 0; i--) {
      const id = reversed[i]!
      if (id === UNKNOWN_ID && ids.length > 0 && ids[ids.length - 1] === UNKNOWN_ID) continue
      ids.push(id)
    }
    return ids
  }

  /**
   * Ids ready for the USE-lite graph: unknown ids removed, because the graph reads 0 as padding (fed
   * unknowns, the TF.js graph misaligns every later token). A text made only of unknown characters is
   * left with the bare "▁" piece, so it still gets a stable vector.
   */
  encodeForModel(text: string): number[] {
    const ids = this.encode(text).filter((id) => id !== UNKNOWN_ID)
    return ids.length > 0 ? ids : [this.wordMarkId]
  }

  /** True when `id` starts a word (its piece begins with "▁"): where chunking may cut. */
  startsWord(id: number): boolean {
    return this.#wordStart[id] === 1
  }
}

function relax(best: Float64Array, choice: Int32Array, end: number, score: number, id: number): void {
  if (best[end] === 0 || score >= best[end]!) {
    best[end] = score
    choice[end] = id
  }
}

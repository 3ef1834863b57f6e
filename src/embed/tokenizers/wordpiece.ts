/**
 * BERT's tokenizer, configured from a Hugging Face `tokenizer.json` with a WordPiece model (all-MiniLM,
 * bge, gte, e5 exports): BertNormalizer (clean text, space around CJK characters, strip accents,
 * lowercase), BertPreTokenizer (split on whitespace and punctuation), then greedy longest-match WordPiece
 * with the "##" continuation prefix. Special tokens typed inside the text are not recognised (they are
 * tokenized as plain text).
 */

export interface WordPieceOptions {
  vocab: ReadonlyMap<string, number>
  unkToken: string
  clsToken: string
  sepToken: string
  padToken: string
  continuingPrefix: string
  maxInputCharsPerWord: number
  cleanText: boolean
  handleChineseChars: boolean
  stripAccents: boolean
  lowercase: boolean
}

export class WordPieceTokenizer {
  readonly options: WordPieceOptions
  readonly unkId: number
  readonly clsId: number
  readonly sepId: number
  readonly padId: number
  /** Ids of "##" pieces: a chunk must not start with one. */
  readonly #continuation = new Set<number>()

  constructor(options: WordPieceOptions) {
    this.options = options
    for (const [token, id] of options.vocab) if (token.startsWith(options.continuingPrefix)) this.#continuation.add(id)
    const id = (token: string) => {
      const found = options.vocab.get(token)
      if (found === undefined) throw new Error(`tokenizer.json: the vocabulary has no ${token}`)
      return found
    }
    this.unkId = id(options.unkToken)
    this.clsId = id(options.clsToken)
    this.sepId = id(options.sepToken)
    this.padId = id(options.padToken)
  }

  /** The text normalized as BertNormalizer does. */
  normalize(text: string): string {
    const o = this.options
    let out = ''
    for (const ch of text) {
      const cp = ch.codePointAt(0)!
      if (o.cleanText) {
        if (cp === 0 || cp === 0xfffd || isControl(ch)) continue
        if (isWhitespace(ch)) {
          out += ' '
          continue
        }
      }
      out += o.handleChineseChars && isCjk(cp) ? ` ${ch} ` : ch
    }
    if (o.stripAccents) out = out.normalize('NFD').replace(/\p{Mn}/gu, '')
    if (o.lowercase) out = out.toLowerCase()
    return out
  }

  /** Words and punctuation marks, as BertPreTokenizer splits them. */
  preTokenize(normalized: string): string[] {
    const words: string[] = []
    let current = ''
    for (const ch of normalized) {
      if (isWhitespace(ch)) {
        if (current) words.push(current)
        current = ''
      } else if (isPunctuation(ch)) {
        if (current) words.push(current)
        words.push(ch)
        current = ''
      } else {
        current += ch
      }
    }
    if (current) words.push(current)
    return words
  }

  /** WordPiece tokens of the text (no [CLS]/[SEP]). */
  tokenize(text: string): string[] {
    const o = this.options
    const out: string[] = []
    for (const word of this.preTokenize(this.normalize(text))) {
      const chars = Array.from(word)
      if (chars.length > o.maxInputCharsPerWord) {
        out.push(o.unkToken)
        continue
      }
      const pieces: string[] = []
      let start = 0
      let bad = false
      while (start < chars.length) {
        let end = chars.length
        let found: string | null = null
        while (start < end) {
          const sub = (start > 0 ? o.continuingPrefix : '') + chars.slice(start, end).join('')
          if (o.vocab.has(sub)) {
            found = sub
            break
          }
          end--
        }
        if (found === null) {
          bad = true
          break
        }
        pieces.push(found)
        start = end
      }
      if (bad) out.push(o.unkToken)
      else out.push(...pieces)
    }
    return out
  }

  /** Token ids of the text (no [CLS]/[SEP]). */
  encode(text: string): number[] {
    return this.tokenize(text).map((t) => this.options.vocab.get(t) ?? this.unkId)
  }

  /** True when the id does not continue the previous word (does not start with "##"). */
  startsWord(id: number): boolean {
    return !this.#continuation.has(id)
  }
}

/** Builds the tokenizer from the parsed JSON of a `tokenizer.json`. Throws a plain Error on what it cannot use. */
export function wordPieceFromTokenizerJson(json: unknown): WordPieceTokenizer {
  const root = json as {
    model?: {
      type?: string
      vocab?: Record<string, number>
      unk_token?: string
      continuing_subword_prefix?: string
      max_input_chars_per_word?: number
    }
    normalizer?: {
      type?: string
      clean_text?: boolean
      handle_chinese_chars?: boolean
      strip_accents?: boolean | null
      lowercase?: boolean
    } | null
    padding?: { pad_token?: string } | null
    post_processor?: { special_tokens?: Record<string, { tokens?: string[] }> } | null
  }
  const model = root?.model
  if (model?.type !== 'WordPiece' || !model.vocab) {
    throw new Error(`tokenizer.json: expected a WordPiece model, found ${model?.type ?? 'none'}`)
  }
  const vocab = new Map(Object.entries(model.vocab))
  const n = root.normalizer
  const bert = n?.type === 'BertNormalizer'
  const lowercase = bert ? n.lowercase !== false : false
  const specials = root.post_processor?.special_tokens ?? {}
  const pick = (preferred: string, fallback: string) => (specials[preferred] || vocab.has(preferred) ? preferred : fallback)
  return new WordPieceTokenizer({
    vocab,
    unkToken: model.unk_token ?? '[UNK]',
    clsToken: pick('[CLS]', '<s>'),
    sepToken: pick('[SEP]', '</s>'),
    padToken: root.padding?.pad_token ?? pick('[PAD]', '<pad>'),
    continuingPrefix: model.continuing_subword_prefix ?? '##',
    maxInputCharsPerWord: model.max_input_chars_per_word ?? 100,
    cleanText: bert ? n.clean_text !== false : false,
    handleChineseChars: bert ? n.handle_chinese_chars !== false : false,
    // BertNormalizer: strip_accents null means "same as lowercase".
    stripAccents: bert ? (n.strip_accents ?? lowercase) === true : false,
    lowercase,
  })
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /\p{Zs}/u.test(ch)
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false
  return /\p{C}/u.test(ch)
}

function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!
  // BERT counts all non-letter/number ASCII as punctuation ("$", "^", "`" are not Unicode P*).
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true
  return /\p{P}/u.test(ch)
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  )
}

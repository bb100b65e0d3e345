import { check, fail } from '../../core/errors.ts';

export interface WordTokenizerOptions {
  lowercase?: boolean;
  padToken?: string;
  oovToken?: string;
}

export interface EncodeOptions {
  /** Output length: shorter sequences are padded, longer ones truncated. */
  length: number;
  /** Where padding goes (default 'post'). */
  padding?: 'pre' | 'post';
  /** Which end is cut when too long (default 'post': keep the beginning). */
  truncation?: 'pre' | 'post';
}

/** Encoded batch: ids and attention mask (1 = real token, 0 = padding), both [n, length] row-major. */
export interface EncodedBatch {
  ids: Int32Array;
  mask: Int32Array;
  shape: [number, number];
}

export interface WordTokenizerJSON {
  type: 'WordTokenizer';
  lowercase: boolean;
  padToken: string;
  oovToken: string;
  vocab: string[];
}

// Words (letters/digits, with an inner apostrophe as in "don't") or single punctuation marks.
const TOKEN_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[^\s\p{L}\p{N}]/gu;

/**
 * Word-level tokenizer: lowercases, splits words from punctuation, builds a vocabulary with PAD = 0 and
 * OOV = 1 followed by tokens by descending frequency, ties broken alphabetically so the same corpus always
 * gives the same ids.
 */
export class WordTokenizer {
  readonly lowercase: boolean;
  readonly padToken: string;
  readonly oovToken: string;
  vocab: string[] = [];
  private index = new Map<string, number>();

  constructor(opts: WordTokenizerOptions = {}) {
    this.lowercase = opts.lowercase ?? true;
    this.padToken = opts.padToken ?? '<pad>';
    this.oovToken = opts.oovToken ?? '<unk>';
  }

  get padId(): number {
    return 0;
  }
  get oovId(): number {
    return 1;
  }
  get vocabSize(): number {
    return this.vocab.length;
  }

  tokenize(text: string): string[] {
    return (this.lowercase ? text.toLowerCase() : text).match(TOKEN_RE) ?? [];
  }

  /** Builds the vocabulary. `maxSize` counts the PAD and OOV tokens; `minFreq` drops rarer tokens. */
  fit(texts: Iterable<string>, opts: { minFreq?: number; maxSize?: number } = {}): this {
    const minFreq = opts.minFreq ?? 1;
    const maxSize = opts.maxSize ?? Number.POSITIVE_INFINITY;
    check(
      maxSize >= 2,
      'WordTokenizer.fit',
      () => `maxSize must leave room for PAD and OOV (>= 2), got ${maxSize}`,
    );
    const counts = new Map<string, number>();
    for (const t of texts) for (const tok of this.tokenize(t)) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    const kept = [...counts]
      .filter(([tok, c]) => c >= minFreq && tok !== this.padToken && tok !== this.oovToken)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, Math.max(0, maxSize - 2))
      .map(([tok]) => tok);
    this.setVocab([this.padToken, this.oovToken, ...kept]);
    return this;
  }

  private setVocab(vocab: string[]): void {
    this.vocab = vocab;
    this.index = new Map(vocab.map((t, i) => [t, i]));
  }

  /** Token ids without padding (OOV for unknown tokens). */
  toIds(text: string): number[] {
    check(this.vocab.length > 0, 'WordTokenizer.encode', () => 'no vocabulary; call fit() first');
    return this.tokenize(text).map((t) => this.index.get(t) ?? 1);
  }

  encode(text: string, opts: EncodeOptions): { ids: Int32Array; mask: Int32Array } {
    const b = this.encodeBatch([text], opts);
    return { ids: b.ids, mask: b.mask };
  }

  encodeBatch(texts: readonly string[], opts: EncodeOptions): EncodedBatch {
    return padBatch(
      texts.map((t) => this.toIds(t)),
      opts,
      this.padId,
    );
  }

  decode(ids: ArrayLike<number>, opts: { skipPad?: boolean } = {}): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (opts.skipPad !== false && id === 0) continue;
      const tok = this.vocab[id];
      if (tok === undefined) fail('WordTokenizer.decode', `id ${id} out of range [0, ${this.vocab.length})`);
      out.push(tok);
    }
    return out;
  }

  toJSON(): WordTokenizerJSON {
    return {
      type: 'WordTokenizer',
      lowercase: this.lowercase,
      padToken: this.padToken,
      oovToken: this.oovToken,
      vocab: [...this.vocab],
    };
  }

  static fromJSON(j: WordTokenizerJSON): WordTokenizer {
    check(
      j.type === 'WordTokenizer',
      'WordTokenizer.fromJSON',
      () => `expected type WordTokenizer, got ${j.type}`,
    );
    const t = new WordTokenizer({ lowercase: j.lowercase, padToken: j.padToken, oovToken: j.oovToken });
    t.setVocab([...j.vocab]);
    return t;
  }
}

/** Pads or truncates id sequences to one length and builds the attention mask. */
export function padBatch(seqs: readonly (readonly number[])[], opts: EncodeOptions, padId = 0): EncodedBatch {
  const L = opts.length;
  check(Number.isInteger(L) && L > 0, 'padBatch', () => `length must be a positive integer, got ${L}`);
  const ids = new Int32Array(seqs.length * L).fill(padId);
  const mask = new Int32Array(seqs.length * L);
  seqs.forEach((s, i) => {
    const kept = s.length <= L ? s : opts.truncation === 'pre' ? s.slice(s.length - L) : s.slice(0, L);
    const start = opts.padding === 'pre' ? L - kept.length : 0;
    for (let k = 0; k < kept.length; k++) {
      ids[i * L + start + k] = kept[k]!;
      mask[i * L + start + k] = 1;
    }
  });
  return { ids, mask, shape: [seqs.length, L] };
}

import { check } from '../../core/errors.ts';
import { type EncodedBatch, type EncodeOptions, padBatch } from './word-tokenizer.ts';

export interface BpeJSON {
  type: 'BpeTokenizer';
  lowercase: boolean;
  merges: [string, string][];
  vocab: string[];
}

const END = '</w>';
const PAD = '<pad>';
const UNK = '<unk>';
const WORD_RE = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

/**
 * Byte-pair encoding over words (Sennrich et al. 2016): each word is characters plus an end-of-word
 * marker, and training repeatedly merges the most frequent adjacent pair, ties broken by the pair's
 * text so training is deterministic. Vocabulary: PAD = 0, UNK = 1, sorted characters, then merges in order.
 */
export class BpeTokenizer {
  readonly lowercase: boolean;
  merges: [string, string][] = [];
  vocab: string[] = [];
  private index = new Map<string, number>();
  private ranks = new Map<string, number>();
  private cache = new Map<string, string[]>();

  constructor(opts: { lowercase?: boolean } = {}) {
    this.lowercase = opts.lowercase ?? true;
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  private words(text: string): string[] {
    return (this.lowercase ? text.toLowerCase() : text).match(WORD_RE) ?? [];
  }

  /** Learns merges until the vocabulary reaches `vocabSize` or no pair occurs `minFreq` times. */
  fit(texts: Iterable<string>, opts: { vocabSize: number; minFreq?: number }): this {
    const minFreq = opts.minFreq ?? 2;
    const wordCounts = new Map<string, number>();
    for (const t of texts) for (const w of this.words(t)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    const words = [...wordCounts].map(([w, c]) => ({ syms: [...w, END], count: c }));
    const chars = new Set<string>();
    for (const w of words) for (const s of w.syms) chars.add(s);
    const base = [PAD, UNK, ...[...chars].sort()];
    check(
      opts.vocabSize >= base.length,
      'BpeTokenizer.fit',
      () => `vocabSize ${opts.vocabSize} is smaller than the ${base.length} base symbols`,
    );
    const merges: [string, string][] = [];
    while (base.length + merges.length < opts.vocabSize) {
      const pairs = new Map<string, number>();
      for (const w of words)
        for (let i = 0; i + 1 < w.syms.length; i++) {
          const key = `${w.syms[i]} ${w.syms[i + 1]}`;
          pairs.set(key, (pairs.get(key) ?? 0) + w.count);
        }
      let best: string | undefined;
      let bestCount = 0;
      for (const [k, c] of pairs)
        if (c > bestCount || (c === bestCount && k < best!)) [best, bestCount] = [k, c];
      if (best === undefined || bestCount < minFreq) break;
      const [a, b] = best.split(' ') as [string, string];
      merges.push([a, b]);
      for (const w of words) w.syms = mergePair(w.syms, a, b);
    }
    this.setModel(merges, [...base, ...merges.map(([a, b]) => a + b)]);
    return this;
  }

  private setModel(merges: [string, string][], vocab: string[]): void {
    this.merges = merges;
    this.vocab = vocab;
    this.index = new Map(vocab.map((t, i) => [t, i]));
    this.ranks = new Map(merges.map(([a, b], r) => [`${a} ${b}`, r]));
    this.cache.clear();
  }

  /** Subword pieces of a text: each word merged greedily by merge rank. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const w of this.words(text)) {
      let pieces = this.cache.get(w);
      if (pieces === undefined) {
        pieces = [...w, END];
        for (;;) {
          let bestRank = Number.POSITIVE_INFINITY;
          let bestAt = -1;
          for (let i = 0; i + 1 < pieces.length; i++) {
            const r = this.ranks.get(`${pieces[i]} ${pieces[i + 1]}`);
            if (r !== undefined && r < bestRank) [bestRank, bestAt] = [r, i];
          }
          if (bestAt < 0) break;
          const [a, b] = this.merges[bestRank]!;
          pieces = mergePair(pieces, a, b);
        }
        this.cache.set(w, pieces);
      }
      out.push(...pieces);
    }
    return out;
  }

  toIds(text: string): number[] {
    check(this.vocab.length > 0, 'BpeTokenizer.encode', () => 'no vocabulary; call fit() first');
    return this.tokenize(text).map((p) => this.index.get(p) ?? 1);
  }

  encodeBatch(texts: readonly string[], opts: EncodeOptions): EncodedBatch {
    return padBatch(
      texts.map((t) => this.toIds(t)),
      opts,
      0,
    );
  }

  /** Joins pieces back into words (the end-of-word marker becomes a space). */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id === 0) continue;
      s += this.vocab[id] ?? UNK;
    }
    return s.split(END).join(' ').trim();
  }

  toJSON(): BpeJSON {
    return {
      type: 'BpeTokenizer',
      lowercase: this.lowercase,
      merges: this.merges.map(([a, b]) => [a, b]),
      vocab: [...this.vocab],
    };
  }

  static fromJSON(j: BpeJSON): BpeTokenizer {
    check(
      j.type === 'BpeTokenizer',
      'BpeTokenizer.fromJSON',
      () => `expected type BpeTokenizer, got ${j.type}`,
    );
    const t = new BpeTokenizer({ lowercase: j.lowercase });
    t.setModel(
      j.merges.map(([a, b]) => [a, b]),
      [...j.vocab],
    );
    return t;
  }
}

function mergePair(syms: string[], a: string, b: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < syms.length; i++) {
    if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
      out.push(a + b);
      i++;
    } else out.push(syms[i]!);
  }
  return out;
}

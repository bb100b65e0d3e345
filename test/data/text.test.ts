import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BpeTokenizer } from '../../src/data/text/bpe.ts';
import { extractEmailText, htmlToText } from '../../src/data/text/email.ts';
import { loadSpamAssassin } from '../../src/data/text/spam-assassin.ts';
import { padBatch, WordTokenizer } from '../../src/data/text/word-tokenizer.ts';

test('WordTokenizer: lowercase, punctuation split, vocabulary by frequency with stable ties', () => {
  const tok = new WordTokenizer();
  assert.deepEqual(tok.tokenize("Hello, World! Don't stop: 3.5"), [
    'hello',
    ',',
    'world',
    '!',
    "don't",
    'stop',
    ':',
    '3',
    '.',
    '5',
  ]);
  tok.fit(['b a c a', 'c b a d', 'e'], { minFreq: 2 });
  // a:3, b:2, c:2 (tie -> alphabetical), d and e dropped by minFreq.
  assert.deepEqual(tok.vocab, ['<pad>', '<unk>', 'a', 'b', 'c']);
  const small = new WordTokenizer().fit(['b a c a', 'c b a d'], { maxSize: 4 });
  assert.deepEqual(small.vocab, ['<pad>', '<unk>', 'a', 'b']);
  const enc = tok.encodeBatch(['a b z', 'c c c c c a'], { length: 4 });
  assert.deepEqual(enc.shape, [2, 4]);
  assert.deepEqual(Array.from(enc.ids), [2, 3, 1, 0, 4, 4, 4, 4]);
  assert.deepEqual(Array.from(enc.mask), [1, 1, 1, 0, 1, 1, 1, 1]);
  const pre = tok.encode('a b', { length: 4, padding: 'pre' });
  assert.deepEqual(Array.from(pre.ids), [0, 0, 2, 3]);
  assert.deepEqual(Array.from(pre.mask), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(padBatch([[1, 2, 3, 4, 5]], { length: 3, truncation: 'pre' }).ids), [3, 4, 5]);
  assert.deepEqual(tok.decode([2, 1, 0, 0]), ['a', '<unk>']);
  const back = WordTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
  assert.deepEqual(back.encodeBatch(['a b z'], { length: 4 }), tok.encodeBatch(['a b z'], { length: 4 }));
  assert.throws(() => new WordTokenizer().toIds('x'), /\[WordTokenizer\.encode\] no vocabulary/);
});

test('BpeTokenizer reproduces the first merges of Sennrich et al. (2016) and round-trips', () => {
  const corpus = [
    ...Array(5).fill('low'),
    ...Array(2).fill('lower'),
    ...Array(6).fill('newest'),
    ...Array(3).fill('widest'),
  ];
  const bpe = new BpeTokenizer();
  bpe.fit(corpus, { vocabSize: 2 + 11 + 10, minFreq: 2 }); // PAD, UNK, 11 symbols (10 letters + </w>), 10 merges
  // The paper's first five merges (its later ones differ only in tie order: we break ties by text).
  assert.deepEqual(bpe.merges.slice(0, 5), [
    ['e', 's'],
    ['es', 't'],
    ['est', '</w>'],
    ['l', 'o'],
    ['lo', 'w'],
  ]);
  assert.equal(bpe.merges.length, 10);
  assert.deepEqual(bpe.tokenize('lowest'), ['low', 'est</w>']);
  const ids = bpe.encodeBatch(['lowest widest'], { length: 8 });
  assert.equal(bpe.decode(ids.ids), 'lowest widest');
  const unk = bpe.toIds('zz');
  assert.deepEqual(unk, [1, 1, bpe.vocab.indexOf('</w>')]);
  const back = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(bpe.toJSON())));
  assert.deepEqual(back.tokenize('newer lowest'), bpe.tokenize('newer lowest'));
  assert.throws(
    () => new BpeTokenizer().fit(['abc'], { vocabSize: 3 }),
    /vocabSize 3 is smaller than the 6 base symbols/,
  );
});

test('extractEmailText: headers, multipart, quoted-printable, base64, HTML fallback', async () => {
  const mail = [
    'From someone@example.com  Thu Aug 22 13:17:22 2002',
    'From: Alice <alice@example.com>',
    'Subject: =?utf-8?q?Caf=C3=A9_news?=',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="XYZ"',
    '',
    'preamble',
    '--XYZ',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Price: 5 =E2=82=AC, soft=',
    'break.',
    '--XYZ',
    'Content-Type: text/html',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('<p>html version</p>').toString('base64'),
    '--XYZ--',
    '',
  ].join('\r\n');
  const m = await extractEmailText(mail);
  assert.equal(m.subject, 'Café news');
  assert.equal(m.from, 'alice@example.com');
  assert.equal(m.body, 'Price: 5 €, softbreak.');
  const htmlOnly =
    'Subject: hi\r\nContent-Type: text/html\r\n\r\n<html><style>p{}</style><p>Buy&nbsp;now &amp; save</p><br>x</html>';
  assert.equal((await extractEmailText(htmlOnly)).body, 'Buy now & save\nx');
  assert.equal(htmlToText('a&#33;&#x21;&bogus;'), 'a!!&bogus;');
});

test('loadSpamAssassin: labelled messages from every group', async () => {
  const d = await loadSpamAssassin({ limitPerGroup: 10 });
  assert.equal(d.texts.length, 50);
  assert.equal(
    d.labels.reduce((a, b) => a + b, 0),
    20,
  );
  assert.deepEqual([...new Set(d.groups)], ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']);
  const spam0 = d.groups.indexOf('spam-1');
  // The first spam-1 message (00001.7848dde101aa985090474a91ec93fcf0): an HTML-only life insurance offer.
  assert.equal(d.ids[spam0], '00001.7848dde101aa985090474a91ec93fcf0');
  assert.ok(d.texts[spam0]!.startsWith('Life Insurance - Why Pay More?\n\n'), d.texts[spam0]!.slice(0, 60));
  assert.ok(!/<[a-z]+[^>]*>/i.test(d.texts[spam0]!), 'HTML tags stripped');
  for (const t of d.texts) assert.ok(!t.startsWith('Return-Path'), 'headers are not in the text');
  await assert.rejects(loadSpamAssassin({ groups: ['nope' as 'spam-1'] }), /unknown group nope/);
});

test('loadTextFolder: labels from folder names, files in sorted order', async () => {
  const { mkdirSync, mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadTextFolder } = await import('../../src/data/text/text-folder.ts');
  const root = mkdtempSync(join(tmpdir(), 'ts-textfolder-'));
  mkdirSync(join(root, 'pos'));
  mkdirSync(join(root, 'neg'));
  writeFileSync(join(root, 'pos', 'b.txt'), 'great');
  writeFileSync(join(root, 'pos', 'a.txt'), 'good');
  writeFileSync(join(root, 'neg', 'x.txt'), 'bad');
  writeFileSync(join(root, 'neg', 'skip.md'), 'not a txt');
  const d = await loadTextFolder(root, { extensions: ['.txt'] });
  assert.deepEqual(d.classes, ['neg', 'pos']);
  assert.deepEqual(d.texts, ['bad', 'good', 'great']);
  assert.deepEqual(Array.from(d.labels), [0, 1, 1]);
  await assert.rejects(
    loadTextFolder(join(root, 'none')),
    /\[loadTextFolder\] .*none: not a readable directory/,
  );
});

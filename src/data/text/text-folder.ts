import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { check, fail } from '../../core/errors.ts';
import { forEachLimited } from '../pool.ts';

/**
 * One file per document, one folder per class: `root/<class>/<file>`. Classes are the sorted folder names;
 * documents are read as UTF-8 in sorted path order.
 */
export async function loadTextFolder(
  root: string,
  opts: {
    extensions?: readonly string[];
    /** Files read at the same time, so at most this many are open (default 32). */
    concurrency?: number;
  } = {},
): Promise<{ texts: string[]; labels: Int32Array; classes: string[]; paths: string[] }> {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    fail('loadTextFolder', `${root}: not a readable directory`);
  }
  const classes = entries.filter((d) => statSync(join(root, d)).isDirectory()).sort();
  check(classes.length > 0, 'loadTextFolder', () => `${root}: expected one sub-folder per class, found none`);
  const exts = opts.extensions;
  const paths: string[] = [];
  const labels: number[] = [];
  classes.forEach((c, k) => {
    for (const f of readdirSync(join(root, c)).sort()) {
      const p = join(root, c, f);
      if (!statSync(p).isFile() || (exts !== undefined && !exts.some((e) => f.endsWith(e)))) continue;
      paths.push(p);
      labels.push(k);
    }
  });
  const concurrency = opts.concurrency ?? 32;
  check(
    Number.isInteger(concurrency) && concurrency >= 1,
    'loadTextFolder',
    () => `concurrency must be a positive integer, got ${concurrency}`,
  );
  // A bounded pool, not a Promise.all over every file: tens of thousands of documents would hit EMFILE.
  const texts = new Array<string>(paths.length);
  await forEachLimited(paths.length, concurrency, async (i) => {
    try {
      texts[i] = await readFile(paths[i]!, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const hint =
        code === 'EMFILE' || code === 'ENFILE' ? '; lower the concurrency or raise `ulimit -n`' : '';
      fail('loadTextFolder', `${paths[i]}: cannot read (${code ?? (e as Error).message})${hint}`);
    }
  });
  return { texts, labels: Int32Array.from(labels), classes, paths };
}

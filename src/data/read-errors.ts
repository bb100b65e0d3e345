import { fail } from '../core/errors.ts';

/**
 * Turns a Node error from reading a data file into one naming the op and the path (issue 14, item 7: EISDIR
 * and EACCES came out as raw stack traces): a missing file, a directory where a file was expected, no
 * permission, or any other errno with its code. Anything that is not a Node fs error is thrown as it is.
 */
export function readFailure(op: string, path: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') throw e;
  if (code === 'ENOENT') fail(op, `${path}: no such file`);
  if (code === 'EISDIR') fail(op, `${path} is a directory; expected a file`);
  if (code === 'EACCES' || code === 'EPERM') fail(op, `${path}: permission denied (${code})`);
  return fail(op, `cannot read ${path}: ${code} (${(e as Error).message})`);
}

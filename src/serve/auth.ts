import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { fail } from '../core/errors.ts';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The key a client presented: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim();
  const x = headers['x-api-key'];
  return typeof x === 'string' ? x : undefined;
}

/**
 * Builds the API-key check. Keys are compared as SHA-256 digests with `timingSafeEqual`, so every
 * comparison has equal length and takes the same time whatever the key; every configured key is
 * compared (no early exit) so timing does not tell which key, or how many, exist.
 */
export function apiKeyChecker(keys: readonly string[]): (headers: IncomingHttpHeaders) => boolean {
  if (keys.some((k) => typeof k !== 'string' || k.length === 0)) {
    fail('serve', 'apiKeys must be non-empty strings');
  }
  const digests = keys.map(digest);
  return (headers) => {
    const key = presentedKey(headers);
    const d = digest(key ?? '');
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(k, d) || ok;
    return ok && key !== undefined;
  };
}

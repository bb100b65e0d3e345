/**
 * The headless Chromium the browser tests drive: the build inside the @sparticuz/chromium devDependency (a
 * brotli-compressed Chromium that the package unpacks to the temp dir on first use), so the tests need no
 * system browser. Missing or unusable, it fails naming the package rather than skipping.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export async function chromiumPath(): Promise<string> {
  let mod: { default: { executablePath(): Promise<string> } };
  try {
    mod = (await import('@sparticuz/chromium')) as typeof mod;
  } catch (e) {
    throw new Error(
      `[chromium] the devDependency @sparticuz/chromium is missing (${(e as Error).message}): run npm ci`,
    );
  }
  return mod.default.executablePath();
}

/**
 * The Chromium major version the installed package ships. @sparticuz/chromium reuses an already unpacked
 * /tmp/chromium, which may come from another version, so tests compare this with the launched browser's.
 */
export function chromiumMajor(): number {
  const main = require.resolve('@sparticuz/chromium');
  const pkgPath = `${main.slice(0, main.lastIndexOf('/build/'))}/package.json`;
  return Number((require(pkgPath) as { version: string }).version.split('.')[0]);
}

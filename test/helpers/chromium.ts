/**
 * The headless Chromium the browser tests drive: the build inside the @sparticuz/chromium devDependency (a
 * brotli-compressed Chromium that the package unpacks to the temp dir on first use), so the tests need no
 * system browser. Missing or unusable, it fails naming the package rather than skipping.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/**
 * Several browser test files run at once (--test-concurrency), each in its own process. @sparticuz/chromium
 * unpacks to /tmp/chromium and returns it as soon as the path exists, so a second process could launch a binary
 * the first is still writing. A lock directory (mkdir is atomic) makes the first unpack finish before anyone
 * else asks; a lock older than LOCK_STALE_MS is left over from a killed run and is taken over.
 */
const LOCK = join(tmpdir(), 'tensorscript-chromium.lock');
const LOCK_STALE_MS = 5 * 60_000;

async function withUnpackLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 2 * LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let age = 0;
      try {
        age = Date.now() - statSync(LOCK).mtimeMs;
      } catch {
        continue; // released between mkdir and stat
      }
      if (age > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`[chromium] ${LOCK} is held for too long; remove it`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export async function chromiumPath(): Promise<string> {
  let mod: { default: { executablePath(): Promise<string> } };
  try {
    mod = (await import('@sparticuz/chromium')) as typeof mod;
  } catch (e) {
    throw new Error(
      `[chromium] the devDependency @sparticuz/chromium is missing (${(e as Error).message}): run npm ci`,
    );
  }
  return withUnpackLock(() => mod.default.executablePath());
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

/** The flags every browser test launches with (headless, no sandbox as root, no background traffic). */
const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];

/**
 * Launches the package's headless Chromium with BASE_ARGS plus `extraArgs`, and fails (closing it) when the
 * browser that started is not the package's major version (a stale /tmp/chromium from another version).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const executablePath = await chromiumPath();
  const browser = await chromium.launch({
    executablePath,
    args: [...BASE_ARGS, ...extraArgs],
    headless: true,
  });
  const major = Number(browser.version().split('.')[0]);
  if (major !== chromiumMajor()) {
    await browser.close();
    throw new Error(
      `${executablePath} is Chromium ${major}, not the package's ${chromiumMajor()}: delete it and rerun`,
    );
  }
  return browser;
}

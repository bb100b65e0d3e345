/**
 * The browser example page (examples/browser) in headless Chromium, served from loopback with and without
 * COOP/COEP: it trains the seed MLP for 200 steps on a 2,000-digit MNIST slice, the loss falls, test accuracy on
 * 500 digits passes 80%, and a test digit drawn onto the canvas is classified as the model classifies its pixels.
 * Isolated (the example server's default) it trains on the Web Worker pool, plain on one thread, and the page's
 * status line says which.
 * The bundle is built from the current sources into a temp dir.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startExampleServer } from '../../examples/browser/server.ts';
import { launchChromium } from '../helpers/chromium.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
interface ExampleState {
  done: boolean;
  error?: string;
  losses: number[];
  accuracy: number;
  info: { threads: number; crossOriginIsolated: boolean; threading: string };
  pool: { dispatchedTasks: number };
  status: string;
}

let browser: Browser;
let bundleDir = '';
const servers: Server[] = [];

describe('examples/browser in headless Chromium', () => {
  before(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), 'ts-example-'));
    const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-browser.mjs'), '--out', bundleDir], {
      encoding: 'utf8',
    });
    assert.equal(b.status, 0, `build-browser failed: ${b.stdout}${b.stderr}`);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) s.close();
  });

  for (const isolated of [true, false]) {
    it(`${isolated ? 'cross-origin isolated' : 'plain'}: trains, falls, classifies the canvas`, async () => {
      const { server, url } = await startExampleServer({ isolated, bundleDir });
      servers.push(server);
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('pageerror', (e) => logs.push(String(e)));
      try {
        await page.goto(`${url}?steps=200`, { waitUntil: 'load' });
        await page.waitForFunction(
          () => {
            const s = (window as unknown as { example?: { done: boolean; error?: string } }).example;
            return s !== undefined && (s.done || s.error !== undefined);
          },
          null,
          { timeout: 120_000 },
        );
        const s = (await page.evaluate(() => {
          const e = (window as unknown as { example: ExampleState }).example;
          const status = document.getElementById('status')!.textContent;
          return {
            done: e.done,
            error: e.error,
            losses: e.losses,
            accuracy: e.accuracy,
            info: e.info,
            pool: e.pool,
            status,
          };
        })) as ExampleState;
        assert.equal(s.error, undefined, `${s.error}\n${logs.join('\n')}`);
        assert.equal(s.info.crossOriginIsolated, isolated);
        if (isolated) {
          assert.ok(s.info.threads > 1, s.info.threading);
          assert.ok(s.pool.dispatchedTasks > 0, 'no kernel task went to the workers');
        } else assert.equal(s.info.threads, 1);
        assert.ok(s.status.includes(s.info.threading), `status line: ${s.status}`);
        assert.equal(s.losses.length, 200);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const first = mean(s.losses.slice(0, 20));
        const last = mean(s.losses.slice(-20));
        assert.ok(last < first / 3, `loss ${first} -> ${last}`);
        assert.ok(s.accuracy >= 0.8, `test accuracy ${s.accuracy}`);
        // Draw test digit 0 at 10x onto the 280x280 canvas, press "classify": the answer is the model's own
        // answer for those pixels (the canvas path loses nothing that matters).
        const drawn = await page.evaluate(() => {
          const e = (
            window as unknown as {
              example: {
                testImage(i: number): Float32Array;
                probabilities(px: Float32Array): number[];
              };
            }
          ).example;
          const px = e.testImage(0);
          const small = document.createElement('canvas');
          small.width = 28;
          small.height = 28;
          const g = small.getContext('2d')!;
          const img = g.createImageData(28, 28);
          for (let i = 0; i < 784; i++) {
            const v = Math.round(px[i]! * 255);
            img.data.set([v, v, v, 255], 4 * i);
          }
          g.putImageData(img, 0, 0);
          const draw = document.getElementById('draw') as HTMLCanvasElement;
          const dg = draw.getContext('2d')!;
          dg.imageSmoothingEnabled = false;
          dg.drawImage(small, 0, 0, 280, 280);
          (document.getElementById('classify') as HTMLButtonElement).click();
          const direct = e.probabilities(px);
          return {
            guess: document.getElementById('guess')!.textContent,
            direct: direct.indexOf(Math.max(...direct)),
          };
        });
        assert.match(
          drawn.guess ?? '',
          new RegExp(`^${drawn.direct} \\(p = `),
          `canvas ${drawn.guess} vs model ${drawn.direct}`,
        );
      } finally {
        await page.close();
      }
    });
  }
});

// Starts servers on 127.0.0.1 with a free port and talks to them with fetch.
import { after } from 'node:test';
import { createServer, type InferenceServer, type ServerOptions } from '../../src/serve/server.ts';

const open = new Set<InferenceServer>();

/** Closes, after the file's tests, every server a test left open (even one that failed or timed out). */
export function track(server: InferenceServer): InferenceServer {
  open.add(server);
  return server;
}

after(async () => {
  await Promise.all([...open].map((s) => s.close()));
});

/** Per-suite limit: a hung request fails its test instead of stalling the whole run. */
export const SUITE = { timeout: 30_000 };

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function start(options: ServerOptions = {}): Promise<{ server: InferenceServer; url: string }> {
  const server = track(await createServer(options));
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, url };
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return answer(await fetch(url, { headers }));
}

/** POSTs `body` (serialised unless already a string) as application/json unless told otherwise. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return answer(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

/** An OIP request with one FP32 input. */
export function inferBody(rows: number[][], name = 'x'): unknown {
  return { inputs: [{ name, datatype: 'FP32', shape: [rows.length, rows[0]!.length], data: rows.flat() }] };
}

export function errorOf(a: Answer): string {
  const e = (a.json as { error?: unknown } | undefined)?.error;
  if (typeof e !== 'string')
    throw new Error(`expected a JSON error body, got ${a.status} ${JSON.stringify(a.text)}`);
  return e;
}

/** Polls `cond` every 5 ms until it holds or `ms` pass (then the caller's assertions say what went wrong). */
export async function waitUntil(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
}

/** A promise and the function that resolves it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/**
 * A client process: `node --import tsx src/federated/client-main.ts <coordinator-url> <data.json> [seed]`,
 * data.json = { x: number[], featureShape: number[], y: number[] }. Prints `registered <id>` once registered.
 */
import { readFileSync } from 'node:fs';
import '../index.ts';
import { runClient } from './client.ts';

const [url, file, seed] = process.argv.slice(2);
if (url === undefined || file === undefined) {
  process.stderr.write('usage: client-main.ts <coordinator-url> <data.json> [seed]\n');
  process.exit(2);
}
const raw = JSON.parse(readFileSync(file, 'utf8')) as { x: number[]; featureShape: number[]; y: number[] };
await runClient({
  url,
  data: { x: Float32Array.from(raw.x), featureShape: raw.featureShape, y: Int32Array.from(raw.y) },
  seed: Number(seed ?? 0),
  onRegistered: (id) => process.stdout.write(`registered ${id}\n`),
});

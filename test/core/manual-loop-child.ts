/**
 * A PyTorch-style training loop without ts.scope, run as a child process by step-release.test.ts so its
 * process-wide memory state is its own. Prints one JSON line: live buffers at steps 0, mid and end, the
 * losses, and what a tensor held from an early step reads afterwards.
 */
import * as ts from '../../src/index.ts';

const [backend = 'wasm', stepsArg = '600', mode = 'plain'] = process.argv.slice(2);
ts.setBackend(backend);
const steps = Number(stepsArg);
const g = new ts.Generator(0);
const model = new ts.nn.Sequential(new ts.nn.Linear(20, 64), new ts.nn.ReLU(), new ts.nn.Linear(64, 3));
const opt = new ts.optim.Adam(model.parameters(), { lr: 1e-3 });
const x = ts.randn([64, 20], { generator: g });
const y = ts.randint(0, 3, [64], { generator: g });
const live: number[] = [];
const losses: number[] = [];
let held: ts.Tensor | null = null;
let heldValues: number[] = [];
const leaked: ts.Tensor[] = [];
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(w.message));
const step = (): ts.Tensor => {
  opt.zeroGrad();
  const logits = model.forward(x) as ts.Tensor;
  const loss = ts.functional.crossEntropy(logits, y);
  loss.backward();
  opt.step();
  losses.push(loss.item());
  // 'leak': a loop that keep()s a tensor every step, which nothing may release
  if (mode === 'leak') leaked.push(ts.keep(loss.detach().clone()));
  return logits;
};
for (let i = 0; i <= steps; i++) {
  const logits = mode === 'scope' ? ts.scope(step) : step();
  if (i === 5) {
    held = logits; // user code keeps a step's output: it must stay readable and correct
    heldValues = Array.from(logits.toTypedArray()).slice(0, 6);
  }
  if (i === 0 || i === steps / 2 || i === steps) live.push(ts.memoryStats.live);
}
// The held tensor, long past its step: same values, and usable as an op input.
await new Promise((r) => setImmediate(r)); // let emitted warnings arrive
const heldNow = Array.from(held!.toTypedArray()).slice(0, 6);
const heldSum = held!.sum().item();
const heldSumRef = Array.from(held!.toTypedArray()).reduce((a, b) => a + b, 0);
process.stdout.write(
  `${JSON.stringify({ live, first: losses[0], last: losses.at(-1), heldValues, heldNow, heldSum, heldSumRef, spilled: ts.memoryStats.spilled, warnings })}\n`,
);

/**
 * The worker thread's program, run with `eval: true` so it needs no TypeScript loader and no file path
 * resolution. Each worker instantiates the same kernel module on the same shared memory with its own
 * stack, then loops: spin on the generation counter for a while (a kernel is usually dispatched again
 * within microseconds during training), then sleep in Atomics.wait; run its share of the task; count
 * down the pending counter and wake the caller when it reaches zero.
 * Control block (Int32 slots): 0 generation, 1 pending, 2 task index, 3 args pointer, 4 thread count,
 * 5 workers ready.
 */
export const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, tid, stackTop, tasks, spinMs } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
inst.exports.__stack_pointer.value = stackTop;
const fns = tasks.map((n) => inst.exports[n]);
const c = new Int32Array(memory.buffer, ctrl, 8);
let seen = Atomics.load(c, 0);
Atomics.add(c, 5, 1);
Atomics.notify(c, 5);
for (;;) {
  let g = Atomics.load(c, 0);
  if (g === seen) {
    const until = performance.now() + spinMs;
    let n = 0;
    while ((g = Atomics.load(c, 0)) === seen) {
      if ((++n & 1023) === 0 && performance.now() > until) {
        Atomics.wait(c, 0, seen);
        n = 0;
      }
    }
  }
  seen = g;
  const nt = c[4];
  if (tid < nt) {
    fns[c[2]](c[3], tid, nt);
    if (Atomics.sub(c, 1, 1) === 1) Atomics.notify(c, 1);
  }
}
`;

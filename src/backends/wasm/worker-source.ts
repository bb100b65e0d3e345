/**
 * The worker's program, as source text so it needs no TypeScript loader and no file path resolution: Node runs
 * it with `eval: true` (node-workers.ts, which adds its prelude there so the browser bundle holds no Node code),
 * a page from a Blob URL (WEB_WORKER_SOURCE). Both run the same
 * `serve`: instantiate the kernel module on the shared memory with the worker's own stack, then loop: spin on
 * the generation counter for a while (a kernel is usually dispatched again within microseconds during
 * training), then sleep in Atomics.wait (a worker may block, in Node and in a browser); on a new generation,
 * join the task and claim blocks from the back of the shared range until none are left (see pool.ts for the
 * protocol). Only the way the start message arrives differs.
 * Control block (Int32 slots): 0 generation, 1 blocks done, 2 task index, 3 args pointer,
 * 4 block count, 5 workers ready, 6 unclaimed range (end << 16 | front), 7 sleeping workers,
 * 8 blocks that threw (the caller reports them).
 */
export const SERVE_SOURCE = `
function serve({ module, memory, ctrl, tid, stackTop, tasks, spinMs }) {
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  inst.exports.__stack_pointer.value = stackTop;
  const fns = tasks.map((n) => inst.exports[n]);
  const c = new Int32Array(memory.buffer, ctrl, 16);
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
          Atomics.add(c, 7, 1);
          Atomics.wait(c, 0, seen);
          Atomics.sub(c, 7, 1);
          n = 0;
        }
      }
    }
    seen = g;
    for (;;) {
      const v = Atomics.load(c, 6);
      const f = v & 0xffff;
      const e = v >>> 16;
      if (f >= e) break;
      if (Atomics.compareExchange(c, 6, v, ((e - 1) << 16) | f) !== v) continue;
      const nb = Atomics.load(c, 4);
      try {
        fns[c[2]](c[3], e - 1, nb, tid);
      } catch {
        inst.exports.__stack_pointer.value = stackTop; // a trap skips the C epilogue
        Atomics.add(c, 8, 1);
      }
      if (Atomics.add(c, 1, 1) + 1 === nb) Atomics.notify(c, 1);
    }
  }
}
`;

/**
 * A Web Worker: the start message is the first postMessage (the compiled module and the shared memory are
 * structured-cloned, i.e. shared, not copied). `serve` never returns, so this worker handles no later message;
 * `terminate()` stops it. An instantiation error surfaces as the worker's error event.
 */
export const WEB_WORKER_SOURCE = `${SERVE_SOURCE}
self.onmessage = (e) => {
  self.onmessage = null;
  serve(e.data);
};
`;

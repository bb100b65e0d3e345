/**
 * Runs `fn` over 0..n-1 with at most `concurrency` calls in flight, in index order of starting; resolves when
 * all are done and rejects with the first error (the other workers stop taking new indices). Readers use it
 * instead of a Promise.all over every file, which opens them all at once and fails with EMFILE.
 */
export async function forEachLimited(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < n) {
      const i = next++;
      try {
        await fn(i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(concurrency, n)) }, worker));
}

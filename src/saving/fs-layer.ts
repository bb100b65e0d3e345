/**
 * The filesystem steps a save takes, behind one interface so a test can fail any step (the fault-injection
 * test throws at every write and rename in turn and checks the previous saved model still loads).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { TensorScriptError } from '../core/errors.ts';

export interface SaveFs {
  mkdir(path: string): void;
  /** Writes a whole file and fsyncs it. */
  writeFile(path: string, data: Uint8Array | string): void;
  /** Atomic on POSIX filesystems for a file over a file, or a directory onto a free name. */
  rename(from: string, to: string): void;
  rm(path: string): void;
  readdir(path: string): string[];
  exists(path: string): boolean;
  /** Milliseconds since the epoch of the last change, or null when the path is gone. */
  mtime(path: string): number | null;
  /** Makes renames inside `dir` durable where the platform allows it. */
  syncDir(dir: string): void;
}

export const nodeFs: SaveFs = {
  mkdir: (path) => {
    mkdirSync(path, { recursive: true });
  },
  writeFile(path, data) {
    const fd = openSync(path, 'w', 0o644);
    try {
      const buf = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  rename: (from, to) => renameSync(from, to),
  rm: (path) => rmSync(path, { recursive: true, force: true }),
  readdir: (path) => readdirSync(path),
  exists: (path) => existsSync(path),
  mtime(path) {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return null;
    }
  },
  syncDir(dir) {
    try {
      const fd = openSync(dir, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      // Not every platform can fsync a directory; the renames are still atomic.
    }
  },
};

/** Runs an fs call and turns a raw Node error (EACCES, EISDIR, ENOSPC, ...) into one naming the path. */
export function fsStep<T>(op: string, what: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code !== 'string') throw e;
    throw new TensorScriptError(op, `cannot ${what} ${path}: ${err.code} (${err.message})`);
  }
}

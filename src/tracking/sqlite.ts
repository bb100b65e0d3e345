/**
 * The SQLite binding of the run store: Node's built-in `node:sqlite` where the runtime has it (Node >= 22.5),
 * else `better-sqlite3` when it is installed (an optional peer dependency, for Node 20: its install builds
 * or fetches a native addon, which the base install must not do). Both offer exec and prepared statements
 * with run/get/all, the subset used here. docs/decisions/tracking.md says why.
 */
import { createRequire } from 'node:module';
import { fail } from '../core/errors.ts';

export interface SqlStatement {
  run(...params: SqlValue[]): unknown;
  get(...params: SqlValue[]): Record<string, SqlValue> | undefined;
  all(...params: SqlValue[]): Record<string, SqlValue>[];
}
export type SqlValue = string | number | bigint | null | Uint8Array;

export interface SqlDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  close(): void;
}

const require = createRequire(import.meta.url);

/** Which binding `openSqlite` uses here, or null with the reason. */
export function sqliteBinding(): { name: 'node:sqlite' | 'better-sqlite3' } | { name: null; reason: string } {
  const [maj, min] = process.versions.node.split('.').map(Number) as [number, number];
  if (maj > 22 || (maj === 22 && min >= 5)) return { name: 'node:sqlite' };
  try {
    require.resolve('better-sqlite3');
    return { name: 'better-sqlite3' };
  } catch {
    return {
      name: null,
      reason: `Node ${process.versions.node} has no node:sqlite (it came in 22.5) and better-sqlite3 is not installed (npm install better-sqlite3@12)`,
    };
  }
}

/** Opens (creating) a database file. */
export function openSqlite(path: string): SqlDatabase {
  const b = sqliteBinding();
  if (b.name === null) fail('RunStore', b.reason);
  try {
    if (b.name === 'node:sqlite') {
      // Loaded on demand: importing it on Node 22 prints an ExperimentalWarning, which tensor-only users should not see.
      const { DatabaseSync } = require('node:sqlite') as {
        DatabaseSync: new (p: string, o?: { timeout?: number }) => SqlDatabase;
      };
      return new DatabaseSync(path, { timeout: 10_000 });
    }
    const Database = require('better-sqlite3') as new (p: string, o?: { timeout?: number }) => SqlDatabase;
    return new Database(path, { timeout: 10_000 });
  } catch (e) {
    return fail('RunStore', `cannot open ${path} with ${b.name}: ${(e as Error).message}`);
  }
}

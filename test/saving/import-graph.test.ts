// The CLI is a shell over the public API: nothing outside src/cli imports it, and src/cli reaches the library
// only through src/index.ts. The server takes saved models through the library (src/saving), never src/cli.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative specifiers of static and dynamic imports and re-exports. */
function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) out.push(m[1]!);
  return out.map((s) => relative('.', resolve(dirname(file), s)));
}

describe('import graph', () => {
  const all = files('src');

  it('nothing outside src/cli imports src/cli', () => {
    const bad = all
      .filter((f) => !f.startsWith('src/cli/'))
      .flatMap((f) =>
        imports(f)
          .filter((i) => i.startsWith('src/cli/'))
          .map((i) => `${f} -> ${i}`),
      );
    assert.deepEqual(bad, []);
  });

  it('src/cli imports the library only through the public API (src/index.ts)', () => {
    const bad = all
      .filter((f) => f.startsWith('src/cli/'))
      .flatMap((f) =>
        imports(f)
          .filter((i) => !i.startsWith('src/cli/') && i !== 'src/index.ts')
          .map((i) => `${f} -> ${i}`),
      );
    assert.deepEqual(bad, []);
  });

  it('the checker sees imports (it would catch a violation)', () => {
    assert.ok(imports('src/cli/main.ts').includes('src/index.ts'));
    assert.ok(imports('src/serve/saved-model.ts').includes('src/saving/saved-model.ts'));
  });
});

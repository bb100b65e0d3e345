import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { OPS_DOC, renderOpsDoc } from '../../scripts/ops-doc.ts';

it('docs/ops.md is up to date with the registries (regenerate: node --import tsx scripts/ops-doc.ts)', () => {
  assert.equal(readFileSync(OPS_DOC, 'utf8'), renderOpsDoc());
});

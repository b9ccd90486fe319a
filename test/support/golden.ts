/** Golden files: compare rendered text with test/<area>/golden/<name>; UPDATE_GOLDEN=1 rewrites them. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function assertGolden(goldenUrl: URL, actual: string): void {
  const path = goldenUrl.pathname;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    assert.fail(`golden file ${path} is missing; run UPDATE_GOLDEN=1 npm test to create it, then review it`);
  }
  assert.equal(
    actual,
    expected,
    `${path} differs; if the change is intended, run UPDATE_GOLDEN=1 npm test and review the diff`,
  );
}

// Regenerates every file section derived from the settings declarations. Tests fail while one is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { GENERATED_FILES } from '../src/build/docs/generated.ts';

const root = new URL('../', import.meta.url);
for (const target of GENERATED_FILES) {
  const url = new URL(target.path, root);
  const before = readFileSync(url, 'utf8');
  const after = target.render(before);
  if (after !== before) writeFileSync(url, after);
  console.log(`${after === before ? 'unchanged' : 'updated  '} ${target.path}`);
}

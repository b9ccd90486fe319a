import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GENERATED_FILES } from '../../../src/build/docs/generated.ts';
import { settingsTable, withGeneratedSection } from '../../../src/build/docs/settingsTable.ts';
import { DECLARATION_LIST } from '../../../src/core/settings/declarations.ts';

const root = new URL('../../../', import.meta.url);

describe('generated files', () => {
  for (const target of GENERATED_FILES) {
    it(`${target.path} is up to date (run npm run generate)`, () => {
      const current = readFileSync(new URL(target.path, root), 'utf8');
      assert.equal(
        target.render(current),
        current,
        `${target.path} is stale: run npm run generate and commit the result`,
      );
    });
  }
  it('the settings table has one row per declaration, secrets marked', () => {
    const rows = settingsTable().split('\n').slice(2);
    assert.equal(rows.length, DECLARATION_LIST.length);
    for (const [index, declaration] of DECLARATION_LIST.entries()) {
      assert.ok(rows[index]?.startsWith(`| \`${declaration.name}\` |`));
      assert.equal(rows[index]?.includes(', secret |'), declaration.secret);
    }
  });
  it('a section is replaced between its markers only, and missing markers are an error', () => {
    assert.equal(withGeneratedSection('a <b> old </b> z', '<b>', '</b>', 'new'), 'a <b>\nnew\n</b> z');
    assert.throws(() => withGeneratedSection('no markers', '<b>', '</b>', 'x'), /markers/);
  });
});

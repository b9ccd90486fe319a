/** appliance.sh's generated ONE_SERVICE_PARAMS, read back by bash itself. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  APPLIANCE_SCRIPT,
  applianceParams,
  applianceVersion,
  bashSingleQuoted,
  PARAMS_BEGIN,
  PARAMS_END,
  renderApplianceScript,
  VERSION_BEGIN,
  VERSION_END,
} from '../../../src/build/docs/applianceParams.ts';
import { GENERATED_FILES } from '../../../src/build/docs/generated.ts';
import { VERSION } from '../../../src/core/facts/version.ts';
import { DECLARATION_LIST } from '../../../src/core/settings/declarations.ts';
import type { Declaration } from '../../../src/core/settings/types.ts';

/** Sources the bash text and prints every element of the named array, NUL-terminated. */
function bashArray(script: string, name: string): string[] {
  const result = spawnSync('bash', ['-c', `${script}\nprintf '%s\\0' "\${${name}[@]}"`], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  return result.stdout.split('\0').slice(0, -1);
}

describe('ONE_SERVICE_PARAMS generated from the declarations', () => {
  const fields = bashArray(applianceParams(), 'ONE_SERVICE_PARAMS');

  it('sourced by bash, is an array of 4 × N fields', () => {
    assert.equal(fields.length, 4 * DECLARATION_LIST.length);
  });

  it('holds each declaration: name, stage, description, USER_INPUT hint (never a default)', () => {
    for (const [index, declaration] of DECLARATION_LIST.entries()) {
      const [name, stage, description, hint] = fields.slice(4 * index, 4 * index + 4);
      assert.equal(name, declaration.name);
      assert.equal(stage, declaration.stage);
      assert.equal(description, declaration.description, 'apostrophes, commas and … survive the quoting');
      assert.match(hint ?? '', /^[OM]\|(text|text64|password|number|list)$/);
      assert.equal(hint, `${declaration.userInput.mandatory ? 'M' : 'O'}|${declaration.userInput.type}`);
    }
  });

  it('is the section between the markers in appliance.sh, and bash reads the same from the file', () => {
    const file = readFileSync(new URL(`../../../${APPLIANCE_SCRIPT}`, import.meta.url), 'utf8');
    assert.ok(file.includes(`${PARAMS_BEGIN}\n${applianceParams()}\n${PARAMS_END}`), 'run npm run generate');
    assert.ok(
      file.includes(`${VERSION_BEGIN}\n${applianceVersion()}\n${VERSION_END}`),
      'run npm run generate',
    );
    assert.deepEqual(bashArray(file, 'ONE_SERVICE_PARAMS'), fields);
    assert.deepEqual(bashArray(file, 'ONE_SERVICE_VERSION'), [VERSION]);
  });

  it('is registered, so npm run generate rewrites it and the staleness test covers it', () => {
    const entry = GENERATED_FILES.find((file) => file.path === APPLIANCE_SCRIPT);
    assert.ok(entry);
    const stale = `x\n${VERSION_BEGIN}\nSLM_COPILOT_VERSION='0'\n${VERSION_END}\ny\n${PARAMS_BEGIN}\nold\n${PARAMS_END}\nz\n`;
    assert.equal(entry.render(stale), renderApplianceScript(stale));
    assert.equal(
      entry.render(stale),
      `x\n${VERSION_BEGIN}\n${applianceVersion()}\n${VERSION_END}\ny\n${PARAMS_BEGIN}\n${applianceParams()}\n${PARAMS_END}\nz\n`,
    );
  });

  it('quotes any text bash can hold, and refuses NUL', () => {
    const nasty = [
      "it's",
      "''",
      '$HOME `id` $(id) \\n \\',
      'a "b" c',
      `!event !! \${x:-y}`,
      'line one\nline two',
      '   spaces   ',
      '',
      'ünïcødé …',
    ];
    const script = `A=(${nasty.map(bashSingleQuoted).join(' ')})`;
    assert.deepEqual(bashArray(script, 'A'), nasty);
    assert.throws(() => bashSingleQuoted('a\0b'), /NUL/);
  });

  it('a description that tries to break out of its quotes stays one field; a mandatory input is M|', () => {
    const odd: Declaration<unknown> = {
      name: 'ONEAPP_COPILOT_TEST_ODD',
      stage: 'bootstrap',
      description: "'; echo pwned; '",
      default: '',
      secret: false,
      userInput: { mandatory: true, type: 'list', options: ['a', 'b'] },
      serviceRoles: [],
      parse: () => ({ ok: true, value: null }),
    };
    assert.deepEqual(bashArray(applianceParams([odd]), 'ONE_SERVICE_PARAMS'), [
      'ONEAPP_COPILOT_TEST_ODD',
      'bootstrap',
      "'; echo pwned; '",
      'M|list',
    ]);
  });
});

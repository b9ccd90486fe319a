/**
 * The generated sections of appliances/slm-copilot/appliance.sh: the version and one-apps' ONE_SERVICE_PARAMS,
 * a flat bash array of 4-tuples `'NAME' 'stage' 'description' 'M|type'`. The fourth field is the USER_INPUTS type
 * hint (one-apps marks such variables with `*` in its help), never a default: defaults live in the declarations.
 */

import { VERSION } from '../../core/facts/version.ts';
import { DECLARATION_LIST } from '../../core/settings/declarations.ts';
import type { Declaration } from '../../core/settings/types.ts';
import { withGeneratedSection } from './settingsTable.ts';

export const APPLIANCE_SCRIPT = 'appliances/slm-copilot/appliance.sh';

export const PARAMS_BEGIN =
  '# BEGIN generated: ONE_SERVICE_PARAMS from src/core/settings/declarations.ts (npm run generate)';
export const PARAMS_END = '# END generated: ONE_SERVICE_PARAMS';
export const VERSION_BEGIN = '# BEGIN generated: appliance version (npm run generate)';
export const VERSION_END = '# END generated: appliance version';

/**
 * One bash word that expands to exactly `text`: single-quoted, each `'` written as `'\''`. Inside single quotes
 * bash interprets nothing ($, `, \, ! and newlines are literal), so this is safe for any text without NUL.
 */
export function bashSingleQuoted(text: string): string {
  if (text.includes('\0')) throw new Error('a bash string cannot hold a NUL character');
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The USER_INPUTS type hint: `O|password`, `M|text`, … */
export function userInputHint(declaration: Declaration<unknown>): string {
  return `${declaration.userInput.mandatory ? 'M' : 'O'}|${declaration.userInput.type}`;
}

/** The four fields of one declaration, in ONE_SERVICE_PARAMS order. */
export function paramsTuple(declaration: Declaration<unknown>): readonly [string, string, string, string] {
  return [declaration.name, declaration.stage, declaration.description, userInputHint(declaration)];
}

/** The `ONE_SERVICE_PARAMS=( … )` statement, one declaration per line. */
export function applianceParams(declarations: readonly Declaration<unknown>[] = DECLARATION_LIST): string {
  const lines = declarations.map(
    (declaration) => `    ${paramsTuple(declaration).map(bashSingleQuoted).join(' ')}`,
  );
  return [
    '# shellcheck disable=SC2034 # read by the driver (default_service_help) and by service_help',
    'ONE_SERVICE_PARAMS=(',
    ...lines,
    ')',
  ].join('\n');
}

/** The version assignment (ONE_SERVICE_VERSION is set from it), from package.json. */
export function applianceVersion(version: string = VERSION): string {
  return `SLM_COPILOT_VERSION=${bashSingleQuoted(version)}`;
}

/** appliance.sh with both generated sections rewritten. */
export function renderApplianceScript(current: string): string {
  const withVersion = withGeneratedSection(current, VERSION_BEGIN, VERSION_END, applianceVersion());
  return withGeneratedSection(withVersion, PARAMS_BEGIN, PARAMS_END, applianceParams());
}

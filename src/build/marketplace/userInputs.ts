/**
 * USER_INPUTS from the settings declarations, in OpenNebula's grammar `M|O` `|type|description|options|default`:
 * list options comma-separated, `| |` for types without options, no default field when the declaration's default
 * is empty (generated values, optional texts). Anything that would break the grammar is refused, not escaped.
 */
import type { Declaration } from '../../core/settings/types.ts';

/** The spec string of one declaration, e.g. `O|list|Context window…|auto,8192,16384|auto`. */
export function userInputSpec(declaration: Declaration<unknown>): string {
  const problems = userInputProblems(declaration);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const input = declaration.userInput;
  const head = `${input.mandatory ? 'M' : 'O'}|${input.type}|${declaration.description}`;
  if (declaration.default === '') return head;
  const options = input.type === 'list' ? (input.options ?? []).join(',') : ' ';
  return `${head}|${options}|${declaration.default}`;
}

/** What in a declaration cannot be written as a USER_INPUT; empty when it can. */
export function userInputProblems(declaration: Declaration<unknown>): string[] {
  const problems: string[] = [];
  const name = declaration.name;
  const input = declaration.userInput;
  // "|" separates the fields; a double quote or a newline ends the attribute in OpenNebula's template syntax.
  if (/[|"\n\r]/.test(declaration.description)) {
    problems.push(
      `${name}: the description must not contain "|", a double quote or a line break (USER_INPUTS grammar)`,
    );
  }
  if (/[|"\n\r]/.test(declaration.default)) {
    problems.push(
      `${name}: the default ${JSON.stringify(declaration.default)} must not contain "|", '"' or a line break`,
    );
  }
  if (input.type === 'list') {
    const options = input.options ?? [];
    if (options.length === 0) problems.push(`${name}: a list input needs options`);
    for (const option of options) {
      if (/[,|"\s]/.test(option) || option === '') {
        problems.push(
          `${name}: list option ${JSON.stringify(option)} must not be empty or contain ",", "|", '"' or spaces`,
        );
      }
    }
    if (declaration.default !== '' && !options.includes(declaration.default)) {
      problems.push(
        `${name}: the default "${declaration.default}" is not one of the options ${options.join(',')}`,
      );
    }
  } else if (input.options !== undefined) {
    problems.push(`${name}: only a list input has options (type is ${input.type})`);
  }
  if (input.type === 'number' && declaration.default !== '' && !/^-?\d+$/.test(declaration.default)) {
    problems.push(`${name}: a number input needs a whole-number default, got "${declaration.default}"`);
  }
  if (input.type === 'password' && declaration.default !== '') {
    problems.push(`${name}: a password input carries no default (the appliance generates one)`);
  }
  return problems;
}

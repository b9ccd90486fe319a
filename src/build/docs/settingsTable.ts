/** The README's table of context variables, generated from the declarations. */
import { DECLARATION_LIST } from '../../core/settings/declarations.ts';
import type { Declaration } from '../../core/settings/types.ts';

export const TABLE_BEGIN = '<!-- BEGIN generated: settings table (npm run generate) -->';
export const TABLE_END = '<!-- END generated: settings table -->';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function defaultText(declaration: Declaration<unknown>): string {
  if (declaration.defaultLabel !== undefined) return declaration.defaultLabel;
  return `\`${declaration.default}\``;
}

export function settingsTable(): string {
  const rows = DECLARATION_LIST.map(
    (declaration) =>
      `| \`${declaration.name}\` | ${cell(defaultText(declaration))} | ${declaration.userInput.type}${declaration.secret ? ', secret' : ''} | ${cell(declaration.description)} |`,
  );
  return ['| variable | default | input | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The document with the text between the markers replaced (the markers must be there). */
export function withGeneratedSection(document: string, begin: string, end: string, content: string): string {
  const start = document.indexOf(begin);
  const stop = document.indexOf(end);
  if (start === -1 || stop === -1 || stop < start)
    throw new Error(`markers ${begin} … ${end} not found in order`);
  return `${document.slice(0, start + begin.length)}\n${content}\n${document.slice(stop)}`;
}

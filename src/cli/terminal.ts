/** Terminal output: colour only on a TTY and never with NO_COLOR set. */
import type { Writable } from 'node:stream';

const CODES = { red: 31, yellow: 33, green: 32, bold: 1, dim: 2 } as const;
export type Style = keyof typeof CODES;

export interface Output {
  readonly stream: Writable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function styler(output: Output): (style: Style, text: string) => string {
  const colour =
    output.stream.isTTY === true && output.env.NO_COLOR === undefined && output.env.TERM !== 'dumb';
  return (style, text) => (colour ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text);
}

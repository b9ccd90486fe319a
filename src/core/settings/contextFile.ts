/**
 * Reads OpenNebula context files: `context.sh` (NAME='value') and one-context's `one_env`
 * (export NAME="value"). Values are shell words: single quotes are literal, double quotes honour
 * \\ \" \$ \` and backslash-newline, and either may span lines. Lines that are not assignments are skipped.
 */

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

export function parseContextFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  let at = 0;
  while (at < text.length) {
    at = skipBlank(text, at);
    if (at >= text.length) break;
    if (text.startsWith('export', at) && /[ \t]/.test(text[at + 6] ?? '')) at = skipSpaces(text, at + 6);
    NAME.lastIndex = at;
    const name = NAME.exec(text);
    if (name === null || text[at + name[0].length] !== '=') {
      at = skipLine(text, at);
      continue;
    }
    const word = readWord(text, at + name[0].length + 1);
    values.set(name[0], word.value);
    at = skipLine(text, word.end);
  }
  return values;
}

function skipSpaces(text: string, at: number): number {
  while (text[at] === ' ' || text[at] === '\t') at++;
  return at;
}

function skipBlank(text: string, at: number): number {
  let position = at;
  for (;;) {
    while (position < text.length && /\s/.test(text[position] as string)) position++;
    if (text[position] !== '#') return position;
    position = skipLine(text, position);
  }
}

function skipLine(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end === -1 ? text.length : end + 1;
}

const DOUBLE_QUOTE_ESCAPES = new Set(['\\', '"', '$', '`']);

function readWord(text: string, start: number): { value: string; end: number } {
  let value = '';
  let at = start;
  while (at < text.length) {
    const char = text[at] as string;
    if (char === "'") {
      const close = text.indexOf("'", at + 1);
      const end = close === -1 ? text.length : close;
      value += text.slice(at + 1, end);
      at = end + 1;
    } else if (char === '"') {
      at++;
      while (at < text.length && text[at] !== '"') {
        const next = text[at + 1] ?? '';
        if (text[at] === '\\' && next === '\n') {
          at += 2;
        } else if (text[at] === '\\' && DOUBLE_QUOTE_ESCAPES.has(next)) {
          value += next;
          at += 2;
        } else {
          value += text[at];
          at++;
        }
      }
      at++;
    } else if (char === '\\') {
      if (text[at + 1] !== '\n') value += text[at + 1] ?? '';
      at += 2;
    } else if (/[\s;]/.test(char)) {
      break;
    } else {
      value += char;
      at++;
    }
  }
  return { value, end: at };
}

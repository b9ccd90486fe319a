/** `systemctl show UNIT` output (KEY=value lines) and what a unit's log says went wrong. Pure. */

export type UnitProperties = ReadonlyMap<string, string>;

export function parseSystemctlShow(text: string): UnitProperties {
  const properties = new Map<string, string>();
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) properties.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  return properties;
}

const ERROR_LINE =
  /error|fail|fatal|panic|killed|denied|illegal|cannot|can't|unable|out of memory|oom|core-dump|exited, code=|status=\d+\//i;

/** The last line of a unit's log that looks like an error, else its last line; null for an empty log. */
export function lastError(journal: string | null): string | null {
  if (journal === null) return null;
  const lines = journal
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const errors = lines.filter((line) => ERROR_LINE.test(line));
  const line = errors.at(-1) ?? lines.at(-1) ?? null;
  return line === null ? null : line.length > 200 ? `${line.slice(0, 197)}…` : line;
}

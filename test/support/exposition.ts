/** A strict reader of Prometheus text for the tests: every sample well-formed, with HELP and TYPE before it. */
import assert from 'node:assert/strict';

/** Parses exposition text into { "name{labels}": value }. */
export function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const declared = new Map<string, string>();
  const helped = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP (\S+) .+$/.exec(line);
    if (help) {
      helped.add(help[1] as string);
      continue;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      assert.ok(helped.has(type[1] as string), `HELP before TYPE for ${type[1]}`);
      declared.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(sample, `sample line is well-formed: ${line}`);
    const name = sample[1] as string;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(declared.has(name) || declared.get(family) === 'histogram', `TYPE declared for ${name}`);
    samples.set(
      `${name}${sample[2] ?? ''}`,
      Number(sample[3] === '+Inf' ? Number.POSITIVE_INFINITY : sample[3]),
    );
  }
  return samples;
}

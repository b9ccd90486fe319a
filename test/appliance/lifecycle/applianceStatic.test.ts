/**
 * Grep-level checks on everything under appliances/: the mistakes an earlier appliance made
 * must not appear. Each rule is tested on a bad and a good sample
 * first, so a rule that no longer matches anything is noticed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APPLIANCES = join(ROOT, 'appliances');

interface Rule {
  readonly name: string;
  /** Which files it applies to (repository-relative path). */
  readonly applies: (path: string) => boolean;
  /** Line numbers (1-based) and why, for one file's text. */
  readonly check: (text: string) => { line: number; why: string }[];
}

const anyFile = () => true;
const shellFile = (path: string) => path.endsWith('.sh');

/** Lines matching a pattern, comments included (a commented-out call home is still a bad example to ship). */
const lineRule =
  (pattern: RegExp, why: string, exempt: RegExp | null = null) =>
  (text: string) =>
    text
      .split('\n')
      .map((line, index) => ({ line: index + 1, text: line }))
      .filter(({ text: line }) => pattern.test(line) && !(exempt?.test(line) ?? false))
      .map(({ line }) => ({ line, why }));

/** Code lines only: no comment lines, and no trailing comments. */
const codeLines = (text: string) =>
  text.split('\n').map((line, index) => ({ line: index + 1, code: line.replace(/(^|\s)#.*$/, '') }));

const IP_ECHO_SERVICES =
  /\b(ifconfig\.(me|co)|ipify\.org|icanhazip\.com|ipinfo\.io|ident\.me|checkip\.amazonaws\.com|ip-api\.com|ipecho\.net|wtfismyip\.com|myexternalip\.com|whatismyip(address)?\.com|api\.myip\.com|ifcfg\.me|ip\.sb)\b/i;

const RULES: readonly Rule[] = [
  {
    name: 'no SSH password logins',
    applies: anyFile,
    check: lineRule(
      /\b(PasswordAuthentication|PermitRootLogin|KbdInteractiveAuthentication|ChallengeResponseAuthentication)\s+yes\b|\bssh_pwauth\s*:\s*(true|1|yes)\b/i,
      'enables SSH password or root password logins (one-apps images keep them off: 81-configure-ssh)',
    ),
  },
  {
    name: 'no hard-coded passwords or keys',
    applies: anyFile,
    check: (text) => [
      ...lineRule(/\bchpasswd\b/, 'sets a password from a literal (chpasswd)')(text),
      ...lineRule(
        /\b[\w-]*(password|passwd|passphrase|secret|token|api_?key)[\w-]*\s*[:=]\s*["']?(?![\s"'$]|\$\{|$)[^\s"']/i,
        'assigns a literal password, secret, token or key: generate it (slm-copilot does) or take it from the context',
      )(text),
      ...lineRule(
        /--(password|passwd|secret|token|api-key)[= ]+["']?(?![\s"'$])/i,
        'passes a literal password, secret, token or key on a command line',
      )(text),
    ],
  },
  {
    name: 'grep -c is guarded',
    applies: anyFile,
    check: (text) =>
      codeLines(text)
        .filter(
          ({ code }) =>
            /\bgrep\b[^|;&]*\s(-[a-zA-Z]*c|--count\b)/.test(code) && !/\|\|\s*(true|:)(\s|\)|$)/.test(code),
        )
        .map(({ line }) => ({
          line,
          why: 'grep -c exits 1 when it counts 0, which ends the stage under the driver’s set -e: add `|| true`',
        })),
  },
  {
    name: 'no calls home',
    applies: anyFile,
    check: lineRule(
      IP_ECHO_SERVICES,
      'asks an IP-echo service for the public address: the appliance makes no outbound calls of its own (use local addresses)',
    ),
  },
  {
    name: 'no shell options or umask of its own',
    applies: shellFile,
    check: (text) =>
      codeLines(text)
        .filter(({ code }) =>
          /^\s*(set\s+(-[a-zA-Z]*[euo]|\+[a-zA-Z]*e|-o\s+\w+)|umask\b|shopt\s)/.test(code),
        )
        .map(({ line }) => ({
          line,
          why: 'appliance.sh is sourced by the one-apps driver: it must not change its shell options or umask',
        })),
  },
  {
    name: 'no defaults in the shell',
    applies: shellFile,
    check: (text) =>
      codeLines(text)
        .filter(({ code }) => /\$\{ONEAPP_[A-Z0-9_]+:?[-=+?]/.test(code))
        .map(({ line }) => ({
          line,
          why: 'defaults a context variable in bash: defaults live in src/core/settings/declarations.ts (one value everywhere)',
        })),
  },
  {
    name: 'msg error only right before return',
    applies: shellFile,
    check: (text) => {
      const lines = codeLines(text);
      const problems: { line: number; why: string }[] = [];
      for (let index = 0; index < lines.length; index += 1) {
        if (!/\bmsg\s+error\b/.test(lines[index]?.code ?? '')) continue;
        let next = index;
        while ((lines[next]?.code ?? '').trimEnd().endsWith('\\')) next += 1;
        next += 1;
        while (next < lines.length && (lines[next]?.code ?? '').trim() === '') next += 1;
        if (!/^\s*(return|exit)\b/.test(lines[next]?.code ?? '')) {
          problems.push({
            line: index + 1,
            why: 'msg error returns 1, which ends the stage under set -e: code after it never runs; follow it with return',
          });
        }
      }
      return problems;
    },
  },
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

function problemsIn(path: string, text: string): string[] {
  return RULES.filter((rule) => rule.applies(path)).flatMap((rule) =>
    rule.check(text).map(({ line, why }) => `${path}:${line}: ${rule.name}: ${why}`),
  );
}

describe('static checks on appliances/', () => {
  const files = filesUnder(APPLIANCES).map((file) => relative(ROOT, file));

  it('finds the appliance', () => {
    assert.ok(files.includes('appliances/slm-copilot/appliance.sh'), files.join(', '));
  });

  for (const file of files) {
    it(`${file} has none of the known mistakes`, () => {
      const problems = problemsIn(file, readFileSync(join(ROOT, file), 'utf8'));
      assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
    });
  }
});

describe('the static checks catch what they should', () => {
  const samples: [string, string, string][] = [
    // rule, bad, good
    [
      'no SSH password logins',
      'sed -i "s/.*/PasswordAuthentication yes/" /etc/ssh/sshd_config',
      'PasswordAuthentication no',
    ],
    ['no SSH password logins', 'PermitRootLogin yes', 'PermitRootLogin without-password'],
    [
      'no hard-coded passwords or keys',
      "ONEAPP_COPILOT_AUTH_PASSWORD='opennebula'",
      'password="$(gen_password 16)"',
    ],
    [
      'no hard-coded passwords or keys',
      'ssh_password: opennebula',
      "'ONEAPP_X_PASSWORD' 'configure' 'Password.' 'O|password'",
    ],
    [
      'no hard-coded passwords or keys',
      "echo 'root:secret' | chpasswd",
      `API_KEY="\${ONEAPP_COPILOT_AUTH_KEYS}"`,
    ],
    ['no hard-coded passwords or keys', 'curl --api-key sk-1234', 'curl --api-key "$key"'],
    ['grep -c is guarded', 'n=$(grep -c ready "$file")', 'n=$(grep -c ready "$file" || true)'],
    ['grep -c is guarded', 'count=$(grep -ic x f)', 'grep -q ready "$file"'],
    ['grep -c is guarded', 'grep --count x f', 'grep -c x f || :'],
    ['no calls home', 'ip=$(curl -s https://ifconfig.me)', 'ip=$(hostname -I)'],
    ['no calls home', 'curl -s api.ipify.org', 'curl -s http://127.0.0.1:8081/health'],
    ['no shell options or umask of its own', 'set -euo pipefail', '# callers run under set -e'],
    ['no shell options or umask of its own', 'umask 022', 'echo umask'],
    ['no defaults in the shell', `CTX="\${ONEAPP_COPILOT_MODEL_CONTEXT:-16384}"`, 'slm-copilot configure'],
    [
      'msg error only right before return',
      'f() {\n  msg error "download failed"\n  fallback\n}',
      'f() {\n  msg error "bad" \\\n    "more" || true\n  return 2\n}',
    ],
  ];
  for (const [name, bad, good] of samples) {
    it(`${name}: flags ${JSON.stringify(bad)}, passes ${JSON.stringify(good)}`, () => {
      const rule = RULES.find((candidate) => candidate.name === name);
      assert.ok(rule, name);
      assert.notDeepEqual(rule.check(bad), [], `should flag: ${bad}`);
      assert.deepEqual(rule.check(good), [], `should pass: ${good}`);
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { MODEL, REQUEST_BODY_LIMIT_MIB } from '../../../src/core/facts/model.ts';
import { computePlan, type Plan } from '../../../src/core/plan/plan.ts';
import { localaiEnvironment } from '../../../src/core/render/localaiEnv.ts';
import type { Sizing } from '../../../src/core/sizing/sizingPlan.ts';
import { assertGolden } from '../../support/golden.ts';
import { fixtureHost } from '../../support/hosts.ts';
import { settingsFrom, TEST_SECRETS } from '../../support/settings.ts';

/** A plan with the model (standalone or worker): its sizing is known. */
function planFor(host: string, values: Record<string, string> = {}): Plan & { readonly sizing: Sizing } {
  const result = computePlan({
    settings: settingsFrom(values),
    host: fixtureHost(host),
    secrets: TEST_SECRETS,
    version: '0.0.0-test',
    tls: { mode: 'appliance-ca', caFingerprintSha256: 'AB:CD', leafNotAfter: 'Dec 31 00:00:00 2027 GMT' },
  });
  assert.ok(result.ok);
  const { sizing } = result.plan;
  assert.ok(sizing !== null);
  return { ...result.plan, sizing };
}

function content(plan: Plan, path: string): string {
  const file = plan.files.find((candidate) => candidate.path === path);
  assert.ok(file, `${path} is planned`);
  return file.content;
}

const MODEL_YAML = '/var/lib/local-ai/models/devstral-small-2.yaml';
const ENV = '/etc/slm-copilot/local-ai.env';
const UNIT = '/etc/systemd/system/local-ai.service';
const REPORT = '/etc/one-appliance/config';

describe('golden renders (EPYC SMT 32 GB, defaults)', () => {
  const plan = planFor('epyc-passthrough-smt-32g');
  for (const [path, golden] of [
    [MODEL_YAML, 'devstral-small-2.yaml'],
    [ENV, 'local-ai.env'],
    [UNIT, 'local-ai.service'],
    [REPORT, 'report.ini'],
  ] as const) {
    it(`${path} matches golden/${golden}`, () => {
      assertGolden(new URL(`./golden/${golden}`, import.meta.url), content(plan, path));
    });
  }
});

describe('model YAML', () => {
  it('holds what LocalAI needs, with values from the plan', () => {
    const plan = planFor('epyc-passthrough-2s-128g', { ONEAPP_COPILOT_MODEL_CONTEXT: '65536' });
    const model = parse(content(plan, MODEL_YAML));
    assert.equal(model.name, 'devstral-small-2');
    assert.equal(model.parameters.model, MODEL.file);
    assert.ok(
      !model.parameters.model.startsWith('/') && !model.parameters.model.includes('..'),
      'relative path',
    );
    assert.equal(model.context_size, 65536);
    assert.equal(model.threads, 32);
    assert.equal(model.prompt_cache_all, true);
    assert.equal(model.mmlock, false);
    assert.equal(model.parameters.temperature, 0.15);
    assert.equal(model.template.use_tokenizer_template, true);
    assert.equal(model.cache_type_k, 'f16');
    assert.equal(model.cache_type_v, 'f16');
    // Quoted, so a YAML 1.1 reader (on/off are booleans there) still sees the string LocalAI expects.
    assert.equal(parse(content(plan, MODEL_YAML), { version: '1.1' }).flash_attention, 'off');
    assert.deepEqual(model.options, [
      'use_jinja:true',
      'parallel:1',
      `cache_ram:${plan.sizing.promptCacheMib}`,
    ]);
  });
  it('never renders an unbounded prompt cache', () => {
    for (const host of ['epyc-passthrough-smt-32g', 'qemu-generic-16c-32g', 'epyc-passthrough-2s-128g']) {
      const options: string[] = parse(content(planFor(host), MODEL_YAML)).options;
      const cacheRam = Number(options.find((option) => option.startsWith('cache_ram:'))?.split(':')[1]);
      assert.ok(cacheRam >= 0 && cacheRam <= 8192, `${host}: cache_ram ${cacheRam}`);
    }
  });
});

function envMap(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map(
        (line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string],
      ),
  );
}

describe('LocalAI environment', () => {
  const plan = planFor('epyc-passthrough-smt-32g');
  const env = envMap(content(plan, ENV));
  it('binds to loopback, turns off the UI, galleries and the busy watchdog', () => {
    assert.equal(env.get('LOCALAI_ADDRESS'), '127.0.0.1:8080');
    assert.equal(env.get('LOCALAI_DISABLE_WEBUI'), 'true');
    assert.equal(env.get('LOCALAI_AUTOLOAD_GALLERIES'), 'false');
    assert.equal(env.get('LOCALAI_AUTOLOAD_BACKEND_GALLERIES'), 'false');
    assert.equal(env.get('LOCALAI_DISABLE_GALLERY_ENDPOINT'), 'true');
    assert.equal(env.get('LOCALAI_WATCHDOG_BUSY'), 'false');
    assert.equal(env.get('LOCALAI_THREADS'), '8');
    assert.equal(env.get('LOCALAI_CONTEXT_SIZE'), '32768');
  });
  it('sets every path explicitly', () => {
    for (const name of ['LOCALAI_MODELS_PATH', 'LOCALAI_BACKENDS_PATH', 'LOCALAI_CONFIG_DIR']) {
      assert.match(env.get(name) ?? '', /^\/var\/lib\/local-ai\//, name);
    }
  });
  it('limits request bodies with the one shared constant (at least 32 MB)', () => {
    assert.equal(env.get('LOCALAI_UPLOAD_LIMIT'), String(REQUEST_BODY_LIMIT_MIB));
    assert.ok(REQUEST_BODY_LIMIT_MIB * 1024 * 1024 >= 32_000_000);
  });
  it('renders the same variables the environment list declares', () => {
    assert.deepEqual(
      [...env.keys()],
      localaiEnvironment(plan.sizing, TEST_SECRETS.localaiKey).map(([name]) => name),
    );
  });
});

describe('LocalAI unit', () => {
  const plan = planFor('epyc-passthrough-smt-32g');
  const unit = content(plan, UNIT);
  const directives = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match)
      directives.set(match[1] as string, [...(directives.get(match[1] as string) ?? []), match[2] as string]);
  }
  const one = (name: string) => directives.get(name)?.at(-1);

  it('runs as its own user in its working directory, restarts on failure', () => {
    assert.equal(one('User'), 'local-ai');
    assert.equal(one('WorkingDirectory'), '/var/lib/local-ai');
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('EnvironmentFile'), ENV);
  });
  it('is hardened the way a 14 GB mmap and backend spawning allow', () => {
    assert.equal(one('NoNewPrivileges'), 'true');
    assert.equal(one('ProtectSystem'), 'strict');
    assert.equal(one('PrivateTmp'), 'true');
    assert.equal(one('IPAddressDeny'), 'any');
    assert.equal(one('IPAddressAllow'), 'localhost');
    for (const forbidden of ['MemoryDenyWriteExecute', 'ProcSubset', 'PrivateNetwork', 'NoExecPaths']) {
      assert.equal(directives.has(forbidden), false, forbidden);
    }
    const memoryMax = one('MemoryMax');
    assert.ok(memoryMax === undefined || Number(memoryMax) >= plan.sizing.memory.totalBytes);
  });
  it('ReadWritePaths cover every writable path in the env file; only models and backends stay read-only', () => {
    const writable = (directives.get('ReadWritePaths') ?? []).flatMap((value) => value.split(/\s+/));
    const env = envMap(content(plan, ENV));
    const readOnly = new Set([
      env.get('LOCALAI_MODELS_PATH'),
      env.get('LOCALAI_BACKENDS_PATH'),
      env.get('LOCALAI_BACKENDS_SYSTEM_PATH'),
    ]);
    const paths = [...env.values()].filter((value) => value.startsWith('/'));
    assert.ok(paths.length >= 6);
    for (const path of paths) {
      const covered = writable.some((dir) => path === dir || path.startsWith(`${dir}/`));
      assert.ok(
        covered || readOnly.has(path),
        `${path} is neither writable nor a read-only model/backend path`,
      );
    }
    for (const dir of writable)
      assert.ok(paths.includes(dir), `ReadWritePaths entry ${dir} is named in the env file`);
  });
});

describe('report skeleton', () => {
  it('has the Cline fields and the sizing, with INI sections', () => {
    const report = content(planFor('epyc-passthrough-smt-32g'), REPORT);
    for (const section of [
      '[Connection]',
      '[Cline]',
      '[API keys]',
      '[Basic auth]',
      '[Sizing]',
      '[Appliance]',
    ]) {
      assert.ok(report.includes(section), section);
    }
    assert.match(report, /^base_url = https:\/\/192\.0\.2\.10\/v1$/m);
    assert.match(report, /^api_provider = OpenAI Compatible$/m);
    assert.match(report, /^context_window_size = 32768$/m);
    assert.match(report, /^supports_images = off/m);
    assert.match(report, new RegExp(`^api_key = ${TEST_SECRETS.apiKeys[0]?.key}$`, 'm'));
  });
  it('lists warnings when there are some', () => {
    const report = content(planFor('qemu-generic-16c-32g'), REPORT);
    assert.match(report, /^\[Warnings\]\nwarning\.1 = this VM's CPU model hides AVX2/m);
  });
});

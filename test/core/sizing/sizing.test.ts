import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computePlan } from '../../../src/core/plan/plan.ts';
import { computeBufferBytes, fixedBytes, GIB, KV_BYTES_PER_TOKEN } from '../../../src/core/sizing/sizing.ts';
import { planSizing } from '../../../src/core/sizing/sizingPlan.ts';
import { fixtureHost } from '../../support/hosts.ts';
import { settingsFrom, TEST_SECRETS } from '../../support/settings.ts';

const SMT = fixtureHost('epyc-passthrough-smt-32g');
const GENERIC = fixtureHost('qemu-generic-16c-32g');
const SMALL = fixtureHost('xeon-small-8g');
const LARGE = fixtureHost('epyc-passthrough-2s-128g');

function sized(host = SMT, values: Record<string, string> = {}) {
  return planSizing(settingsFrom(values), host);
}

describe('model geometry', () => {
  it('f16 KV cache is 160 KiB per token: 5 GiB at 32768 tokens', () => {
    assert.equal(KV_BYTES_PER_TOKEN, 160 * 1024);
    assert.equal(KV_BYTES_PER_TOKEN * 32768, 5 * GIB);
  });
  it('compute buffers grow with the context', () => {
    assert.ok(computeBufferBytes(32768) > computeBufferBytes(8192));
    assert.equal(computeBufferBytes(32768) - computeBufferBytes(16384), 512 * 16384 * 32 * 4);
  });
});

describe('planSizing', () => {
  it('SMT host: threads = physical cores, not vCPUs', () => {
    const result = sized();
    assert.ok(result.ok);
    assert.equal(result.sizing.threads, 8);
  });

  it('32 GB host: context 32768, every part listed, the whole budget fits the RAM', () => {
    const result = sized();
    assert.ok(result.ok);
    const { sizing } = result;
    assert.equal(sizing.contextSize, 32768);
    assert.equal(sizing.kvCacheBytes, 5 * GIB);
    const names = sizing.memory.parts.map((part) => part.name);
    assert.equal(names.length, 5);
    for (const word of ['model weights', 'KV cache', 'compute buffers', 'prompt cache', 'operating system']) {
      assert.ok(
        names.some((name) => name.startsWith(word)),
        word,
      );
    }
    const sum = sizing.memory.parts.reduce((total, part) => total + part.bytes, 0);
    assert.equal(sizing.memory.totalBytes, sum);
    assert.ok(sizing.memory.totalBytes <= SMT.memory.totalBytes);
    assert.ok(sizing.promptCacheMib > 0 && sizing.promptCacheMib <= 8192, 'prompt cache bounded');
    assert.equal(sizing.promptCacheMib % 256, 0);
    assert.deepEqual(result.warnings, []);
  });

  it('auto context never exceeds 32768, even with 128 GB', () => {
    const result = sized(LARGE);
    assert.ok(result.ok);
    assert.equal(result.sizing.contextSize, 32768);
    assert.equal(result.sizing.promptCacheMib, 8192);
    assert.equal(result.sizing.threads, 32);
  });

  it('auto context steps down when 32768 does not fit', () => {
    const host = { ...SMT, memory: { totalBytes: fixedBytes(16384) + 1, availableBytes: 0 } };
    const result = sized(host);
    assert.ok(result.ok);
    assert.equal(result.sizing.contextSize, 16384);
    assert.equal(result.sizing.promptCacheMib, 0);
  });

  it('generic CPU model: the host-passthrough warning, word for word', () => {
    const result = sized(GENERIC);
    assert.ok(result.ok);
    assert.ok(
      result.warnings.includes(
        'this VM\'s CPU model hides AVX2; set CPU_MODEL=[MODEL="host-passthrough"] in the VM template, inference will be ~20x slower',
      ),
    );
    const avx2 = sized();
    assert.ok(avx2.ok);
    // 16 cores without AVX2 are estimated 20x slower per core than 8 cores with it.
    assert.equal(result.sizing.prefillTokensPerSecond, (avx2.sizing.prefillTokensPerSecond * 2) / 20);
  });

  it('8 GB host: an error that names MEMORY and gives the numbers', () => {
    const result = sized(SMALL);
    assert.ok(!result.ok);
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0]?.variable, 'MEMORY');
    assert.match(
      result.errors[0]?.message ?? '',
      /this VM has 7\.8 GiB of RAM, but .* needs at least 17\.1 GiB even with an 8192-token context/,
    );
    assert.match(result.errors[0]?.message ?? '', /model weights .* 13\.3 GiB/);
    assert.ok(result.warnings.some((warning) => warning.includes('4 physical cores')));
  });

  it('explicit 262144 on 32 GB: refused with the numbers and the largest context that fits', () => {
    const result = sized(SMT, { ONEAPP_COPILOT_MODEL_CONTEXT: '262144' });
    assert.ok(!result.ok);
    const [error] = result.errors;
    assert.equal(error?.variable, 'ONEAPP_COPILOT_MODEL_CONTEXT');
    assert.match(error?.message ?? '', /"262144" does not fit: it needs \d+\.\d GiB/);
    assert.match(error?.message ?? '', /KV cache \(262144 tokens × 160 KiB, f16\) 40\.0 GiB/);
    assert.match(error?.message ?? '', /this VM has 31\.3 GiB of RAM/);
    const largest = Number(/largest context that fits is (\d+) tokens/.exec(error?.message ?? '')?.[1]);
    assert.ok(largest >= 32768 && largest < 131072, String(largest));
    assert.ok(
      fixedBytes(largest) <= SMT.memory.totalBytes && fixedBytes(largest + 1024) > SMT.memory.totalBytes,
    );
  });

  it('explicit large context that fits: accepted with a cold-prefill estimate in minutes', () => {
    const result = sized(LARGE, { ONEAPP_COPILOT_MODEL_CONTEXT: '131072' });
    assert.ok(result.ok);
    assert.equal(result.sizing.contextSize, 131072);
    const warning = result.warnings.find((text) => text.includes('minutes'));
    assert.match(
      warning ?? '',
      /ONEAPP_COPILOT_MODEL_CONTEXT=131072: a prompt that fills this context takes about 23 minutes/,
    );
  });

  it('explicit small context: a warning about Cline prompt size', () => {
    const result = sized(SMT, { ONEAPP_COPILOT_MODEL_CONTEXT: '8192' });
    assert.ok(result.ok);
    assert.ok(result.warnings.some((text) => text.includes('small for Cline')));
  });

  it('explicit threads: used as given; more than the vCPUs warns', () => {
    const ok = sized(SMT, { ONEAPP_COPILOT_MODEL_THREADS: '12' });
    assert.ok(ok.ok);
    assert.equal(ok.sizing.threads, 12);
    assert.deepEqual(ok.warnings, []);
    const over = sized(SMT, { ONEAPP_COPILOT_MODEL_THREADS: '64' });
    assert.ok(over.ok);
    assert.ok(over.warnings.some((text) => text.includes('more than the 16 vCPUs')));
  });
});

describe('computePlan', () => {
  const settings = settingsFrom();
  it('lists the files with modes and owners, and the service to restart', () => {
    const result = computePlan({ settings, host: SMT, secrets: TEST_SECRETS, version: '1.2.3', tls: null });
    assert.ok(result.ok);
    const files = Object.fromEntries(result.plan.files.map((file) => [file.path, file]));
    assert.equal(files['/etc/slm-copilot/local-ai.env']?.mode, 0o640);
    assert.equal(files['/etc/slm-copilot/local-ai.env']?.group, 'local-ai');
    assert.equal(files['/etc/one-appliance/config']?.mode, 0o600);
    assert.equal(files['/etc/one-appliance/config']?.secret, true);
    assert.ok(files['/var/lib/local-ai/models/devstral-small-2.yaml']);
    assert.deepEqual(
      result.plan.services.map((service) => service.unit),
      ['nginx.service', 'local-ai.service', 'slm-copilot-relay.service'],
    );
    const localai = result.plan.services.find((service) => service.unit === 'local-ai.service');
    assert.ok(localai?.restartOnChange.includes('/etc/slm-copilot/local-ai.env'));
    const nginx = result.plan.services.find((service) => service.unit === 'nginx.service');
    assert.deepEqual(nginx?.restartOnChange, []);
    assert.ok(nginx?.reloadOnChange.includes('/etc/slm-copilot/nginx/slm-copilot.conf'));
    assert.equal(result.plan.endpoint.baseUrl, 'https://192.0.2.10/v1');
  });
  it('uses the domain for the endpoint and warns about an e-mail without a domain', () => {
    const withDomain = computePlan({
      settings: settingsFrom({ ONEAPP_COPILOT_TLS_DOMAIN: 'copilot.example.com' }),
      host: SMT,
      secrets: TEST_SECRETS,
      version: '1',
      tls: null,
    });
    assert.ok(withDomain.ok);
    assert.equal(withDomain.plan.endpoint.url, 'https://copilot.example.com');
    const emailOnly = computePlan({
      settings: settingsFrom({ ONEAPP_COPILOT_TLS_EMAIL: 'ops@example.com' }),
      host: SMT,
      secrets: TEST_SECRETS,
      version: '1',
      tls: null,
    });
    assert.ok(emailOnly.ok);
    assert.ok(emailOnly.warnings.some((text) => text.includes('is not used')));
  });
  it('brackets an IPv6-only endpoint', () => {
    const host = { ...SMT, network: { hostname: 'h', addresses: ['2001:db8::5'] } };
    const result = computePlan({ settings, host, secrets: TEST_SECRETS, version: '1', tls: null });
    assert.ok(result.ok);
    assert.equal(result.plan.endpoint.baseUrl, 'https://[2001:db8::5]/v1');
  });
});

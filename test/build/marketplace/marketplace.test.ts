/**
 * The community-marketplace files: generated from the declarations and the manifest, lint-clean with the real
 * yamllint and the marketplace's own rules, and consistent: every ONEAPP variable is a `$` reference in CONTEXT and a
 * USER_INPUT (and nothing else is), defaults are the declarations', the VM is host-passthrough with VCPU set, and
 * the image carries the manifest's size and checksums.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type ImageManifest, parseManifest, renderManifest } from '../../../src/build/image/manifest.ts';
import { HARNESS_API_KEY, MARKETPLACE_UUID } from '../../../src/build/marketplace/appliance.ts';
import {
  COMMITTED_MANIFEST,
  renderCommittedMarketplaceYaml,
} from '../../../src/build/marketplace/generatedFiles.ts';
import { HARNESS_SPECS, renderHarnessMetadata } from '../../../src/build/marketplace/harness.ts';
import {
  marketplaceAppliance,
  renderMarketplaceYaml,
} from '../../../src/build/marketplace/marketplaceYaml.ts';
import { userInputProblems, userInputSpec } from '../../../src/build/marketplace/userInputs.ts';
import { parseApiKeys } from '../../../src/core/settings/apiKeys.ts';
import { DECLARATION_LIST } from '../../../src/core/settings/declarations.ts';
import type { Declaration } from '../../../src/core/settings/types.ts';
import { runMain } from '../../support/cli.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MARKETPLACE = join(ROOT, 'marketplace');
/** marketplace-community's lint rules (its .yamllint.yml), committed beside the files. */
const YAMLLINT_CONFIG = join(MARKETPLACE, '.yamllint.yml');

const MANIFEST: ImageManifest = {
  name: 'SLM-Copilot',
  version: '0.2.0-20260415',
  image: 'slm-copilot-0.2.0.qcow2',
  format: 'qcow2',
  size: 53_687_091_200,
  file_size: 15_812_345_678,
  sha256: '3f'.repeat(32),
  md5: '9c'.repeat(16),
  creation_time: 1_776_211_200,
  'os-id': 'Ubuntu',
  'os-release': '24.04',
  'os-arch': 'x86_64',
};

type Template = {
  CONTEXT: Record<string, string>;
  USER_INPUTS: Record<string, string>;
  INPUTS_ORDER: string;
  CPU: string;
  VCPU: string;
  MEMORY: string;
  CPU_MODEL: { MODEL: string };
  NIC_DEFAULT: { MODEL: string };
};

function yamllint(...files: string[]) {
  return spawnSync('yamllint', ['--strict', '--config-file', YAMLLINT_CONFIG, ...files], {
    encoding: 'utf8',
  });
}

/** A value inside parsed YAML, by keys (the harness files have Ruby-symbol keys such as ":app"). */
function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    assert.ok(typeof current === 'object' && current !== null, `no ${keys.join(' ')}`);
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The five fields of a USER_INPUT spec (missing trailing fields as undefined). */
function fields(spec: string) {
  const [mandatory, type, description, options, defaultValue] = spec.split('|');
  return { mandatory, type, description, options, defaultValue, count: spec.split('|').length };
}

describe('the marketplace appliance YAML', () => {
  const text = renderMarketplaceYaml(MANIFEST, { imageBaseUrl: 'https://images.example.org/slm/' });
  const doc = parse(text) as Record<string, unknown> & { opennebula_template: Template };
  const template = doc.opennebula_template;

  it('passes yamllint (strict, marketplace-community rules), the committed copies too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slm-mp-'));
    try {
      const file = join(dir, `${MARKETPLACE_UUID}.yaml`);
      writeFileSync(file, text);
      const generated = yamllint(file);
      assert.equal(generated.status, 0, generated.stdout + generated.stderr);
      const committed = readdirSync(MARKETPLACE)
        .filter((name) => name.endsWith('.yaml'))
        .map((name) => join(MARKETPLACE, name));
      const run = yamllint(...committed);
      assert.equal(run.status, 0, run.stdout + run.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('yamllint would catch what YAML 1.1 readers misread (so the check is real)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slm-mp-'));
    try {
      writeFileSync(join(dir, 'bad.yaml'), '---\ncontext:\n  network: YES\n');
      assert.notEqual(yamllint(join(dir, 'bad.yaml')).status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has the fields the marketplace reads', () => {
    for (const field of [
      'name',
      'version',
      'publisher',
      'description',
      'short_description',
      'tags',
      'format',
      'creation_time',
      'os-id',
      'os-release',
      'os-arch',
      'hypervisor',
      'opennebula_version',
      'opennebula_template',
      'logo',
      'images',
    ]) {
      assert.ok(doc[field] !== undefined && doc[field] !== '', field);
    }
    assert.equal(doc.version, MANIFEST.version);
    assert.equal(doc.creation_time, MANIFEST.creation_time);
    assert.equal(doc['os-release'], '24.04');
    assert.equal(doc.hypervisor, 'KVM');
    assert.match(String(doc.opennebula_version), /^\d+\.\d+(, \d+\.\d+)*$/);
    assert.match(text, /^description: \|-$/m, 'the description is a literal block');
  });

  it('every $ONEAPP_ in CONTEXT has a USER_INPUT, and every USER_INPUT a CONTEXT reference', () => {
    const referenced = Object.entries(template.CONTEXT)
      .filter(([, value]) => value.startsWith('$ONEAPP_'))
      .map(([key, value]) => {
        assert.equal(value, `$${key}`, `${key} references its own input, not a literal`);
        return key;
      });
    const inputs = Object.keys(template.USER_INPUTS);
    assert.deepEqual([...referenced].sort(), [...inputs].sort());
    for (const [key, value] of Object.entries(template.CONTEXT)) {
      if (key.startsWith('ONEAPP_'))
        assert.ok(value.startsWith('$ONEAPP_'), `${key} is never a literal value`);
    }
    assert.deepEqual(
      inputs,
      DECLARATION_LIST.map((declaration) => declaration.name),
      'one input per declaration, in declaration order',
    );
    assert.equal(template.INPUTS_ORDER, inputs.join(','));
  });

  it("each input's type, options and default are the declaration's, in the 5-field grammar", () => {
    for (const declaration of DECLARATION_LIST) {
      const spec = fields(template.USER_INPUTS[declaration.name] ?? '');
      assert.equal(spec.mandatory, declaration.userInput.mandatory ? 'M' : 'O', declaration.name);
      assert.equal(spec.type, declaration.userInput.type, declaration.name);
      assert.equal(spec.description, declaration.description, declaration.name);
      if (declaration.default === '') {
        assert.equal(spec.count, 3, `${declaration.name}: no default field for an empty default`);
      } else {
        assert.equal(spec.count, 5, declaration.name);
        assert.equal(spec.defaultValue, declaration.default, `${declaration.name} default`);
        const options =
          declaration.userInput.type === 'list' ? declaration.userInput.options?.join(',') : ' ';
        assert.equal(spec.options, options, `${declaration.name} options`);
      }
    }
  });

  it('asks for the VM the appliance needs: host-passthrough, VCPU and CPU 16, 32 GB, virtio', () => {
    assert.equal(template.CPU_MODEL.MODEL, 'host-passthrough');
    assert.equal(template.VCPU, '16');
    assert.equal(template.CPU, '16');
    assert.equal(template.MEMORY, '32768');
    assert.equal(template.NIC_DEFAULT.MODEL, 'virtio');
    for (const [key, value] of [
      ['NETWORK', 'YES'],
      ['SSH_PUBLIC_KEY', '$USER[SSH_PUBLIC_KEY]'],
      ['REPORT_READY', 'YES'],
      ['TOKEN', 'YES'],
    ]) {
      assert.equal(template.CONTEXT[key as string], value, key);
    }
  });

  it("carries the image's virtual size, both checksums and its URL from the manifest", () => {
    const images = doc.images as Record<string, unknown>[];
    assert.equal(images.length, 1);
    assert.deepEqual(images[0], {
      name: 'slm-copilot-0.2.0-20260415',
      url: 'https://images.example.org/slm/slm-copilot-0.2.0.qcow2',
      type: 'OS',
      dev_prefix: 'vd',
      driver: 'qcow2',
      size: MANIFEST.size,
      checksum: { md5: MANIFEST.md5, sha256: MANIFEST.sha256 },
    });
    const unpublished = marketplaceAppliance(MANIFEST).images[0];
    assert.match(
      unpublished?.url ?? '',
      /^https:\/\/images\.slm-copilot\.invalid\//,
      'a placeholder never resolves',
    );
  });

  it('names a logo that is in marketplace/logos/ (a PNG)', () => {
    const logo = readFileSync(join(MARKETPLACE, 'logos', String(doc.logo)));
    assert.deepEqual([...logo.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  });

  it('keeps its UUID across versions', () => {
    assert.match(MARKETPLACE_UUID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const later = renderMarketplaceYaml({ ...MANIFEST, version: '9.9.9-20300101' });
    assert.equal(readdirSync(MARKETPLACE).filter((name) => name.startsWith(MARKETPLACE_UUID)).length, 1);
    assert.match(later, /^version: 9\.9\.9-20300101$/m);
  });
});

describe('USER_INPUTS grammar checks', () => {
  const base = DECLARATION_LIST.find((declaration) => declaration.name === 'ONEAPP_COPILOT_MODEL_CONTEXT');
  assert.ok(base);
  const withChange = (change: Partial<Declaration<unknown>>): Declaration<unknown> => ({
    ...base,
    ...change,
  });

  it('refuses what would break the grammar instead of escaping it', () => {
    assert.match(userInputProblems(withChange({ description: 'a | b' }))[0] ?? '', /must not contain "\|"/);
    assert.match(
      userInputProblems(
        withChange({ userInput: { mandatory: false, type: 'list', options: ['a,b', 'c'] } }),
      )[0] ?? '',
      /list option "a,b" must not be empty or contain ","/,
    );
    assert.match(
      userInputProblems(withChange({ default: '7' }))[0] ?? '',
      /the default "7" is not one of the options/,
    );
    assert.throws(() => userInputSpec(withChange({ description: 'x\ny' })), /line break/);
  });

  it('every declaration passes', () => {
    for (const declaration of DECLARATION_LIST)
      assert.deepEqual(userInputProblems(declaration), [], declaration.name);
  });
});

describe('the committed marketplace files', () => {
  it(`marketplace/${MARKETPLACE_UUID}.yaml is generated from ${COMMITTED_MANIFEST} (npm run generate)`, () => {
    const committed = readFileSync(join(MARKETPLACE, `${MARKETPLACE_UUID}.yaml`), 'utf8');
    assert.equal(committed, renderCommittedMarketplaceYaml());
    const manifest = parseManifest(readFileSync(join(ROOT, COMMITTED_MANIFEST), 'utf8'), COMMITTED_MANIFEST);
    assert.ok(manifest.ok, manifest.ok ? '' : manifest.problems.join('\n'));
  });

  it('`slm-copilot marketplace` writes the same files from a manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slm-mp-'));
    try {
      writeFileSync(join(dir, 'm.yaml'), renderManifest(MANIFEST));
      const run = await runMain([
        'marketplace',
        '--manifest',
        join(dir, 'm.yaml'),
        '--out',
        join(dir, 'out'),
      ]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /warning: the image URL uses the placeholder/);
      assert.deepEqual(readdirSync(join(dir, 'out')).sort(), [
        `${MARKETPLACE_UUID}.yaml`,
        'metadata.yaml',
        'tests.yaml',
      ]);
      assert.equal(
        readFileSync(join(dir, 'out', `${MARKETPLACE_UUID}.yaml`), 'utf8'),
        renderMarketplaceYaml(MANIFEST),
      );
      assert.equal(readFileSync(join(dir, 'out', 'metadata.yaml'), 'utf8'), renderHarnessMetadata());
      const bad = await runMain([
        'marketplace',
        '--manifest',
        join(dir, 'm.yaml'),
        '--out',
        dir,
        '--image-base-url',
        'http://x',
      ]);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--image-base-url must be an https URL ending with "\/"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the certification harness files', () => {
  const metadata: unknown = parse(readFileSync(join(MARKETPLACE, 'metadata.yaml'), 'utf8'));

  it("metadata.yaml follows the harness's schema", () => {
    assert.equal(at(metadata, ':app', ':name'), 'slm-copilot');
    assert.equal(at(metadata, ':app', ':type'), 'service');
    assert.deepEqual(at(metadata, ':app', ':os'), { ':type': 'linux', ':base': 'ubuntu2404' });
    assert.equal(at(metadata, ':app', ':hypervisor'), 'KVM');
    assert.equal(at(metadata, ':app', ':context', ':prefixed'), true);
    assert.equal(at(metadata, ':one', ':template', 'NAME'), 'base');
    assert.equal(at(metadata, ':one', ':template', 'TEMPLATE', 'CPU_MODEL', 'MODEL'), 'host-passthrough');
    assert.equal(at(metadata, ':one', ':template', 'TEMPLATE', 'VCPU'), '16');
    assert.equal(typeof at(metadata, ':one', ':datastore_name'), 'string');
    assert.equal(at(metadata, ':infra', ':disk_format'), 'qcow2');
  });

  it('gives the VM a valid API key, which the spec reads from the params', () => {
    const params = at(metadata, ':app', ':context', ':params') as Record<string, string>;
    assert.deepEqual(Object.keys(params), [':COPILOT_AUTH_KEYS']);
    assert.equal(params[':COPILOT_AUTH_KEYS'], HARNESS_API_KEY);
    const parsed = parseApiKeys(HARNESS_API_KEY);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('\n'));
  });

  it('tests.yaml lists exactly the specs in tests/', () => {
    const listed = parse(readFileSync(join(MARKETPLACE, 'tests.yaml'), 'utf8'));
    assert.deepEqual(listed, [...HARNESS_SPECS]);
    assert.deepEqual(readdirSync(join(MARKETPLACE, 'tests')).sort(), [...HARNESS_SPECS].sort());
  });

  it('the spec checks bootstrap, the services, the report, 401 without a key and a chat with one', () => {
    const spec = readFileSync(join(MARKETPLACE, 'tests', HARNESS_SPECS[0]), 'utf8');
    assert.match(spec, /require_relative '\.\.\/\.\.\/\.\.\/lib\/community\/app_handler'/);
    assert.match(spec, /include_context\('vm_handler'\)/);
    assert.match(spec, /All set and ready to serve/);
    assert.match(spec, /\['local-ai', 'slm-copilot-relay', 'nginx'\]/);
    assert.match(spec, /systemctl is-active/);
    assert.match(spec, /\/etc\/one-appliance\/config/);
    assert.match(
      spec,
      /https:\/\/127\.0\.0\.1\/v1\/models"\)\n\s+expect\(result\.stdout\.strip\)\.to eq\('401'\)/,
    );
    assert.match(spec, /\/v1\/chat\/completions/);
    assert.match(spec, /APP_CONTEXT_PARAMS\[:COPILOT_AUTH_KEYS\]/);
    const ruby = spawnSync('ruby', ['-c', join(MARKETPLACE, 'tests', HARNESS_SPECS[0])], {
      encoding: 'utf8',
    });
    assert.equal(ruby.error, undefined, 'ruby is needed to check the spec (make deps installs it)');
    assert.equal(ruby.status, 0, ruby.stderr);
  });
});

describe('consistency across files', () => {
  it('the appliance YAML and the harness ask for the same VM', () => {
    const appliance = marketplaceAppliance(MANIFEST).opennebula_template;
    const harness = parse(renderHarnessMetadata());
    for (const key of ['CPU', 'VCPU', 'MEMORY', 'CPU_MODEL'] as const) {
      assert.deepEqual(at(harness, ':one', ':template', 'TEMPLATE', key), appliance[key], key);
    }
  });

  it('the example manifest is marked as such and never looks like a real image', () => {
    const text = readFileSync(join(ROOT, COMMITTED_MANIFEST), 'utf8');
    const manifest = parseManifest(text, COMMITTED_MANIFEST);
    assert.ok(manifest.ok);
    if (/^# EXAMPLE/m.test(text)) assert.match(manifest.manifest.sha256, /^0+$/);
    // The keys the build writes (one-apps' manifest.sh names).
    assert.deepEqual(Object.keys(manifest.manifest), Object.keys(MANIFEST));
  });
});

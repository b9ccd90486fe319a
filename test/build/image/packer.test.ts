/**
 * The Packer template and the build scripts, checked as far as this machine allows: `packer fmt -check`, and
 * `packer validate` of a copy adapted to the Packer found here. Debian 12's Packer is 1.6.6: it predates the
 * `packer {}` block (required_version, required_plugins) and its built-in qemu builder lacks fields of the qemu
 * plugin >= 1.1. The copy drops exactly those (STRIPPED_FOR_1_6, asserted below), so what stays unvalidated is
 * named here: the plugin requirement itself, and the fields in that list. Booting the VM needs KVM and the plugin.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compareVersions, parsePackerVersion } from '../../../src/artifacts/image/preflight.ts';
import { requireBundle } from '../../support/bundle.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKER_DIR = join(ROOT, 'packer');
const TEMPLATE = readFileSync(join(PACKER_DIR, 'slm-copilot.pkr.hcl'), 'utf8');
const VARIABLES = readFileSync(join(PACKER_DIR, 'variables.pkr.hcl'), 'utf8');

/** Fields of the qemu plugin >= 1.1 that Packer 1.6.6's built-in qemu builder rejects as unknown. */
const STRIPPED_FOR_1_6 = ['cpu_model'] as const;

const packerVersion =
  parsePackerVersion(execFileSync('packer', ['version'], { encoding: 'utf8' })) ?? '0.0.0';
const modern = compareVersions(packerVersion, '1.7.0') >= 0;

/** Removes the `packer { … }` block (balanced braces) and the listed attribute lines. */
function adaptFor16(template: string): string {
  const start = template.indexOf('packer {');
  assert.ok(start >= 0, 'the template has a packer {} block');
  let depth = 0;
  let end = start;
  for (let i = template.indexOf('{', start); i < template.length; i++) {
    if (template[i] === '{') depth++;
    if (template[i] === '}' && --depth === 0) {
      end = i + 1;
      break;
    }
  }
  let adapted = template.slice(0, start) + template.slice(end);
  for (const field of STRIPPED_FOR_1_6) {
    const line = new RegExp(`^\\s*${field}\\s*=.*\\n`, 'm');
    assert.match(adapted, line, `${field} is in the template (else drop it from STRIPPED_FOR_1_6)`);
    adapted = adapted.replace(line, '');
  }
  return adapted;
}

describe(`Packer template (packer ${packerVersion} here)`, () => {
  let work: string;
  let pinnedLock: string;
  let unpinnedLock: string;
  let templateDir: string;
  before(() => {
    requireBundle(); // the file provisioner checks that the bundle exists
    work = mkdtempSync(join(tmpdir(), 'slm-packer-'));
    const lock = JSON.parse(readFileSync(join(ROOT, 'artifacts.lock.json'), 'utf8'));
    unpinnedLock = join(work, 'unpinned.lock.json');
    writeFileSync(unpinnedLock, JSON.stringify(lock));
    for (const entry of lock.artifacts) {
      if (entry.name === 'ubuntu-cloud-image') Object.assign(entry, { sha256: 'a'.repeat(64), pinned: true });
    }
    pinnedLock = join(work, 'pinned.lock.json');
    writeFileSync(pinnedLock, JSON.stringify(lock));
    // The file provisioner and the SSH communicator check their files exist when the template is prepared.
    mkdirSync(join(work, 'build'));
    writeFileSync(join(work, 'build/guest-artifacts.txt'), '');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'build/build-key')]);
    templateDir = join(work, 'template');
    mkdirSync(templateDir);
    cpSync(join(PACKER_DIR, 'variables.pkr.hcl'), join(templateDir, 'variables.pkr.hcl'));
    writeFileSync(join(templateDir, 'slm-copilot.pkr.hcl'), modern ? TEMPLATE : adaptFor16(TEMPLATE));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const validate = (lock: string) =>
    spawnSync(
      'packer',
      [
        'validate',
        '-var',
        `lock_file=${lock}`,
        '-var',
        `work_dir=${join(work, 'build')}`,
        '-var',
        `artifacts_dir=${join(work, 'artifacts')}`,
        templateDir,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );

  it('is formatted (packer fmt -check)', () => {
    const run = spawnSync('packer', ['fmt', '-check', '-diff', PACKER_DIR], { encoding: 'utf8' });
    assert.equal(run.status, 0, `packer fmt -check:\n${run.stdout}${run.stderr}`);
  });

  it('validates with the lock pinned (on Packer < 1.7: a copy without the packer {} block and STRIPPED_FOR_1_6)', (t) => {
    if (modern)
      t.diagnostic('Packer >= 1.7: validating the template as it is (needs the qemu plugin installed)');
    else {
      t.diagnostic(
        `Packer ${packerVersion}: not validated here: the packer {} block (required_version >= 1.7, ` +
          `required_plugins qemu >= 1.1) and ${STRIPPED_FOR_1_6.join(', ')}; the qemu builder is 1.6.6's built-in ` +
          'one, not the plugin the build uses',
      );
    }
    const run = validate(pinnedLock);
    assert.equal(run.status, 0, `packer validate:\n${run.stdout}${run.stderr}`);
  });

  it('refuses an unpinned Ubuntu image: the checksum would be null', () => {
    const run = validate(unpinnedLock);
    assert.notEqual(run.status, 0);
    assert.match(`${run.stdout}${run.stderr}`, /local\.ubuntu\.sha256 set to null/);
  });
});

describe('what the template says', () => {
  it('requires Packer >= 1.7 and the qemu plugin >= 1.1', () => {
    assert.match(TEMPLATE, /required_version = ">= 1\.7\.0"/);
    assert.match(TEMPLATE, /source\s+= "github\.com\/hashicorp\/qemu"\s*\n\s*version = ">= 1\.1\.0"/);
  });

  it('boots the Ubuntu image pinned in the lock, with KVM and the host CPU', () => {
    assert.match(TEMPLATE, /lock\s+= jsondecode\(file\(var\.lock_file\)\)/);
    assert.match(TEMPLATE, /artifact\.name == "ubuntu-cloud-image"/);
    assert.match(TEMPLATE, /iso_checksum = "sha256:\$\{local\.ubuntu\.sha256\}"/);
    assert.match(TEMPLATE, /accelerator = "kvm"/);
    assert.match(TEMPLATE, /cpu_model\s+= "host"/);
    assert.match(TEMPLATE, /disk_image\s+= true/);
  });

  it('sizes disk and memory for the 14 GB model', () => {
    const disk = /variable "disk_size"[\s\S]*?default\s+= "(\d+)M"/.exec(VARIABLES)?.[1];
    const memory = /variable "memory_mb"[\s\S]*?default\s+= (\d+)/.exec(VARIABLES)?.[1];
    assert.ok(Number(disk) >= 40 * 1024, `disk_size ${disk}M >= 40 GiB`);
    assert.ok(Number(memory) >= 8192, `memory_mb ${memory} >= 8192`);
  });

  it('runs every guest script, in order, as root with the proxy variables', () => {
    const listed = [...TEMPLATE.matchAll(/"packer\/guest\/(\d\d-[a-z-]+\.sh)"/g)].map((match) => match[1]);
    const present = readdirSync(join(PACKER_DIR, 'guest')).filter((name) => /^\d\d-.*\.sh$/.test(name));
    assert.deepEqual(listed, [...present].sort());
    assert.match(
      TEMPLATE,
      /execute_command\s+= "chmod \+x \{\{ \.Path \}\}; sudo env \{\{ \.Vars \}\} \{\{ \.Path \}\}"/,
    );
    for (const name of ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
      assert.match(TEMPLATE, new RegExp(`"${name}=\\$\\{var\\.${name.toLowerCase()}\\}"`));
    }
    for (const name of ['http_proxy', 'https_proxy', 'no_proxy']) {
      assert.match(VARIABLES, new RegExp(`variable "${name}" \\{[^}]*default = env\\("${name}"\\)`));
    }
  });

  it('uploads the bundle, the lock and appliance.sh, and serves the artifacts on loopback only', () => {
    for (const source of ['var.bundle', 'var.lock_file', 'var.appliance_script', 'guest-artifacts.txt']) {
      assert.ok(TEMPLATE.includes(source), source);
    }
    assert.match(TEMPLATE, /http_directory\s+= var\.artifacts_dir/);
    assert.match(TEMPLATE, /http_bind_address = "127\.0\.0\.1"/);
    assert.match(TEMPLATE, /scripts\s+= \["packer\/host\/postprocess\.sh"\]/);
  });
});

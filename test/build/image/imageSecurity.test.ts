/**
 * Static checks of the image build for what the image must never ship: password SSH, a known root password, the
 * build user or its key, cloud-init, the build's identity. The build cannot run here (no KVM); these read the
 * template and every script that shapes the image.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const PACKER = fileURLToPath(new URL('../../../packer/', import.meta.url));
const read = (path: string) => readFileSync(join(PACKER, path), 'utf8');
const TEMPLATE = read('slm-copilot.pkr.hcl');
const USER_DATA = read('cloud-init/user-data');
const SSH = read('guest/31-ssh.sh');
const CLEANUP = read('guest/90-cleanup.sh');
const POSTPROCESS = read('host/postprocess.sh');
const BUILD_USER = /ssh_username\s+= "([^"]+)"/.exec(TEMPLATE)?.[1] ?? '';

/** Every file under packer/ that ends up shaping the image. */
function everyFile(): [string, string][] {
  const files: [string, string][] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(PACKER, dir), { withFileTypes: true })) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else files.push([path, read(path)]);
    }
  };
  walk('');
  return files;
}

describe('no password SSH and no known root password in the image', () => {
  it('Packer logs in with a one-time key as a dedicated build user, never with a password', () => {
    assert.equal(BUILD_USER, 'slm-build');
    assert.doesNotMatch(TEMPLATE, /ssh_password/);
    assert.match(TEMPLATE, /ssh_private_key_file = "\$\{var\.work_dir\}\/build-key"/);
  });

  it('the cloud-init seed creates only that user, locked, key-only; root stays disabled', () => {
    const data = parse(USER_DATA.replace('@BUILD_SSH_PUBLIC_KEY@', 'ssh-ed25519 AAAA test')) as Record<
      string,
      unknown
    >;
    assert.ok(USER_DATA.startsWith('#cloud-config\n'));
    const users = data.users as Record<string, unknown>[];
    assert.equal(users.length, 1);
    assert.equal(users[0]?.name, BUILD_USER);
    assert.equal(users[0]?.lock_passwd, true);
    for (const key of ['passwd', 'hashed_passwd', 'plain_text_passwd'])
      assert.equal(users[0]?.[key], undefined, key);
    assert.deepEqual(users[0]?.ssh_authorized_keys, ['ssh-ed25519 AAAA test']);
    assert.equal(data.ssh_pwauth, false);
    assert.equal(data.disable_root, true);
    for (const key of ['chpasswd', 'password', 'runcmd', 'bootcmd', 'write_files'])
      assert.equal(data[key], undefined, key);
  });

  it('no file enables password logins or sets a password', () => {
    for (const [path, text] of everyFile()) {
      assert.doesNotMatch(text, /PasswordAuthentication\s+yes/i, path);
      assert.doesNotMatch(text, /PermitRootLogin\s+yes/i, path);
      assert.doesNotMatch(text, /ssh_pwauth:\s*true/, path);
      for (const setsAPassword of [
        /\bchpasswd\b/,
        /\|\s*passwd\b/,
        /\bpasswd\s+(root|-d|--delete|-u|--unlock)\b/,
        /\busermod\b[^\n]*\s(-p|--password)\s/,
        /--root-password\s+(?!disabled)/,
        /['"]opennebula['"]/,
      ]) {
        assert.doesNotMatch(text, setsAPassword, path);
      }
    }
  });

  it('sshd takes keys only, root by key only, and the script checks the effective configuration', () => {
    for (const line of [
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitEmptyPasswords no',
      'PermitRootLogin prohibit-password',
    ]) {
      assert.ok(SSH.includes(`\n${line}\n`), line);
    }
    assert.match(SSH, /sshd_config\.d\/00-slm-copilot\.conf/, 'a drop-in read before the cloud image ones');
    assert.match(
      SSH,
      /rm -f \/etc\/ssh\/sshd_config\.d\/\*-cloud-init\.conf \/etc\/ssh\/sshd_config\.d\/\*-cloudimg-settings\.conf/,
    );
    assert.match(SSH, /sshd -T/);
    assert.match(SSH, /die 'sshd would still accept passwords'/);
  });

  it('virt-sysprep disables the root password, removes the build user, its sudo rule and the SSH host keys', () => {
    assert.match(POSTPROCESS, /virt-sysprep \\\n/);
    assert.match(POSTPROCESS, /--root-password disabled/);
    assert.match(POSTPROCESS, /--operations defaults,user-account/);
    assert.match(POSTPROCESS, new RegExp(`--remove-user-accounts ${BUILD_USER}`));
    assert.match(POSTPROCESS, /--delete \/etc\/sudoers\.d\/90-cloud-init-users/);
    assert.match(POSTPROCESS, /--run-command 'rm -f \/etc\/ssh\/ssh_host_\*'/);
    assert.match(POSTPROCESS, /--run-command 'truncate -s 0 \/etc\/machine-id'/);
    assert.match(POSTPROCESS, /virt-sparsify --in-place/);
    assert.match(TEMPLATE, /post-processor "shell-local"[\s\S]*packer\/host\/postprocess\.sh/);
  });
});

describe('the cleanup leaves nothing of the build', () => {
  it('purges cloud-init with its state and network config, and snapd', () => {
    assert.match(CLEANUP, /apt-get -y purge \$cloud_init snapd/);
    assert.match(CLEANUP, /rm -rf \/etc\/cloud \/var\/lib\/cloud/);
    assert.match(CLEANUP, /rm -f \/etc\/netplan\/50-cloud-init\.yaml/);
  });

  it('undoes the proxy, the mirror and the service-start block; cleans apt caches and lists', () => {
    assert.match(CLEANUP, /rm -f \/etc\/apt\/apt\.conf\.d\/90slm-copilot-build-proxy/);
    assert.match(CLEANUP, /apt-sources\.orig/);
    assert.match(CLEANUP, /policy-rc\.d/);
    assert.match(CLEANUP, /apt-get -y clean/);
    assert.match(CLEANUP, /rm -rf \/var\/lib\/apt\/lists\/\*/);
  });

  it('removes logs, build files and the machine identity', () => {
    assert.match(CLEANUP, /find \/var\/log -type f -exec truncate --size 0/);
    assert.match(CLEANUP, /journalctl --vacuum-time=1s/);
    assert.match(CLEANUP, /rm -rf "\$SLM_BUILD" "\$SLM_CACHE"/);
    assert.match(CLEANUP, /truncate --size 0 \/etc\/machine-id/);
    assert.match(CLEANUP, /rm -f \/var\/lib\/dbus\/machine-id/);
    assert.match(CLEANUP, /fstrim/);
  });
});

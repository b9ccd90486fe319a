import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveSystem, readHostFacts } from '../../../src/appliance/host/reader.ts';
import { parseCpuinfo } from '../../../src/core/host/cpuinfo.ts';
import { parseMeminfo } from '../../../src/core/host/meminfo.ts';
import { fixedSystem, fixtureHost } from '../../support/hosts.ts';

describe('host facts from fixtures', () => {
  it('EPYC host-passthrough VM with SMT: 16 logical CPUs, 8 physical cores, AVX-512 and VNNI', () => {
    const host = fixtureHost('epyc-passthrough-smt-32g');
    assert.equal(host.cpu.logicalCpus, 16);
    assert.equal(host.cpu.physicalCores, 8);
    assert.equal(host.cpu.sockets, 1);
    assert.equal(host.cpu.modelName, 'AMD EPYC 9354 32-Core Processor');
    assert.deepEqual(host.cpu.flags, {
      avx: true,
      avx2: true,
      avx512f: true,
      fma: true,
      f16c: true,
      vnni: true,
      amx: false,
    });
    assert.equal(host.cpu.virtualised, true);
    assert.equal(host.memory.totalBytes, 32866052 * 1024);
    assert.equal(host.memory.availableBytes, 32301880 * 1024);
  });

  it("QEMU's generic CPU model: every vCPU its own socket, no AVX at all", () => {
    const host = fixtureHost('qemu-generic-16c-32g');
    assert.equal(host.cpu.physicalCores, 16);
    assert.equal(host.cpu.sockets, 16);
    assert.equal(host.cpu.flags.avx, false);
    assert.equal(host.cpu.flags.avx2, false);
    assert.equal(host.cpu.flags.fma, false);
  });

  it('small Xeon VM: 4 cores, AVX2 and AVX-VNNI without AVX-512, 8 GB', () => {
    const host = fixtureHost('xeon-small-8g');
    assert.equal(host.cpu.physicalCores, 4);
    assert.equal(host.cpu.flags.avx2, true);
    assert.equal(host.cpu.flags.avx512f, false);
    assert.equal(host.cpu.flags.vnni, true);
    assert.ok(host.memory.totalBytes < 8.5e9);
  });

  it('two sockets with SMT: cores counted per socket', () => {
    const host = fixtureHost('epyc-passthrough-2s-128g');
    assert.equal(host.cpu.logicalCpus, 64);
    assert.equal(host.cpu.sockets, 2);
    assert.equal(host.cpu.physicalCores, 32);
  });

  it('passes disk and network through the probe', () => {
    const host = fixtureHost('xeon-small-8g');
    assert.deepEqual(host.network.addresses, ['192.0.2.10', '2001:db8::10']);
    assert.equal(host.disk?.freeBytes, 60 * 1024 ** 3);
  });

  it('names the missing file when the directory has no cpuinfo', () => {
    assert.throws(
      () => readHostFacts({ procDir: '/nonexistent-proc', system: fixedSystem }),
      /cannot read \/nonexistent-proc\/cpuinfo: ENOENT/,
    );
  });

  it('reads this machine through /proc and the live probe', () => {
    const host = readHostFacts();
    assert.ok(host.cpu.logicalCpus >= 1 && host.cpu.physicalCores <= host.cpu.logicalCpus);
    assert.ok(host.memory.totalBytes > 0);
    assert.ok((liveSystem.disk('/')?.totalBytes ?? 0) > 0);
    assert.equal(liveSystem.disk('/definitely/not/here'), null);
  });
});

describe('parsers on edge cases', () => {
  it('cpuinfo without topology fields counts each logical CPU as a core', () => {
    const text = 'processor\t: 0\nflags\t\t: fpu avx avx2\n\nprocessor\t: 1\nflags\t\t: fpu avx avx2\n';
    const cpu = parseCpuinfo(text);
    assert.equal(cpu.physicalCores, 2);
    assert.equal(cpu.flags.avx2, true);
    assert.equal(cpu.modelName, 'unknown');
  });
  it('cpuinfo with AMX and without entries', () => {
    assert.equal(parseCpuinfo('processor : 0\nflags : avx512f amx_tile avx_vnni\n').flags.amx, true);
    assert.throws(() => parseCpuinfo(''), /no "processor" entries/);
  });
  it('meminfo without MemAvailable falls back to free + cached; no MemTotal is an error', () => {
    assert.deepEqual(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nCached: 50 kB\n'), {
      totalBytes: 1024000,
      availableBytes: 153600,
    });
    assert.throws(() => parseMeminfo('MemFree: 1 kB\n'), /no MemTotal/);
  });
});

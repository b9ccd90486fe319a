import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuVariantFromLog } from '../../../src/appliance/doctor/cpuVariant.ts';
import { parseProcNetTcp } from '../../../src/appliance/doctor/procNet.ts';
import { parseReport } from '../../../src/appliance/doctor/reportFindings.ts';
import { lastError } from '../../../src/appliance/doctor/systemdShow.ts';

describe('doctor parsers', () => {
  it('reads listening sockets from /proc/net/tcp and tcp6', () => {
    const tcp = `  sl  local_address rem_address   st
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1
`;
    assert.deepEqual(parseProcNetTcp(tcp, 4), [
      { address: '127.0.0.1', port: 8080 },
      { address: '0.0.0.0', port: 443 },
    ]);
    const tcp6 = `  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 0
   1: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 0
   2: B80D0120000000000000000010000000:01BB 00000000000000000000000000000000:0000 0A 0
`;
    assert.deepEqual(parseProcNetTcp(tcp6, 6), [
      { address: '::', port: 443 },
      { address: '::1', port: 8081 },
      { address: '2001:db8::10', port: 443 },
    ]);
  });

  it("finds the llama.cpp CPU build in LocalAI's log, the last load winning", () => {
    assert.deepEqual(cpuVariantFromLog('x\n+ exec /b/llama-cpp-avx2 --addr 127.0.0.1:1\n'), {
      name: 'avx2',
      avx2: true,
      line: '+ exec /b/llama-cpp-avx2 --addr 127.0.0.1:1',
    });
    const log =
      'load_backend: loaded CPU backend from /b/lib/libggml-cpu-x64.so\nload_backend: loaded CPU backend from /b/lib/libggml-cpu-sandybridge.so';
    assert.equal(cpuVariantFromLog(log)?.name, 'sandybridge');
    assert.equal(cpuVariantFromLog(log)?.avx2, false);
    assert.equal(cpuVariantFromLog('nothing here'), null);
  });

  it("takes a unit's last error line, and the report's sections", () => {
    assert.equal(
      lastError('Started.\nmain: open model: permission denied\nStopping.\n'),
      'main: open model: permission denied',
    );
    assert.equal(lastError('Started.\nAll fine.\n'), 'All fine.');
    assert.equal(lastError(''), null);
    const report = parseReport(
      '# x\n\n[Configure errors]\ntime = T\nerror.1 = A: bad\n\n[TLS]\nca_fingerprint_sha256 = AB:CD\n',
    );
    assert.equal(report.get('Configure errors')?.get('error.1'), 'A: bad');
    assert.equal(report.get('TLS')?.get('ca_fingerprint_sha256'), 'AB:CD');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { portFindings } from '../../../src/appliance/doctor/serviceFindings.ts';

const sockets = (...entries: string[]) =>
  entries.map((entry) => {
    const at = entry.lastIndexOf(':');
    return { address: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
  });
const SERVING = ['0.0.0.0:443', '127.0.0.1:8081', '127.0.0.1:8080'];
const statusOf = (findings: ReturnType<typeof portFindings>, id: string) =>
  findings.find((finding) => finding.id === id)?.status;

describe("doctor's port 80 follows ONEAPP_COPILOT_TLS_DOMAIN", () => {
  it('with a domain port 80 is required (the ACME challenge comes there)', () => {
    assert.equal(
      statusOf(
        portFindings(sockets(...SERVING, '0.0.0.0:80'), 'copilot.example.com', 'standalone'),
        'port:80',
      ),
      'pass',
    );
    const missing = portFindings(sockets(...SERVING), 'copilot.example.com', 'standalone');
    assert.equal(statusOf(missing, 'port:80'), 'fail');
  });

  it('without one, closed passes and open warns; the other ports are judged the same either way', () => {
    assert.equal(statusOf(portFindings(sockets(...SERVING), null, 'standalone'), 'port:80'), 'pass');
    assert.equal(
      statusOf(portFindings(sockets(...SERVING, '0.0.0.0:80'), null, 'standalone'), 'port:80'),
      'warn',
    );
    const ids = (domain: string | null) =>
      portFindings(sockets(...SERVING), domain, 'standalone').map((f) => f.id);
    assert.deepEqual(ids(null), ids('copilot.example.com'));
    assert.deepEqual(ids(null), ['port:443', 'port:80', 'port:8081', 'port:8080']);
  });
});

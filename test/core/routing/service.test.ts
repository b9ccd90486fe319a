import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressInSubnets, roleNodes } from '../../../src/core/routing/service.ts';

const vm = (id: string, extra: Record<string, unknown>) => ({
  deploy_id: Number(id),
  vm_info: { VM: { ID: id, ...extra } },
});

describe('reading the service OneGate returns', () => {
  const answer = {
    SERVICE: {
      roles: [
        { name: 'front', nodes: [vm('1', {})] },
        {
          name: 'worker',
          nodes: [
            vm('11', {
              STATE: '3',
              LCM_STATE: '3',
              USER_TEMPLATE: { READY: 'YES', ONEAPP_COPILOT_CA_FINGERPRINT: 'AA:BB' },
              TEMPLATE: { NIC: [{ IP: '192.168.1.5' }, { IP: '10.0.0.11' }] },
            }),
            // One NIC: OpenNebula's JSON writes an object, not an array.
            vm('12', {
              STATE: '3',
              LCM_STATE: '3',
              USER_TEMPLATE: {},
              TEMPLATE: { NIC: { IP: '10.0.0.12' } },
            }),
            vm('13', { STATE: '3', LCM_STATE: '2', USER_TEMPLATE: { READY: 'YES' }, TEMPLATE: {} }),
          ],
        },
      ],
    },
  };
  it('keeps RUNNING and READY as serving, every NIC address and the published CA fingerprint', () => {
    const { nodes, problems } = roleNodes(answer, 'worker');
    assert.deepEqual(problems, []);
    assert.deepEqual(nodes, [
      { id: '11', serving: true, addresses: ['192.168.1.5', '10.0.0.11'], caFingerprint: 'AA:BB' },
      { id: '12', serving: false, addresses: ['10.0.0.12'], caFingerprint: null },
      { id: '13', serving: false, addresses: [], caFingerprint: null },
    ]);
  });
  it('says what is missing: no SERVICE, no role, nodes without vm_info (GET /service without ?extended)', () => {
    assert.deepEqual(roleNodes({}, 'worker').problems, ['the answer has no SERVICE object']);
    assert.deepEqual(roleNodes(answer, 'gpu').problems, ['the service has no role gpu']);
    const brief = { SERVICE: { roles: [{ name: 'worker', nodes: [{ deploy_id: 3, vm_info: {} }] }] } };
    assert.match(roleNodes(brief, 'worker').problems.join(), /without \?extended=true/);
  });
  it("picks the worker address inside one of the front's subnets", () => {
    const own = [{ address: '10.0.0.1', netmask: '255.255.255.0' }];
    assert.equal(addressInSubnets(['192.168.1.5', '10.0.0.11'], own), '10.0.0.11');
    assert.equal(addressInSubnets(['10.0.1.11'], own), null);
    assert.equal(
      addressInSubnets(['200.1.1.1'], [{ address: '200.1.0.1', netmask: '255.255.0.0' }]),
      '200.1.1.1',
    );
    assert.equal(addressInSubnets(['fe80::1', 'x'], own), null);
  });
});

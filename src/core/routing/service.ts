/**
 * Reading a OneFlow service as OneGate returns it (`GET /service?extended=true`: each node's `vm_info` is the whole
 * VM, its USER_TEMPLATE and TEMPLATE/NIC included; without `extended` a node carries no address) into the workers a
 * front may route to, and choosing the worker address that lies in one of the front's own subnets. Pure.
 */

import { ONEGATE_ATTRIBUTES, READY_ATTRIBUTE, RUNNING_STATE } from '../facts/oneflow.ts';
import { isRecord } from '../lib/isRecord.ts';

export interface ServiceNode {
  readonly id: string;
  /** RUNNING (STATE 3, LCM_STATE 3) and READY=YES. */
  readonly serving: boolean;
  readonly addresses: readonly string[];
  readonly caFingerprint: string | null;
}

/** OpenNebula's JSON writes a single vector attribute as an object, several as an array. */
const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];
const text = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

/** The nodes of `role` in a `GET /service?extended=true` answer; problems name what is missing. */
export function roleNodes(
  answer: unknown,
  role: string,
): { readonly nodes: ServiceNode[]; readonly problems: string[] } {
  const service = isRecord(answer) && isRecord(answer.SERVICE) ? answer.SERVICE : null;
  if (service === null) return { nodes: [], problems: ['the answer has no SERVICE object'] };
  const roleEntry = list(service.roles).find((entry) => isRecord(entry) && entry.name === role);
  if (!isRecord(roleEntry)) return { nodes: [], problems: [`the service has no role ${role}`] };
  const nodes: ServiceNode[] = [];
  const problems: string[] = [];
  for (const node of list(roleEntry.nodes)) {
    const vm = isRecord(node) && isRecord(node.vm_info) && isRecord(node.vm_info.VM) ? node.vm_info.VM : null;
    const id = vm === null ? null : text(vm.ID);
    if (vm === null || id === null) {
      problems.push(`a ${role} node has no vm_info.VM.ID (was the service read without ?extended=true?)`);
      continue;
    }
    const user = isRecord(vm.USER_TEMPLATE) ? vm.USER_TEMPLATE : {};
    const template = isRecord(vm.TEMPLATE) ? vm.TEMPLATE : {};
    const addresses = list(template.NIC).flatMap((nic) => {
      const ip = isRecord(nic) ? text(nic.IP) : null;
      return ip === null ? [] : [ip];
    });
    nodes.push({
      id,
      serving:
        text(vm.STATE) === RUNNING_STATE.state &&
        text(vm.LCM_STATE) === RUNNING_STATE.lcmState &&
        text(user[READY_ATTRIBUTE.name])?.trim() === READY_ATTRIBUTE.value,
      addresses,
      caFingerprint: text(user[ONEGATE_ATTRIBUTES.caFingerprint]),
    });
  }
  return { nodes, problems };
}

export interface OwnSubnet {
  readonly address: string;
  readonly netmask: string;
}

const toNumber = (ip: string): number | null => {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return null;
  return parts.reduce((sum, part) => sum * 256 + Number(part), 0);
};

/** The first of a worker's IPv4 addresses inside one of the front's own subnets, or null. */
export function addressInSubnets(addresses: readonly string[], own: readonly OwnSubnet[]): string | null {
  for (const address of addresses) {
    const value = toNumber(address);
    if (value === null) continue;
    for (const subnet of own) {
      const base = toNumber(subnet.address);
      const mask = toNumber(subnet.netmask);
      if (base === null || mask === null || mask === 0) continue;
      // >>> 0 keeps the bitwise results unsigned.
      if ((value & mask) >>> 0 === (base & mask) >>> 0) return address;
    }
  }
  return null;
}

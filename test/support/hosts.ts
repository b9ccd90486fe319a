/** Host facts from the fixture directories under test/fixtures/hosts, with a fixed disk and network. */
import { fileURLToPath } from 'node:url';
import { readHostFacts, type SystemProbe } from '../../src/appliance/host/reader.ts';
import type { HostFacts } from '../../src/core/host/types.ts';

export const FIXTURE_HOSTS = fileURLToPath(new URL('../fixtures/hosts/', import.meta.url));

export const fixedSystem: SystemProbe = {
  disk: (path) => ({ path, totalBytes: 100 * 1024 ** 3, freeBytes: 60 * 1024 ** 3 }),
  network: () => ({ hostname: 'copilot-vm', addresses: ['192.0.2.10', '2001:db8::10'] }),
};

export function fixtureHost(name: string): HostFacts {
  return readHostFacts({ procDir: `${FIXTURE_HOSTS}${name}`, system: fixedSystem });
}

/**
 * `slm-copilot router --config FILE` (a OneFlow front's slm-copilot-router.service): the router on the relay's
 * address, its workers refreshed from OneGate every membership period, until SIGTERM or SIGINT.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { Failure } from '../../core/lib/failure.ts';
import type { RouterConfigFile } from '../../core/render/router.ts';
import type { OwnSubnet } from '../../core/routing/service.ts';
import { getServiceExtended, readOneGateLink } from '../onegate/client.ts';
import { Membership } from './membership.ts';
import { startRouter } from './router.ts';
import { fetchPinnedCa, pinnedAgent } from './workerLink.ts';

const readText = (path: string, what: string): string => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new Failure('failed', `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
};

/** This VM's IPv4 subnets: a worker is reached by its address in one of them. */
function ownSubnets(): OwnSubnet[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => entry.family === 'IPv4' && !entry.internal)
    .map((entry) => ({ address: entry.address, netmask: entry.netmask }));
}

export async function runRouterFromConfigFile(path: string): Promise<void> {
  const config = JSON.parse(readText(path, 'the router configuration')) as RouterConfigFile;
  const access = readOneGateLink(config.oneGate);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const router = await startRouter({
    host: config.listen.host,
    port: config.listen.port,
    secret: readText(config.secretFile, 'the service secret'),
    keyNameHeader: config.keyNameHeader,
    spillQueue: config.spillQueue,
    bodyLimitBytes: config.bodyLimitBytes,
    log,
  });
  const membership = new Membership({
    readService: () => getServiceExtended(access),
    ownSubnets,
    workerPort: config.workerPort,
    pinCa: (baseUrl, fingerprint) => fetchPinnedCa(baseUrl, fingerprint, config.pinTimeoutMs),
    agentFor: pinnedAgent,
    log,
  });
  let timer: NodeJS.Timeout | undefined;
  const refresh = async () => {
    try {
      router.setWorkers(await membership.refresh());
    } catch (error) {
      log(`router: OneGate: ${(error as Error).message}; keeping the workers known`);
    }
    timer = setTimeout(() => void refresh(), config.membershipPeriodMs);
  };
  await refresh();
  const stop = (signal: NodeJS.Signals) => {
    log(`router: ${signal}, stopping`);
    clearTimeout(timer);
    void router.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

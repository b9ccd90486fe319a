/**
 * The front's view of its workers: every period it reads the service from OneGate (`GET /service?extended=true`),
 * keeps the worker-role VMs that are RUNNING and READY, reaches each by its address in one of the front's own
 * subnets, and pins its CA by the fingerprint the worker published (fetched once per worker and fingerprint).
 */
import type { Agent } from 'node:https';
import type { SERVICE_ROLES } from '../../core/facts/oneflow.ts';
import { addressInSubnets, type OwnSubnet, roleNodes } from '../../core/routing/service.ts';
import type { RouterWorker } from './router.ts';

export interface MembershipOptions {
  /** The service as `GET /service?extended=true` returns it. */
  readonly readService: () => Promise<unknown>;
  readonly ownSubnets: () => readonly OwnSubnet[];
  /** The worker's HTTPS port (its nginx). */
  readonly workerPort: number;
  /** The worker's CA if its fingerprint is the published one (workerLink.ts). */
  readonly pinCa: (baseUrl: string, fingerprint: string) => Promise<string>;
  readonly agentFor: (caPem: string) => Agent;
  readonly log: (line: string) => void;
}

const WORKER_ROLE: (typeof SERVICE_ROLES)[number] = 'worker';

export class Membership {
  private readonly pinned = new Map<string, { readonly key: string; readonly worker: RouterWorker }>();

  constructor(private readonly options: MembershipOptions) {}

  /** The workers to route to now; a worker whose CA cannot be pinned is left out (and logged). */
  async refresh(): Promise<RouterWorker[]> {
    const { nodes, problems } = roleNodes(await this.options.readService(), WORKER_ROLE);
    for (const problem of problems) this.options.log(`router: OneGate: ${problem}`);
    const workers: RouterWorker[] = [];
    const subnets = this.options.ownSubnets();
    for (const node of nodes) {
      if (!node.serving) continue;
      const address = addressInSubnets(node.addresses, subnets);
      if (address === null || node.caFingerprint === null) {
        this.options.log(
          `router: worker VM ${node.id} has ${address === null ? `no address in this VM's subnets (${node.addresses.join(', ') || 'none'})` : 'published no CA fingerprint'}`,
        );
        continue;
      }
      const baseUrl = `https://${address}:${this.options.workerPort}`;
      const key = `${baseUrl} ${node.caFingerprint}`;
      const known = this.pinned.get(node.id);
      if (known?.key === key) {
        workers.push(known.worker);
        continue;
      }
      try {
        const ca = await this.options.pinCa(baseUrl, node.caFingerprint);
        const worker = { id: node.id, baseUrl, agent: this.options.agentFor(ca) };
        this.pinned.set(node.id, { key, worker });
        workers.push(worker);
      } catch (error) {
        this.options.log(
          `router: worker VM ${node.id} at ${baseUrl} is not trusted: ${(error as Error).message}`,
        );
      }
    }
    for (const id of this.pinned.keys())
      if (!workers.some((worker) => worker.id === id)) this.pinned.delete(id);
    return workers;
  }
}

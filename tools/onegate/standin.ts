/**
 * OneGate stand-in: a test double of OpenNebula's OneGate server for one OneFlow service, for the scale-out tests.
 * Not part of the product. It answers what the appliance calls, shaped as OneGate's onegate-server.rb answers:
 * - `GET /service`: `{"SERVICE":{name,id,state,roles:[{name,cardinality,state,nodes:[{deploy_id,vm_info:{VM:…}}]}]}}`,
 *   each node's VM carrying only ID, UID, GID, UNAME, GNAME and NAME (no address); with `?extended=true`
 *   (any value) the whole VM: STATE, LCM_STATE, USER_TEMPLATE and TEMPLATE.NIC[] with IP;
 * - `GET /vm`, `GET /vms/<id>`: `{"VM":{NAME,ID,STATE,LCM_STATE,USER_TEMPLATE,TEMPLATE:{NIC:[…]}}}`, a VM of
 *   another service refused with 403;
 * - `PUT /vm`: `NAME=VALUE` lines (raw, or the form `data=<lines>&type=1` the onegate CLI sends) merged into the
 *   caller's USER_TEMPLATE; `type=2` erases the named attributes; SCHED_REQUIREMENTS, SERVICE_ID and ROLE_NAME
 *   refused with 403.
 * Callers authenticate with `X-ONEGATE-TOKEN` and `X-ONEGATE-VMID`; the token is `tokenOf(vmId)` here (the real
 * one is encrypted with the owner's TOKEN_PASSWORD). States are strings, as OpenNebula's JSON writes them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinVm {
  readonly id: string;
  readonly role: string;
  readonly addresses: readonly string[];
  state: string;
  lcmState: string;
  readonly userTemplate: Map<string, string>;
}

const RESTRICTED = ['SCHED_REQUIREMENTS', 'SERVICE_ID', 'ROLE_NAME'];

export const tokenOf = (vmId: string) => `standin-token-${vmId}`;

export interface OneGateStandin {
  readonly url: string;
  /** A VM of the service in that role, ACTIVE/RUNNING (STATE 3, LCM_STATE 3), with no attributes yet. */
  addVm(id: string, role: string, addresses: readonly string[]): StandinVm;
  /** Drops the VM from the service, as a scale-down does. */
  removeVm(id: string): void;
  vm(id: string): StandinVm | undefined;
  /** Every PUT /vm received: which VM, which attributes. */
  readonly puts: { readonly vmId: string; readonly values: Record<string, string> }[];
  close(): Promise<void>;
}

export async function startOneGateStandin(host: string, serviceId = '7'): Promise<OneGateStandin> {
  const vms = new Map<string, StandinVm>();
  const puts: { vmId: string; values: Record<string, string> }[] = [];

  const brief = (vm: StandinVm) => ({
    ID: vm.id,
    UID: '0',
    GID: '0',
    UNAME: 'oneadmin',
    GNAME: 'oneadmin',
    NAME: `vm-${vm.id}`,
  });
  const full = (vm: StandinVm) => ({
    NAME: `vm-${vm.id}`,
    ID: vm.id,
    STATE: vm.state,
    LCM_STATE: vm.lcmState,
    USER_TEMPLATE: { ...Object.fromEntries(vm.userTemplate), SERVICE_ID: serviceId, ROLE_NAME: vm.role },
    TEMPLATE: {
      NIC: vm.addresses.map((ip, index) => ({ IP: ip, NETWORK: 'Public', NIC_ID: String(index) })),
    },
  });
  const service = (extended: boolean) => {
    const roles = [...new Set([...vms.values()].map((vm) => vm.role))].sort();
    return {
      SERVICE: {
        name: 'slm-copilot',
        id: serviceId,
        state: 2,
        roles: roles.map((name) => {
          const nodes = [...vms.values()].filter((vm) => vm.role === name);
          return {
            name,
            cardinality: nodes.length,
            state: 2,
            nodes: nodes.map((vm) => ({
              deploy_id: Number(vm.id),
              vm_info: { VM: extended ? full(vm) : brief(vm) },
            })),
          };
        }),
      },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const caller = vms.get(String(req.headers['x-onegate-vmid'] ?? ''));
    if (caller === undefined || req.headers['x-onegate-token'] !== tokenOf(caller.id)) {
      return reply(res, 401, { error: 'Not authorized' });
    }
    const url = new URL(req.url ?? '/', 'http://standin');
    if (req.method === 'GET' && url.pathname === '/service') {
      return reply(res, 200, service(url.searchParams.has('extended')));
    }
    if (req.method === 'GET' && url.pathname === '/vm') return reply(res, 200, { VM: full(caller) });
    const other = /^\/vms\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && other !== null) {
      const vm = vms.get(other[1] as string);
      return vm === undefined
        ? reply(res, 403, { error: 'not in the service' })
        : reply(res, 200, { VM: full(vm) });
    }
    if (req.method === 'PUT' && url.pathname === '/vm') {
      let body = '';
      for await (const chunk of req) body += chunk;
      let type = url.searchParams.get('type') ?? '1';
      if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        const form = new URLSearchParams(body);
        body = form.get('data') ?? '';
        type = form.get('type') ?? type;
      }
      const lines = body
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      const values: Record<string, string> = {};
      for (const line of lines) {
        const at = line.indexOf('=');
        const name = (at === -1 ? line : line.slice(0, at)).trim().toUpperCase();
        if (RESTRICTED.includes(name)) return reply(res, 403, { error: `${name} is a restricted attribute` });
        values[name] =
          at === -1
            ? ''
            : line
                .slice(at + 1)
                .trim()
                .replace(/^"(.*)"$/, '$1');
      }
      for (const [name, value] of Object.entries(values)) {
        if (type === '2') caller.userTemplate.delete(name);
        else caller.userTemplate.set(name, value);
      }
      puts.push({ vmId: caller.id, values });
      res.writeHead(200).end();
      return;
    }
    return reply(res, 404, { error: 'not found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => reply(res, 500, { error: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    addVm: (id, role, addresses) => {
      const vm: StandinVm = { id, role, addresses, state: '3', lcmState: '3', userTemplate: new Map() };
      vms.set(id, vm);
      return vm;
    },
    removeVm: (id) => {
      vms.delete(id);
    },
    vm: (id) => vms.get(id),
    puts,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

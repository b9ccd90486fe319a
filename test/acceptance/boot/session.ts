/**
 * One guest for the boot suite: the appliance layer built like the image (tools/guest/image.ts), a qcow2 overlay,
 * a context CD, and QEMU booted as OpenNebula boots it. Boots wait for the one-context emulation's console marker;
 * commands run through qemu-guest-agent. A failing case gets the guest's journal and `systemctl --failed`.
 */
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import type { ExecResult } from '../../../tools/guest/agent.ts';
import { baseContext, type Context, makeContextIso } from '../../../tools/guest/context.ts';
import { buildGuestImage, createOverlay, type GuestImage } from '../../../tools/guest/image.ts';
import { GuestVm } from '../../../tools/guest/qemu.ts';
import { log } from '../../../tools/guest/run.ts';

/** First boot under TCG: kernel, systemd, then configure and bootstrap on an emulated CPU. */
export const BOOT_DEADLINE_MS = 12 * 60_000;

export interface HostResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly ms: number;
}

export interface BootRecord {
  readonly label: string;
  readonly bootId: string;
  readonly status: number;
  readonly seconds: number;
}

export class BootSession {
  readonly timings: Record<string, number> = {};
  readonly boots: BootRecord[] = [];
  image!: GuestImage;
  vm!: GuestVm;
  private isoCount = 0;
  private caPem: string | undefined;

  async build(): Promise<void> {
    const started = Date.now();
    this.image = await buildGuestImage();
    this.timings['base layer'] = this.image.base.built ? this.image.base.seconds : 0;
    this.timings['appliance layer'] = this.image.seconds.layer;
    this.timings.disk = this.image.seconds.disk;
    this.timings['image total'] = (Date.now() - started) / 1000;
  }

  async contextIso(context: Context): Promise<string> {
    this.isoCount += 1;
    return makeContextIso(join(this.image.runDir, `context-${this.isoCount}.iso`), {
      ...baseContext(),
      ...context,
    });
  }

  /** Creates the overlay and boots it with the CD; resolves when the context hooks finished (any status). */
  async firstBoot(context: Context): Promise<BootRecord> {
    const overlay = await createOverlay(this.image);
    const iso = await this.contextIso(context);
    this.vm = new GuestVm({
      dir: this.image.runDir,
      disk: overlay,
      kernel: this.image.kernel,
      initrd: this.image.initrd,
      contextIso: iso,
    });
    const started = Date.now();
    const from = this.vm.consoleLength();
    await this.vm.start();
    return this.afterBoot('first boot', from, started);
  }

  /** Reboots from inside the guest (as `onevm reboot` does through ACPI) and waits for the hooks again. */
  async reboot(label: string): Promise<BootRecord> {
    const previous = this.boots.at(-1)?.bootId;
    const from = this.vm.consoleLength();
    const started = Date.now();
    // Not waited for: the agent goes down with the guest and may never answer the command's exit status.
    await this.vm.agent.start('/bin/systemctl', ['reboot', '--no-block']);
    const record = await this.afterBoot(label, from, started);
    if (record.bootId === previous) throw new Error(`${label}: the boot id did not change (${previous})`);
    return record;
  }

  /** OpenNebula's context change: a new CD in the running VM, then a reboot; waits for the hooks again. */
  async changeContextAndReboot(context: Context, label: string): Promise<BootRecord> {
    await this.vm.changeContextCd(await this.contextIso(context));
    return this.reboot(label);
  }

  /** An HTTPS request from the host to the guest's forwarded 443, trusting only the appliance CA. */
  async https(
    path: string,
    options: { key?: string; method?: string; body?: string; timeoutMs?: number } = {},
  ): Promise<HostResponse> {
    this.caPem ??= await this.must('cat /var/lib/slm-copilot/tls/ca-public.pem');
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.vm.httpsPort,
          path,
          method: options.method ?? 'GET',
          ca: this.caPem,
          headers: {
            ...(options.key === undefined ? {} : { Authorization: `Bearer ${options.key}` }),
            ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          timeout: options.timeoutMs ?? 30_000,
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started }),
          );
        },
      );
      req.once('timeout', () =>
        req.destroy(new Error(`no answer to ${path} within ${options.timeoutMs ?? 30_000} ms`)),
      );
      req.once('error', reject);
      req.end(options.body);
    });
  }

  private async afterBoot(label: string, from: number, started: number): Promise<BootRecord> {
    const match = await this.vm.waitConsole(
      /SLM-GUEST context-done ([0-9a-f-]{36}) rc=(\d+)/,
      from,
      BOOT_DEADLINE_MS,
    );
    await this.vm.agent.sync(60_000);
    const record = {
      label,
      bootId: match[1] as string,
      status: Number(match[2]),
      seconds: (Date.now() - started) / 1000,
    };
    this.boots.push(record);
    this.timings[`boot: ${label}`] = record.seconds;
    log(`${label}: context hooks done with status ${record.status} after ${record.seconds.toFixed(0)} s`);
    return record;
  }

  sh(command: string, timeoutMs = 120_000): Promise<ExecResult> {
    return this.vm.agent.sh(command, timeoutMs);
  }

  /** Runs a command that must succeed; throws with its output otherwise. */
  async must(command: string, timeoutMs = 120_000): Promise<string> {
    const result = await this.sh(command, timeoutMs);
    if (result.exitcode !== 0) {
      throw new Error(`guest: \`${command}\` exited ${result.exitcode}:\n${result.stdout}\n${result.stderr}`);
    }
    return result.stdout;
  }

  /** The guest's journal and failed units, for a failing case (also written to the run directory). */
  async diagnostics(name: string): Promise<string> {
    let text: string;
    try {
      const failed = await this.sh('systemctl --failed --no-pager', 30_000);
      const journal = await this.sh('journalctl -b --no-pager -n 400', 60_000);
      const stages = await this.sh('tail -n 60 /var/log/one-appliance/*.log', 30_000);
      text = `--- systemctl --failed\n${failed.stdout}${failed.stderr}\n--- journalctl -b (last 400 lines)\n${journal.stdout}\n--- /var/log/one-appliance\n${stages.stdout}`;
    } catch (error) {
      text = `(the guest agent did not answer: ${(error as Error).message})\n--- console tail\n${this.vm.consoleText().split('\n').slice(-200).join('\n')}`;
    }
    const file = join(this.image.runDir, `diagnostics-${name.replace(/[^a-z0-9]+/gi, '-')}.txt`);
    writeFileSync(file, text);
    return `${text}\n(saved in ${file})`;
  }

  /** Runs a case; on failure the error carries the guest's journal and failed units. */
  async step<T>(name: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      const diagnostics = await this.diagnostics(name);
      (error as Error).message =
        `${(error as Error).message}\n\n=== guest diagnostics (${name}) ===\n${diagnostics}`;
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.vm?.stop();
  }
}

/** The report's [Section] key = value pairs. */
export function parseReport(text: string): Map<string, string> {
  const values = new Map<string, string>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[(.+)\]$/.exec(line.trim());
    if (header !== null) {
      section = header[1] as string;
      continue;
    }
    const entry = /^([^=#][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (entry !== null) values.set(`${section}.${entry[1]}`, entry[2] as string);
  }
  return values;
}

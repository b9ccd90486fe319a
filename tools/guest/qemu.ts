/**
 * Boots the appliance disk as OpenNebula boots a VM: `-m 18G` (allocated lazily, never -mem-prealloc: sizing plans
 * for the real model and refuses less than about 17.1 GiB), `-cpu max` (AVX2 under TCG), `-accel kvm -accel tcg`
 * (KVM where it works), the context CD labelled CONTEXT, user networking with restrict=on and only the host's
 * 127.0.0.1 forwards to the guest's 443 and 22, a virtio-serial channel for qemu-guest-agent and the serial console
 * logged to a file. The kernel and initrd boot directly, with 11-grub.sh's `net.ifnames=0 biosdevname=0`.
 * Every wait follows a console marker or a poll with a deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/support/ports.ts';
import { GuestAgent } from './agent.ts';
import { qmp } from './qmp.ts';
import { log } from './run.ts';

export const MEMORY = '18G';

/**
 * `-accel kvm -accel tcg` (KVM where it works, else TCG) when the host CPU has virtualisation extensions; only TCG
 * when it has none: there /dev/kvm may still open, and QEMU then picks KVM and aborts on the first MSR that
 * `-cpu max` asks for ("failed to set MSR 0x10a"). SLM_GUEST_ACCEL=tcg|kvm forces one.
 */
export function accelArgs(cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')): string[] {
  const forced = process.env.SLM_GUEST_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return ['-accel', forced];
  return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo) ? ['-accel', 'kvm', '-accel', 'tcg'] : ['-accel', 'tcg'];
}
export const CPUS = 2;
export const KERNEL_APPEND = 'root=/dev/vda rw console=ttyS0 net.ifnames=0 biosdevname=0 panic=-1';

export interface VmOptions {
  readonly dir: string;
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly contextIso: string;
}

export class GuestVm {
  readonly console: string;
  readonly agentSocket: string;
  readonly qmpSocket: string;
  readonly capture: string;
  httpsPort = 0;
  sshPort = 0;
  agent: GuestAgent;
  private child: ChildProcess | null = null;
  private exit: { code: number | null; signal: string | null } | null = null;
  private stderr = '';

  constructor(readonly options: VmOptions) {
    this.console = join(options.dir, 'console.log');
    this.agentSocket = join(options.dir, 'qga.sock');
    this.qmpSocket = join(options.dir, 'qmp.sock');
    this.capture = join(options.dir, 'capture.pcap');
    this.agent = new GuestAgent(this.agentSocket);
  }

  args(): string[] {
    const o = this.options;
    const forwards = `hostfwd=tcp:127.0.0.1:${this.httpsPort}-:443,hostfwd=tcp:127.0.0.1:${this.sshPort}-:22`;
    const options: string[][] = [
      ['-name', 'slm-copilot-guest'],
      accelArgs(),
      ['-cpu', 'max', '-smp', String(CPUS), '-m', MEMORY],
      ['-kernel', o.kernel, '-initrd', o.initrd, '-append', KERNEL_APPEND],
      ['-drive', `file=${o.disk},if=virtio,format=qcow2,discard=unmap`],
      ['-drive', `id=context,file=${o.contextIso},media=cdrom,readonly=on,if=ide,index=2`],
      ['-netdev', `user,id=net0,restrict=on,${forwards}`],
      ['-device', 'virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56'],
      // Every frame on the guest's NIC, both ways, from the first boot on (case g reads it).
      ['-object', `filter-dump,id=capture0,netdev=net0,file=${this.capture}`],
      ['-chardev', `socket,id=qga0,path=${this.agentSocket},server=on,wait=off`],
      ['-device', 'virtio-serial-pci', '-device', 'virtserialport,chardev=qga0,name=org.qemu.guest_agent.0'],
      ['-chardev', `file,id=console0,path=${this.console},append=on`, '-serial', 'chardev:console0'],
      ['-qmp', `unix:${this.qmpSocket},server=on,wait=off`],
      ['-display', 'none', '-monitor', 'none', '-no-user-config'],
    ];
    return options.flat();
  }

  /** Console bytes so far (the file grows across reboots of one VM). */
  consoleLength(): number {
    return existsSync(this.console) ? statSync(this.console).size : 0;
  }

  consoleText(from = 0): string {
    return existsSync(this.console) ? readFileSync(this.console).subarray(from).toString('utf8') : '';
  }

  async start(): Promise<void> {
    if (this.httpsPort === 0) this.httpsPort = await freePort();
    if (this.sshPort === 0) this.sshPort = await freePort();
    for (const socket of [this.agentSocket, this.qmpSocket]) rmSync(socket, { force: true });
    this.exit = null;
    this.stderr = '';
    log(`qemu: 443 → 127.0.0.1:${this.httpsPort}, 22 → 127.0.0.1:${this.sshPort}; console ${this.console}`);
    openSync(this.console, 'a');
    const child = spawn('qemu-system-x86_64', this.args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
    });
    this.child = child;
    const deadline = Date.now() + 15_000;
    while (!existsSync(this.agentSocket)) {
      if (this.exit !== null) throw new Error(`qemu exited (${JSON.stringify(this.exit)}): ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`qemu made no agent socket within 15 s: ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.agent = new GuestAgent(this.agentSocket);
  }

  /** Waits for a console line matching `pattern` written after byte `from`; returns the match. */
  async waitConsole(pattern: RegExp, from: number, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.consoleText(from));
      if (match !== null) return match;
      if (this.exit !== null)
        throw new Error(
          `qemu exited while waiting for ${pattern}: ${JSON.stringify(this.exit)} ${this.stderr}`,
        );
      if (Date.now() > deadline) {
        const tail = this.consoleText(from).split('\n').slice(-30).join('\n');
        throw new Error(
          `no ${pattern} on the console within ${timeoutMs / 1000} s; its last lines:\n${tail}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Swaps the context CD of the running VM, as OpenNebula does when the context changes. */
  async changeContextCd(iso: string): Promise<void> {
    // The guest's sr driver keeps the tray locked; libvirt (and so OpenNebula) forces the eject as well.
    await qmp(this.qmpSocket, 'eject', { device: 'context', force: true });
    await qmp(this.qmpSocket, 'blockdev-change-medium', {
      device: 'context',
      filename: iso,
      format: 'raw',
      'read-only-mode': 'read-only',
    });
  }

  get running(): boolean {
    return this.child !== null && this.exit === null;
  }

  qemuStderr(): string {
    return this.stderr;
  }

  /** Stops QEMU: a clean poweroff through the agent when it answers, else SIGTERM; waits with a deadline. */
  async stop(timeoutMs = 60_000): Promise<void> {
    const child = this.child;
    if (child === null || this.exit !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await this.agent.sync(5_000);
      await this.agent.exec('/bin/systemctl', ['poweroff', '--no-block'], 10_000);
    } catch {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    this.agent.close();
    this.child = null;
  }

  kill(): void {
    this.agent.close();
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

/**
 * A client for qemu-guest-agent over the VM's virtio-serial channel (QEMU's chardev socket on the host): the
 * tests run commands inside the guest with guest-exec and guest-exec-status, not over SSH, so the guest's sockets
 * and network captures hold only what the appliance does. One request at a time; every wait has a deadline.
 */
import { createConnection, type Socket } from 'node:net';

export interface ExecResult {
  readonly exitcode: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Message {
  readonly return?: unknown;
  readonly error?: { readonly desc?: string };
}

interface Pending {
  /** Whether a line answers this request; any other (a late answer to an earlier one) is dropped. */
  accepts(message: Message): boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const hasField = (field: string) => (message: Message) =>
  message.error !== undefined ||
  (typeof message.return === 'object' && message.return !== null && field in message.return);

/** What an answer to each command looks like: guest-exec returns {pid}, guest-exec-status {exited, …}. */
const ANSWER_SHAPE: Readonly<Record<string, (message: Message) => boolean>> = {
  'guest-exec': hasField('pid'),
  'guest-exec-status': hasField('exited'),
};

/** How long one agent answer may take: under software emulation on a loaded 2-core host 10 s was seen to pass. */
const AGENT_ANSWER_MS = 30_000;

export class GuestAgent {
  private socket: Socket | null = null;
  private buffer = '';
  private waiting: Pending | null = null;
  private syncId = Math.floor(Math.random() * 1e9);
  /**
   * A request timed out: its answer may still come and would be taken for the next request's (a guest-exec-status
   * answered with a guest-exec's {pid}, "Invalid parameter 'pid'"). The next request first resynchronises.
   */
  private stale = false;

  constructor(
    readonly path: string,
    private readonly answerMs = AGENT_ANSWER_MS,
  ) {}

  private connect(): Promise<Socket> {
    if (this.socket !== null && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.socket = null;
          this.waiting?.reject(new Error('the guest agent socket closed'));
          this.waiting = null;
        });
        socket.on('data', (chunk: Buffer) => this.receive(chunk));
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  private receive(chunk: Buffer): void {
    // guest-sync-delimited answers start with 0xFF; a rebooting agent may send partial garbage: skip it.
    this.buffer += chunk.toString('latin1').replace(/\xff/g, '');
    for (let newline = this.buffer.indexOf('\n'); newline !== -1; newline = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line === '') continue;
      let message: Message;
      try {
        message = JSON.parse(Buffer.from(line, 'latin1').toString('utf8'));
      } catch {
        continue;
      }
      const waiting = this.waiting;
      if (waiting === null || !waiting.accepts(message)) continue;
      this.waiting = null;
      if (message.error !== undefined)
        waiting.reject(new Error(`guest agent: ${message.error.desc ?? JSON.stringify(message.error)}`));
      else waiting.resolve(message.return);
    }
  }

  private async request(execute: string, args: object | undefined, timeoutMs: number): Promise<unknown> {
    if (this.stale) {
      await this.sync(60_000);
      this.stale = false;
    }
    return this.send(execute, args, timeoutMs);
  }

  private async send(
    execute: string,
    args: object | undefined,
    timeoutMs: number,
    accepts: (message: Message) => boolean = ANSWER_SHAPE[execute] ?? (() => true),
  ): Promise<unknown> {
    const socket = await this.connect();
    if (this.waiting !== null) throw new Error('guest agent: one request at a time');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.stale = true;
        reject(new Error(`guest agent: no answer to ${execute} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        accepts,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      socket.write(`${JSON.stringify(args === undefined ? { execute } : { execute, arguments: args })}\n`);
    });
  }

  /**
   * Waits until the agent in the guest answers a guest-sync with our id (stale answers from before a reboot are
   * skipped), polling until the deadline. No 0xFF parser reset is sent: a fresh agent after a reboot has a clean
   * parser, and a JS string "\xff" would go out as UTF-8 (C3 BF), which the agent answers with a parse error.
   */
  async sync(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    let last: Error | null = null;
    while (Date.now() < deadline) {
      this.syncId += 1;
      const id = this.syncId;
      try {
        // Every answer that is not ours (a late one from before) is read and dropped while waiting for it.
        await this.send('guest-sync', { id }, 3000, (message) => message.return === id);
        this.stale = false;
        return;
      } catch (error) {
        last = error as Error;
        this.waiting = null;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    throw new Error(
      `the guest agent did not answer within ${deadlineMs / 1000} s${last ? ` (${last.message})` : ''}`,
    );
  }

  /**
   * Starts a program in the guest (as root) and returns its pid without waiting for it: for what takes the agent
   * down with it (a reboot), whose exit status may never be answered.
   */
  async start(path: string, args: readonly string[] = [], input?: string): Promise<number> {
    const started = await this.request(
      'guest-exec',
      {
        path,
        arg: args,
        'capture-output': true,
        ...(input === undefined ? {} : { 'input-data': Buffer.from(input).toString('base64') }),
      },
      this.answerMs,
    );
    return (started as { pid: number }).pid;
  }

  /** Runs a program in the guest (as root) and waits for it, polling guest-exec-status until the deadline. */
  async exec(
    path: string,
    args: readonly string[] = [],
    timeoutMs = 60_000,
    input?: string,
  ): Promise<ExecResult> {
    const pid = await this.start(path, args, input);
    const deadline = Date.now() + timeoutMs;
    let delay = 100;
    while (Date.now() < deadline) {
      const status = (await this.request('guest-exec-status', { pid }, this.answerMs)) as {
        exited: boolean;
        exitcode?: number;
        signal?: number;
        'out-data'?: string;
        'err-data'?: string;
      };
      if (status.exited) {
        return {
          exitcode: status.exitcode ?? 128 + (status.signal ?? 0),
          stdout: Buffer.from(status['out-data'] ?? '', 'base64').toString('utf8'),
          stderr: Buffer.from(status['err-data'] ?? '', 'base64').toString('utf8'),
        };
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 1000);
    }
    throw new Error(`guest: ${path} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s`);
  }

  /** A shell command line in the guest. */
  sh(command: string, timeoutMs = 60_000): Promise<ExecResult> {
    return this.exec('/bin/sh', ['-c', command], timeoutMs);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

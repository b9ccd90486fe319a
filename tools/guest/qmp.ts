/**
 * QEMU's machine protocol (QMP) on the VM's control socket, for what OpenNebula does to a running VM from outside:
 * swapping the context CD. One short connection per call: greeting, qmp_capabilities, the command.
 */
import { createConnection } from 'node:net';

export function qmp(
  socketPath: string,
  execute: string,
  args?: object,
  timeoutMs = 10_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let buffer = '';
    let step = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`qmp: no answer to ${execute} within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error: Error | null, value?: unknown) => {
      clearTimeout(timer);
      socket.end();
      if (error) reject(error);
      else resolve(value);
    };
    socket.once('error', (error) => finish(error));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line === '') continue;
        const message = JSON.parse(line) as {
          QMP?: unknown;
          return?: unknown;
          error?: { desc: string };
          event?: string;
        };
        if (message.event !== undefined) continue;
        if (message.error !== undefined) return finish(new Error(`qmp ${execute}: ${message.error.desc}`));
        if (step === 0 && message.QMP !== undefined) {
          step = 1;
          socket.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
        } else if (step === 1) {
          step = 2;
          socket.write(
            `${JSON.stringify(args === undefined ? { execute } : { execute, arguments: args })}\n`,
          );
        } else if (step === 2) {
          return finish(null, message.return);
        }
      }
    });
  });
}

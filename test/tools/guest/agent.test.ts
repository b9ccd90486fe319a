/**
 * The boot harness's guest-agent client against a fake agent on a Unix socket: an answer that comes after its
 * request timed out must not be taken for the next request's (that desynchronised every later command of a boot
 * run on a loaded machine).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GuestAgent } from '../../../tools/guest/agent.ts';

const LATE_MS = 600;
const ANSWER_MS = 300;

/**
 * Like qemu-guest-agent, answers in request order, one after the other. guest-exec answers pid 1, 2, …; the first
 * answer comes LATE_MS late (and so do those queued behind it). Each pid's output is "ran <pid>".
 */
function fakeAgent(path: string): Promise<Server> {
  let nextPid = 1;
  const server = createServer((socket) => {
    let buffer = '';
    let queue = Promise.resolve();
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
        const request = JSON.parse(buffer.slice(0, newline)) as {
          execute: string;
          arguments?: { id?: number; pid?: number };
        };
        buffer = buffer.slice(newline + 1);
        const answer = (value: unknown, delay = 0) => {
          queue = queue
            .then(() => new Promise((resolve) => setTimeout(resolve, delay)))
            .then(() => {
              socket.write(`${JSON.stringify({ return: value })}\n`);
            });
        };
        if (request.execute === 'guest-sync') answer(request.arguments?.id);
        else if (request.execute === 'guest-exec') {
          const pid = nextPid++;
          answer({ pid }, pid === 1 ? LATE_MS : 0);
        } else if (request.execute === 'guest-exec-status') {
          const out = Buffer.from(`ran ${request.arguments?.pid}`).toString('base64');
          answer({ exited: true, exitcode: 0, 'out-data': out });
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe('guest agent client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slm-agent-'));
  const path = join(dir, 'agent.sock');
  let server: Server;
  before(async () => {
    server = await fakeAgent(path);
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops a late answer instead of taking it for the next command', async () => {
    const agent = new GuestAgent(path, ANSWER_MS);
    try {
      await assert.rejects(agent.exec('/bin/true'), /no answer to guest-exec within 300 ms/);
      // The late {pid: 1} is still to come, ahead of every later answer.
      const result = await agent.exec('/bin/true');
      assert.equal(result.stdout, 'ran 2');
      assert.equal((await agent.exec('/bin/true')).stdout, 'ran 3');
    } finally {
      agent.close();
    }
  });
});

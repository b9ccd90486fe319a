/**
 * Runs one shell command in a running guest through its agent socket, for looking around by hand:
 *   node --import tsx tools/guest/exec.ts <run dir>/qga.sock 'journalctl -b -u local-ai --no-pager'
 * (The socket takes one client at a time: not while a suite is talking to the guest.)
 */
import { GuestAgent } from './agent.ts';

const [socket, command] = process.argv.slice(2);
if (socket === undefined || command === undefined) {
  console.error('usage: tools/guest/exec.ts <qga.sock> <shell command>');
  process.exit(2);
}
const agent = new GuestAgent(socket);
await agent.sync(30_000);
const result = await agent.sh(command, 120_000);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
agent.close();
process.exit(result.exitcode);

/** The bundle's entry (dist/slm-copilot.mjs): main on this process's arguments, streams and environment. */
import { resolve } from 'node:path';
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  program: resolve(process.argv[1] ?? ''),
});

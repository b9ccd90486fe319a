/** Small stand-ins for the image's artifacts (the real ones cannot be downloaded here), pinned in a test lock. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export function makeArtifacts(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const pkg = join(dir, 'pkg');
  mkdirSync(join(pkg, 'package/bin'), { recursive: true });
  writeFileSync(join(pkg, 'package/bin/node'), '#!/bin/sh\necho v24.21.0\n', { mode: 0o755 });
  // As npm packs it: file entries only, no directory entries (tar then creates them with the umask).
  execFileSync('tar', ['-czf', join(dir, 'node.tgz'), '-C', pkg, '--no-recursion', 'package/bin/node']);
  files.set('node-runtime', readFileSync(join(dir, 'node.tgz')));
  files.set('localai', Buffer.from('#!/bin/sh\necho "LocalAI test stand-in binary"\n'));
  files.set('localai-backend', Buffer.from('test stand-in for the backend image archive\n'));
  files.set('model', Buffer.from('GGUF test stand-in model bytes\n'));
  return files;
}

export function testLock(files: Map<string, Buffer>, tamper?: string): string {
  const lock = JSON.parse(readFileSync(new URL('../../artifacts.lock.json', import.meta.url), 'utf8'));
  for (const entry of lock.artifacts) {
    const bytes = files.get(entry.name);
    if (bytes === undefined) continue;
    entry.sha256 = createHash('sha256')
      .update(entry.name === tamper ? Buffer.concat([bytes, Buffer.from('x')]) : bytes)
      .digest('hex');
    entry.size = bytes.length;
    entry.pinned = true;
    if (entry.source.kind === 'oci-digest') entry.source.digest = `sha256:${'a'.repeat(64)}`;
    if (entry.source.kind === 'huggingface-lfs') {
      entry.source.revision = 'b'.repeat(40);
      entry.url = entry.url.replace(/\/resolve\/[^/]+\//, `/resolve/${entry.source.revision}/`);
    }
    if (entry.source.kind === 'npm-integrity') entry.source.integrity ??= `sha512-${'A'.repeat(86)}==`;
  }
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/** Serves the artifacts under their lock file names on 127.0.0.1, as a mirror. */
export async function serveArtifacts(
  files: Map<string, Buffer>,
): Promise<{ server: Server; mirror: string }> {
  const lock = JSON.parse(testLock(files)) as { artifacts: { name: string; file: string }[] };
  const byFile = new Map(
    lock.artifacts.filter((e) => files.has(e.name)).map((e) => [`/${e.file}`, files.get(e.name) as Buffer]),
  );
  const server = createServer((req, res) => {
    const body = byFile.get(req.url ?? '');
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, mirror: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/**
 * The common first half of configure, bootstrap and renew: the one prepare flow (src/appliance/prepare/prepare.ts)
 * with what a stage knows: its root, /proc, the context, the last bootstrap's runtime state and the installed bundle.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import { readHostFacts } from '../host/reader.ts';
import { oneGateAccess } from '../onegate/client.ts';
import { type PrepareResult, prepare as prepareFlow } from '../prepare/prepare.ts';
import type { StageEnvironment } from './environment.ts';
import { readRuntime } from './runtimeState.ts';

export type { Prepared, PrepareResult } from '../prepare/prepare.ts';

function bundleDigest(root: string): { bundleSha256?: string } {
  const path = posix.join(root, LAYOUT.bundle);
  return existsSync(path)
    ? { bundleSha256: createHash('sha256').update(readFileSync(path)).digest('hex') }
    : {};
}

export function prepare(stage: StageEnvironment): PrepareResult {
  return prepareFlow({
    root: stage.host.root,
    contextValues: stage.contextValues,
    readHost: () =>
      readHostFacts({ procDir: stage.procDir, diskPath: posix.join(stage.host.root, LAYOUT.localaiModels) }),
    target: stage.host.target,
    oneGate: oneGateAccess(stage.host.root, stage.env),
    now: stage.now(),
    runtime: readRuntime(posix.join(stage.host.root, LAYOUT.stateDir)),
    ...bundleDigest(stage.host.root),
  });
}

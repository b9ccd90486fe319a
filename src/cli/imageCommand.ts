/** `slm-copilot image preflight|fetch|manifest`: the host-side steps of `make image` (packer/build.sh runs them). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { fetchImageArtifacts } from '../artifacts/image/fetchImageArtifacts.ts';
import { evaluatePreflight, formatPreflight, type Pinning } from '../artifacts/image/preflight.ts';
import { gatherFacts } from '../artifacts/image/preflightFacts.ts';
import { writeImageManifest } from '../build/image/manifestFile.ts';
import { VERSION } from '../core/facts/version.ts';
import { EXIT } from '../core/lib/failure.ts';
import { type Cli, writeLine } from './cli.ts';
import { type LockCommandIo, pinUnpinned } from './lockCommand.ts';

interface SourceFlags {
  lock: string;
  artifacts: string;
  localDir?: string;
  mirror?: string;
}

const withSources = (command: Command) =>
  command
    .option('--lock <file>', 'the artifact lock', 'artifacts.lock.json')
    .option('--artifacts <dir>', 'where the artifacts are kept', 'build/artifacts')
    .option('--local-dir <dir>', 'air-gapped: a directory holding the artifacts under their lock file names')
    .option('--mirror <url>', 'air-gapped: a base URL serving the artifacts under their lock file names');

const sources = (options: SourceFlags) => ({
  ...(options.localDir === undefined ? {} : { localDir: resolve(options.localDir) }),
  ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
});

export interface PreflightFlags extends SourceFlags {
  readonly work: string;
  readonly bundle: string;
  /** false with --no-pin. */
  readonly pin: boolean;
}

/**
 * `image preflight`: on a connected host the lock's unpinned artifacts are pinned first (pinUnpinned), unless
 * --no-pin or an air-gapped source (--local-dir, --mirror) says not to ask the publishers; then every requirement
 * is checked. 0 when nothing is missing, 1 otherwise.
 */
export async function runImagePreflight(options: PreflightFlags, io: LockCommandIo): Promise<number> {
  const airGapped = options.localDir !== undefined || options.mirror !== undefined;
  const pinning: Pinning = !options.pin
    ? { kind: 'off', why: 'no-pin' }
    : airGapped
      ? { kind: 'off', why: 'air-gapped' }
      : await pinUnpinned({ lock: options.lock, artifacts: options.artifacts }, io);
  const facts = await gatherFacts({
    pinning,
    lock: resolve(options.lock),
    artifactsDir: resolve(options.artifacts),
    workDir: resolve(options.work),
    bundle: resolve(options.bundle),
    env: io.env,
    ...sources(options),
  });
  const findings = evaluatePreflight(facts);
  io.out(formatPreflight(findings).replace(/\n$/, ''));
  return findings.some((finding) => finding.severity === 'missing') ? EXIT.failed : EXIT.ok;
}

export function registerImageCommand(program: Command, { io, action }: Cli): void {
  const { env } = io;
  const say = writeLine(io.stdout);
  const image = program.command('image').description('host-side steps of the image build (make image)');

  withSources(image.command('preflight'))
    .description('check everything the image build needs, list every missing piece with its fix')
    .option('--work <dir>', 'the build directory (its filesystem needs the free space)', 'build')
    .option('--bundle <file>', 'the bundle uploaded into the image', 'dist/slm-copilot.mjs')
    .option(
      '--no-pin',
      'never pin: leave unpinned artifacts unpinned (by default they are pinned from their publishers, as make lock does)',
    )
    .action(
      action((options: PreflightFlags) =>
        runImagePreflight(options, { out: say, err: writeLine(io.stderr), env }),
      ),
    );

  withSources(image.command('fetch'))
    .description('put every artifact of the image in the artifacts directory, verified against the lock')
    .option('--guest-list <file>', "the build VM's list of artifacts", 'build/guest-artifacts.txt')
    .action(
      action(async (options: SourceFlags & { guestList: string }) => {
        const result = await fetchImageArtifacts({
          lock: resolve(options.lock),
          dest: resolve(options.artifacts),
          guestList: resolve(options.guestList),
          env,
          say,
          ...sources(options),
        });
        for (const problem of result.problems) io.stderr.write(`${problem}\n`);
        return result.code;
      }),
    );

  image
    .command('manifest')
    .description('write the manifest of an exported image: sizes, sha256, md5, creation time, OS')
    .requiredOption('--image <file>', 'the exported qcow2')
    .option('--out <file>', 'the manifest (default: the image path with .yaml)')
    .option('--build-version <version>', 'the marketplace version (default: <appliance version>-<YYYYMMDD>)')
    .option('--os-release <file>', "read this os-release instead of the image's (virt-cat)")
    .option('--arch <arch>', 'the image architecture', 'x86_64')
    .action(
      action(
        async (options: {
          image: string;
          out?: string;
          buildVersion?: string;
          osRelease?: string;
          arch: string;
        }) => {
          await writeImageManifest({
            image: resolve(options.image),
            out: resolve(options.out ?? options.image.replace(/\.qcow2$/, '.yaml')),
            applianceVersion: VERSION,
            name: 'SLM-Copilot',
            arch: options.arch,
            say,
            ...(options.buildVersion === undefined ? {} : { version: options.buildVersion }),
            ...(options.osRelease === undefined ? {} : { osRelease: resolve(options.osRelease) }),
          });
          return EXIT.ok;
        },
      ),
    );
}

/** `slm-copilot image preflight|fetch|manifest`: the host-side steps of `make image` (packer/build.sh runs them). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { fetchImageArtifacts } from '../artifacts/image/fetchImageArtifacts.ts';
import { evaluatePreflight, formatPreflight } from '../artifacts/image/preflight.ts';
import { gatherFacts } from '../artifacts/image/preflightFacts.ts';
import { writeImageManifest } from '../build/image/manifestFile.ts';
import { VERSION } from '../core/facts/version.ts';

type Exit = (code: number) => void;

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

const say = (line: string) => process.stdout.write(`${line}\n`);

export function registerImageCommand(program: Command, env: NodeJS.ProcessEnv, setExitCode: Exit): void {
  const image = program.command('image').description('host-side steps of the image build (make image)');

  withSources(image.command('preflight'))
    .description('check everything the image build needs, list every missing piece with its fix')
    .option('--work <dir>', 'the build directory (its filesystem needs the free space)', 'build')
    .option('--bundle <file>', 'the bundle uploaded into the image', 'dist/slm-copilot.mjs')
    .action(async (options: SourceFlags & { work: string; bundle: string }) => {
      const facts = await gatherFacts({
        lock: resolve(options.lock),
        artifactsDir: resolve(options.artifacts),
        workDir: resolve(options.work),
        bundle: resolve(options.bundle),
        env,
        ...sources(options),
      });
      const findings = evaluatePreflight(facts);
      process.stdout.write(formatPreflight(findings));
      setExitCode(findings.some((finding) => finding.severity === 'missing') ? 1 : 0);
    });

  withSources(image.command('fetch'))
    .description('put every artifact of the image in the artifacts directory, verified against the lock')
    .option('--guest-list <file>', "the build VM's list of artifacts", 'build/guest-artifacts.txt')
    .action(async (options: SourceFlags & { guestList: string }) => {
      const result = await fetchImageArtifacts({
        lock: resolve(options.lock),
        dest: resolve(options.artifacts),
        guestList: resolve(options.guestList),
        env,
        say,
        ...sources(options),
      });
      for (const problem of result.problems) process.stderr.write(`${problem}\n`);
      setExitCode(result.code);
    });

  image
    .command('manifest')
    .description('write the manifest of an exported image: sizes, sha256, md5, creation time, OS')
    .requiredOption('--image <file>', 'the exported qcow2')
    .option('--out <file>', 'the manifest (default: the image path with .yaml)')
    .option('--build-version <version>', 'the marketplace version (default: <appliance version>-<YYYYMMDD>)')
    .option('--os-release <file>', "read this os-release instead of the image's (virt-cat)")
    .option('--arch <arch>', 'the image architecture', 'x86_64')
    .action(
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
        setExitCode(0);
      },
    );
}

/** `slm-copilot marketplace`: the community-marketplace files from an image manifest and the declarations. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseManifest } from '../build/image/manifest.ts';
import { APPLIANCE_INFO } from '../build/marketplace/appliance.ts';
import { renderHarnessMetadata, renderHarnessTests } from '../build/marketplace/harness.ts';
import { marketplaceFileName, renderMarketplaceYaml } from '../build/marketplace/marketplaceYaml.ts';
import { EXIT, refusedError, usageError } from '../core/lib/failure.ts';
import type { Cli } from './cli.ts';

export function registerMarketplaceCommand(program: Command, { io, action }: Cli): void {
  program
    .command('marketplace')
    .description(
      'write the community-marketplace appliance YAML (UUID-named) and the certification harness metadata',
    )
    .requiredOption(
      '--manifest <file>',
      'the image manifest (make image writes export/slm-copilot-<version>.yaml)',
    )
    .requiredOption('--out <dir>', 'where to write <uuid>.yaml, metadata.yaml and tests.yaml')
    .option('--image-base-url <url>', 'the base URL the qcow2 is published under (https://…/)')
    .action(
      action((options: { manifest: string; out: string; imageBaseUrl?: string }) => {
        const manifest = parseManifest(readFileSync(resolve(options.manifest), 'utf8'), options.manifest);
        if (!manifest.ok)
          throw refusedError(`${options.manifest} is not an image manifest:`, manifest.problems);
        if (
          options.imageBaseUrl !== undefined &&
          !/^https:\/\/[^/?#]+\/([^?#]*\/)?$/.test(options.imageBaseUrl)
        ) {
          throw usageError(
            `--image-base-url must be an https URL ending with "/" (the image file name is appended), got "${options.imageBaseUrl}"`,
          );
        }
        const out = resolve(options.out);
        mkdirSync(out, { recursive: true });
        const files: [string, string][] = [
          [
            marketplaceFileName(),
            renderMarketplaceYaml(
              manifest.manifest,
              options.imageBaseUrl === undefined ? {} : { imageBaseUrl: options.imageBaseUrl },
            ),
          ],
          ['metadata.yaml', renderHarnessMetadata()],
          ['tests.yaml', renderHarnessTests()],
        ];
        for (const [name, text] of files) {
          writeFileSync(join(out, name), text);
          io.stdout.write(`wrote ${join(out, name)}\n`);
        }
        if (options.imageBaseUrl === undefined && APPLIANCE_INFO.imageBaseUrl.includes('.invalid/')) {
          io.stderr.write(
            `warning: the image URL uses the placeholder ${APPLIANCE_INFO.imageBaseUrl}: set imageBaseUrl in src/build/marketplace/appliance.ts (or pass --image-base-url) before publishing\n`,
          );
        }
        if (/^0+$/.test(manifest.manifest.sha256)) {
          io.stderr.write('warning: the manifest has zero checksums: it is the example, not a built image\n');
        }
        return EXIT.ok;
      }),
    );
}

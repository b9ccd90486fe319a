/** `slm-copilot plan`: what the appliance would configure on this host, for this context. */
import type { Command } from 'commander';
import { readHostFacts } from '../appliance/host/reader.ts';
import { oneGateAccess } from '../appliance/onegate/client.ts';
import { contextEnvironment, readContext } from '../appliance/prepare/context.ts';
import { previewPlan } from '../appliance/prepare/prepare.ts';
import { formatBytes } from '../core/lib/bytes.ts';
import { EXIT } from '../core/lib/failure.ts';
import type { Plan, PlanResult } from '../core/plan/plan.ts';
import { problemSentence } from '../core/settings/types.ts';
import type { Sizing } from '../core/sizing/sizingPlan.ts';
import type { Cli } from './cli.ts';
import { type Output, styler } from './terminal.ts';

export interface PlanOptions {
  readonly context?: string;
  readonly proc?: string;
  readonly json?: boolean;
}

export function registerPlanCommand(program: Command, { io, action }: Cli): void {
  program
    .command('plan')
    .description('Show the sizing, warnings and files the appliance would write for this context and host.')
    .option(
      '--context <file>',
      'OpenNebula context file (context.sh or one_env); its values win over the environment',
    )
    .option('--proc <dir>', 'directory with cpuinfo and meminfo (default /proc)')
    .option('--json', 'print one JSON object instead of text')
    .action(action((options: PlanOptions) => runPlan(options, io.env, { stream: io.stdout, env: io.env })));
}

function runPlan(options: PlanOptions, env: NodeJS.ProcessEnv, output: Output): number {
  const context = readContext(env, options.context);
  const result: PlanResult = previewPlan({
    contextValues: context.values,
    // The OneGate access the stages would see (src/appliance/stages/environment.ts).
    oneGate: oneGateAccess('/', contextEnvironment(env, context)),
    readHost: () => readHostFacts(options.proc === undefined ? {} : { procDir: options.proc }),
    now: new Date(),
  });
  output.stream.write(
    options.json ? `${JSON.stringify(planJson(result), null, 2)}\n` : planText(result, output),
  );
  return result.ok ? EXIT.ok : EXIT.refused;
}

function planJson(result: PlanResult): object {
  if (!result.ok) return { ok: false, errors: result.errors, warnings: result.warnings, plan: null };
  const { role, sizing, endpoint, files, services } = result.plan;
  return {
    ok: true,
    errors: [],
    warnings: result.warnings,
    plan: {
      ...(role === 'standalone' ? {} : { role }),
      ...(sizing === null
        ? {}
        : {
            threads: sizing.threads,
            contextSize: sizing.contextSize,
            kvCacheBytes: sizing.kvCacheBytes,
            promptCacheMib: sizing.promptCacheMib,
            memoryBytes: sizing.memory.totalBytes,
            hostMemoryBytes: sizing.memory.hostBytes,
            memoryParts: sizing.memory.parts,
            prefillTokensPerSecond: sizing.prefillTokensPerSecond,
            cpuFlags: sizing.cpuFlags,
          }),
      endpoint,
      files: files.map((file) => ({
        path: file.path,
        mode: file.mode.toString(8).padStart(4, '0'),
        owner: file.owner,
        group: file.group,
        bytes: Buffer.byteLength(file.content),
      })),
      services,
    },
  };
}

function planText(result: PlanResult, output: Output): string {
  const style = styler(output);
  const lines: string[] = [];
  if (!result.ok) {
    lines.push(style('red', style('bold', 'The context is not valid; nothing would be configured:')));
    lines.push(...result.errors.map((error) => `  ${problemSentence(error)}`));
  } else {
    lines.push(...planSummary(result.plan, style));
  }
  if (result.warnings.length > 0) {
    lines.push('', style('yellow', style('bold', 'Warnings:')));
    lines.push(...result.warnings.map((warning) => `  - ${warning}`));
  }
  return `${lines.join('\n')}\n`;
}

function planSummary(plan: Plan, style: ReturnType<typeof styler>): string[] {
  return [
    ...(plan.role === 'standalone' ? [] : [style('bold', 'Role'), `  ${plan.role}`, '']),
    ...(plan.sizing === null ? [] : sizingSummary(plan.sizing, style)),
    style('bold', 'Endpoint'),
    `  ${plan.endpoint.baseUrl}`,
    '',
    style('bold', 'Files'),
    ...plan.files.map(
      (file) =>
        `  ${file.mode.toString(8).padStart(4, '0')} ${`${file.owner}:${file.group}`.padEnd(15)} ${file.path}${file.secret ? style('dim', ' (holds secrets)') : ''}`,
    ),
    '',
    style('bold', 'Services'),
    ...plan.services.map((service) => `  ${service.unit} (restarted when its configuration changes)`),
  ];
}

function sizingSummary(sizing: Sizing, style: ReturnType<typeof styler>): string[] {
  const width = Math.max(...sizing.memory.parts.map((part) => part.name.length));
  return [
    style('bold', 'Sizing'),
    `  threads        ${sizing.threads}`,
    `  context        ${sizing.contextSize} tokens`,
    `  prompt cache   ${sizing.promptCacheMib} MiB`,
    `  prefill (est.) ${Math.round(sizing.prefillTokensPerSecond)} tokens/s`,
    '',
    style('bold', 'Memory budget'),
    ...sizing.memory.parts.map(
      (part) => `  ${part.name.padEnd(width)}  ${formatBytes(part.bytes, 'memory').padStart(9)}`,
    ),
    `  ${'total'.padEnd(width)}  ${formatBytes(sizing.memory.totalBytes, 'memory').padStart(9)} of ${formatBytes(sizing.memory.hostBytes, 'memory')} RAM`,
    '',
  ];
}

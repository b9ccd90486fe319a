/** CPU, cores and threads, RAM against the plan's budget, disk and the model file. Pure. */

import { MODEL } from '../../core/facts/model.ts';
import type { HostFacts } from '../../core/host/types.ts';
import { formatBytes, GIB } from '../../core/lib/bytes.ts';
import { fail, pass, type Result, skip, warn } from '../../core/lib/result.ts';
import { MIN_RECOMMENDED_CORES } from '../../core/sizing/sizing.ts';
import type { SizingResult } from '../../core/sizing/sizingPlan.ts';
import type { CpuVariant } from './cpuVariant.ts';

export const PASSTHROUGH_FIX =
  'set CPU_MODEL=[MODEL="host-passthrough"] in the VM template (Sunstone: VM → Configuration → CPU model; or onevm updateconf), then power the VM off and on (a reboot keeps the old CPU model)';

export function cpuFinding(host: HostFacts): Result {
  const { cpu } = host;
  const flags = cpu.flags;
  const shown = ['avx', 'avx2', 'fma', 'f16c', 'avx512f']
    .map((flag) => `${flag} ${flags[flag as keyof typeof flags] ? 'yes' : 'no'}`)
    .join(', ');
  if (!flags.avx2) {
    const generic = /qemu|kvm|common|virtual/i.test(cpu.modelName);
    return fail('cpu-flags', 'CPU features', {
      reason: `the CPU "${cpu.modelName}" shows no AVX2 (${shown})`,
      cause: `the VM's CPU model hides the host's features${generic ? " (this is QEMU's generic CPU model)" : ''}; llama.cpp then runs generic kernels, about 20 times slower`,
      fix: PASSTHROUGH_FIX,
    });
  }
  if (!flags.fma || !flags.f16c) {
    return warn('cpu-flags', 'CPU features', {
      reason: `the CPU "${cpu.modelName}" has AVX2 but not all of FMA and F16C (${shown})`,
      cause: 'a CPU model that passes some features through but not all',
      fix: PASSTHROUGH_FIX,
    });
  }
  const extras = [
    flags.avx512f ? 'AVX-512' : null,
    flags.vnni ? 'VNNI' : null,
    flags.amx ? 'AMX' : null,
  ].filter(Boolean);
  return pass(
    'cpu-flags',
    'CPU features',
    `${cpu.modelName}: AVX2, FMA, F16C${extras.length ? `, ${extras.join(', ')}` : ''} (host-passthrough works)`,
  );
}

export function coresFinding(host: HostFacts, threads: number): Result {
  const { cpu } = host;
  const id = 'cpu-cores';
  const title = 'Cores and threads';
  const shape = `${cpu.physicalCores} physical cores, ${cpu.logicalCpus} vCPUs; LocalAI uses ${threads} threads`;
  if (cpu.physicalCores < MIN_RECOMMENDED_CORES) {
    return warn(id, title, {
      reason: `${shape}: too few cores for usable speed (at least ${MIN_RECOMMENDED_CORES}, 16 recommended)`,
      cause: "the VM template's VCPU/CPU",
      fix: 'set VCPU=16 and CPU=16 in the VM template and power the VM off and on',
    });
  }
  if (threads > cpu.physicalCores) {
    return warn(id, title, {
      reason: `${shape}: more threads than physical cores`,
      cause:
        'ONEAPP_COPILOT_MODEL_THREADS is set above the core count; SMT siblings share the memory bandwidth decode needs',
      fix: `set ONEAPP_COPILOT_MODEL_THREADS=auto (${cpu.physicalCores}) and reboot`,
    });
  }
  return pass(id, title, shape);
}

export function memoryFinding(host: HostFacts, sized: SizingResult): Result {
  const id = 'memory';
  const title = 'RAM and the memory budget';
  if (!sized.ok) {
    const message = sized.errors.map((error) => error.message).join(' ');
    return fail(id, title, {
      reason: `the plan does not fit this VM's ${formatBytes(host.memory.totalBytes, 'memory')} of RAM`,
      cause: message,
      fix: 'give the VM MEMORY=32768 (32 GB) in its template, or a smaller ONEAPP_COPILOT_MODEL_CONTEXT; `slm-copilot plan` shows the budget',
    });
  }
  const budget = sized.sizing.memory;
  const parts = budget.parts
    .filter((part) => part.bytes > 0)
    .map((part) => `${part.key} ${formatBytes(part.bytes, 'memory')}`)
    .join(', ');
  return pass(
    id,
    title,
    `budget ${formatBytes(budget.totalBytes, 'memory')} of ${formatBytes(budget.hostBytes, 'memory')} (${parts}), context ${sized.sizing.contextSize} tokens`,
  );
}

export function diskFinding(host: HostFacts): Result {
  const id = 'disk';
  const title = 'Disk space';
  if (host.disk === null) return skip(id, title, 'the free space of the model disk could not be read', false);
  const free = host.disk.freeBytes;
  const text = `${formatBytes(free, 'memory')} free of ${formatBytes(host.disk.totalBytes, 'memory')} on the model's file system`;
  if (free < 1 * GIB) {
    return fail(id, title, {
      reason: `${text}: almost full`,
      cause: 'logs or uploads filled the disk; LocalAI and nginx fail when they cannot write',
      fix: 'free space (journalctl --vacuum-size=200M; /var/log) or grow the VM disk (onevm disk-resize)',
    });
  }
  if (free < 3 * GIB) {
    return warn(id, title, {
      reason: `${text}: little room left`,
      cause: 'logs grow over time',
      fix: 'grow the VM disk, or trim /var/log',
    });
  }
  return pass(id, title, text);
}

export function modelFileFinding(bytes: number | null): Result {
  const id = 'model-file';
  const title = 'Model file';
  const path = `/var/lib/local-ai/models/${MODEL.file}`;
  if (bytes === null) {
    return fail(id, title, {
      reason: `${path} is missing`,
      cause: 'the image was built without the model, or the disk does not hold it',
      fix: 'instantiate the appliance from the marketplace image again (the model is baked into it)',
    });
  }
  if (bytes < MODEL.weightsBytes * 0.95) {
    return fail(id, title, {
      reason: `${path} has ${formatBytes(bytes, 'memory')}, less than the model's ${formatBytes(MODEL.weightsBytes, 'memory')}`,
      cause: 'an incomplete download or copy at image build',
      fix: 'rebuild or re-import the image; `make image` verifies the model against its pinned sha256',
    });
  }
  return pass(id, title, `${MODEL.file} (${formatBytes(bytes, 'memory')})`);
}

export function variantFinding(variant: CpuVariant | null): Result {
  const id = 'llama-cpu-variant';
  const title = 'llama.cpp CPU build';
  if (variant === null) {
    return skip(
      id,
      title,
      "LocalAI's log does not show which llama.cpp CPU build loaded (it shows once the model loads)",
      false,
    );
  }
  if (!variant.avx2) {
    return fail(id, title, {
      reason: `llama.cpp loaded its "${variant.name}" CPU build, without AVX2 kernels (${variant.line})`,
      cause:
        "the CPU LocalAI sees has no AVX2: the VM's CPU model hides it; everything runs about 20 times slower",
      fix: PASSTHROUGH_FIX,
    });
  }
  return pass(id, title, `llama.cpp loaded its "${variant.name}" CPU build (AVX2 or better)`);
}

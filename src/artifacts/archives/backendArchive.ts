/**
 * Installing the llama.cpp backend from its image archive, the way LocalAI needs it.
 *
 * On the appliance the install is LocalAI's own: `local-ai backends install ocifile://<abs path> cpu-llama-cpp
 * llama-cpp` reads the `docker save` archive (go-containerregistry's tarball reader), extracts the image into
 * `<backends>/cpu-llama-cpp` and writes `metadata.json` with the name and the alias. The alias is required: the model
 * YAML says `backend: llama-cpp`, and without a backend answering to that name loading fails with "backend not found".
 * The backends path is given explicitly (flag and environment, and a known working directory) because LocalAI's
 * default is `<working directory>/backends`.
 *
 * `verifyBackendLayout` checks what that install leaves behind, as LocalAI's discovery reads it (a directory with an
 * executable run.sh is a backend; metadata.json adds the alias). It checks files, not that the backend runs.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import { isRecord } from '../../core/lib/isRecord.ts';

export const LLAMA_CPP_BACKEND = { name: 'cpu-llama-cpp', alias: 'llama-cpp' } as const;

export interface BackendIdentity {
  readonly name: string;
  readonly alias: string;
}

export interface BackendInstallInput {
  /** Absolute path of the image archive (the lock's `localai-backend` file). */
  readonly archive: string;
  /** Absolute backends directory (default: the appliance's, LAYOUT.localaiBackends). */
  readonly backendsPath?: string;
  readonly localaiBinary?: string;
  /** Where LocalAI runs; its relative defaults resolve here (default LAYOUT.localaiHome). */
  readonly workingDirectory?: string;
  readonly backend?: BackendIdentity;
}

export interface CommandLine {
  readonly command: string;
  readonly args: readonly string[];
  /** Variables to add to the environment the command runs with. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** The same, shell-quoted, for logs and the build output. */
  readonly text: string;
}

export function backendInstallCommand(input: BackendInstallInput): CommandLine {
  const backendsPath = input.backendsPath ?? LAYOUT.localaiBackends;
  const cwd = input.workingDirectory ?? LAYOUT.localaiHome;
  const command = input.localaiBinary ?? LAYOUT.localaiBinary;
  const backend = input.backend ?? LLAMA_CPP_BACKEND;
  const problems = [
    ...absolutePathProblems('the backend archive', input.archive),
    ...absolutePathProblems('the backends path', backendsPath),
    ...absolutePathProblems('the working directory', cwd),
  ];
  if (/[?#%\s]/.test(input.archive)) {
    problems.push(
      `the backend archive path must not contain spaces, "?", "#" or "%" (it becomes a URI): ${input.archive}`,
    );
  }
  if (problems.length > 0)
    throw new Error(`cannot build the backend install command:\n  - ${problems.join('\n  - ')}`);

  const args = [
    'backends',
    'install',
    '--backends-path',
    backendsPath,
    // LocalAI lists system backends from here too; the appliance uses one directory for both (as localaiEnv does).
    '--backends-system-path',
    backendsPath,
    // An archive install needs no gallery; an empty list keeps the command from fetching the default ones.
    '--backend-galleries',
    '[]',
    `ocifile://${input.archive}`,
    backend.name,
    backend.alias,
  ];
  const env = {
    LOCALAI_BACKENDS_PATH: backendsPath,
    LOCALAI_BACKENDS_SYSTEM_PATH: backendsPath,
    LOCALAI_BACKEND_GALLERIES: '[]',
  };
  return { command, args, env, cwd, text: [command, ...args].map(shellQuote).join(' ') };
}

/** metadata.json as LocalAI writes it for an archive install (Go's BackendMetadata; empty fields are omitted). */
export interface BackendMetadata {
  readonly name: string;
  readonly alias: string;
  readonly installed_at: string;
  readonly uri?: string;
}

export function backendMetadata(backend: BackendIdentity, installedAt: Date, uri?: string): BackendMetadata {
  // Go's time.RFC3339: seconds, no fraction.
  const installed_at = installedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { name: backend.name, alias: backend.alias, installed_at, ...(uri === undefined ? {} : { uri }) };
}

export function writeBackendMetadata(directory: string, metadata: BackendMetadata): void {
  writeFileSync(posix.join(directory, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`, {
    mode: 0o644,
  });
}

/**
 * Problems with the installed backend as LocalAI would find it; empty when `backend: llama-cpp` resolves to it:
 * `<backends>/<name>/run.sh` executable, `<backends>/<name>/metadata.json` naming it with the alias, and no other
 * backend claiming the alias.
 */
export function verifyBackendLayout(
  backendsPath: string,
  backend: BackendIdentity = LLAMA_CPP_BACKEND,
): string[] {
  const problems: string[] = [];
  const directory = posix.join(backendsPath, backend.name);
  if (!isDirectory(directory)) {
    return [
      `${directory} is not a directory: the backend is not installed (run the backend install command)`,
    ];
  }
  const runScript = posix.join(directory, 'run.sh');
  const run = statOrNull(runScript);
  if (run === null || !run.isFile())
    problems.push(`${runScript} is missing: LocalAI only lists directories with a run.sh`);
  else if ((run.mode & 0o111) === 0)
    problems.push(`${runScript} is not executable (mode ${(run.mode & 0o7777).toString(8)})`);

  const metadataFile = posix.join(directory, 'metadata.json');
  const metadata = readJson(metadataFile);
  if (!metadata.ok) problems.push(metadata.problem);
  else {
    if (metadata.value.name !== backend.name) {
      problems.push(
        `${metadataFile} names ${JSON.stringify(metadata.value.name)}, expected "${backend.name}"`,
      );
    }
    if (metadata.value.alias !== backend.alias) {
      problems.push(
        `${metadataFile} has alias ${JSON.stringify(metadata.value.alias)}, expected "${backend.alias}" ` +
          `(models say backend: ${backend.alias}; install with the alias as third argument)`,
      );
    }
  }
  for (const other of otherClaims(backendsPath, backend)) problems.push(other);
  return problems;
}

/** Other backend directories answering to the same alias: LocalAI would pick one of them, not necessarily ours. */
function otherClaims(backendsPath: string, backend: BackendIdentity): string[] {
  const problems: string[] = [];
  for (const name of readdirSync(backendsPath)) {
    if (name === backend.name || !isDirectory(posix.join(backendsPath, name))) continue;
    const metadata = readJson(posix.join(backendsPath, name, 'metadata.json'));
    const value = metadata.ok ? metadata.value : {};
    if (value.meta_backend_for === backend.name) continue; // a meta backend pointing at ours is fine
    if (name === backend.alias || value.alias === backend.alias || value.name === backend.alias) {
      problems.push(
        `${posix.join(backendsPath, name)} also answers to "${backend.alias}"; remove it so the name is unambiguous`,
      );
    }
  }
  return problems;
}

function readJson(
  path: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; problem: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { ok: false, problem: `${path} is missing: LocalAI writes it at install (name and alias)` };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value)) {
      return { ok: true, value };
    }
    return { ok: false, problem: `${path} is not a JSON object` };
  } catch (error) {
    return { ok: false, problem: `${path} is not valid JSON: ${(error as Error).message}` };
  }
}

function absolutePathProblems(what: string, path: string): string[] {
  if (!path.startsWith('/')) return [`${what} must be an absolute path, got "${path}"`];
  if (path.split('/').includes('..')) return [`${what} must not contain "..", got "${path}"`];
  return [];
}

function isDirectory(path: string): boolean {
  return statOrNull(path)?.isDirectory() ?? false;
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

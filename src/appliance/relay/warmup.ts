/**
 * Prefix learning and the re-warm pass. Every chat completion's prefix (prefixes.ts) is remembered with its key
 * name, last use and token count; after each engine start the relay replays, once, the remembered prefixes that
 * no real request has used since that start, most recent first, each as a one-token streamed completion, so the
 * engine's host-RAM prompt cache holds them before their users come back.
 *
 * Live work always wins: a pass starts (and resumes) only when the queue is empty and no completion has run for
 * `idleMs`; a real request arriving while a warm-up runs closes the warm-up's connection (LocalAI cancels the task
 * as for a client that went away) and takes the model at once; the cancelled prefix goes back to the front of the
 * pass. Warm-ups never count in a key's usage. The pass stops when the token budget is spent.
 *
 * Which key names may keep entries comes from the key names file (keyNames.ts), not from the relay's configuration:
 * it is read at start, at the start of each pass and before each save, so removing a key deletes its prefixes
 * without restarting the relay. A missing or invalid file is logged once and keeps what is stored.
 */
import type { IncomingMessage } from 'node:http';
import { WARMUP_LIMIT_METRIC, WARMUP_PREFIX_TOKENS_METRIC } from '../../core/facts/relay.ts';
import type { WarmupOptions } from './config.ts';
import { readKeyNames } from './keyNames.ts';
import {
  extractPrefix,
  keep,
  type PrefixEntry,
  recordTokens,
  recordUse,
  shortHash,
  tokensOf,
  warmupRequest,
} from './prefixes.ts';
import { deletePrefixes, loadPrefixes, savePrefixes } from './prefixStore.ts';
import { header, sample } from './prometheus.ts';
import type { CompletionQueue, QueueTicket } from './queue.ts';
import { isRefused, ownChatCompletion, type UpstreamCall, type UpstreamClient } from './upstream.ts';

export interface WarmerDeps {
  readonly options: WarmupOptions;
  readonly queue: CompletionQueue;
  readonly upstream: UpstreamClient;
  readonly upstreamKey: string | null;
  readonly log: (line: string) => void;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  /** Wall-clock milliseconds (last use, expiry). */
  readonly wallNow?: () => number;
}

interface Pass {
  readonly number: number;
  readonly pending: PrefixEntry[];
  readonly total: number;
  warmed: number;
  cancelled: number;
  failed: number;
  /** Prefixes a real request used since the start, so not warmed. */
  skipped: number;
  spentTokens: number;
  state: 'waiting' | 'warming' | 'done';
}

interface Running {
  readonly entry: PrefixEntry;
  readonly ticket: QueueTicket | null;
  call: UpstreamCall | null;
  readonly dispatchedAt: number;
  firstByteAt: number | null;
  over: boolean;
}

const PREFIX = 'slm_copilot_warmup';

/** The warmer, or null when learning is off (0 prefixes: the store is deleted). */
export function createPrefixWarmer(deps: WarmerDeps): PrefixWarmer | null {
  if (deps.options.prefixes === 0) {
    deletePrefixes(deps.options.storePath);
    deps.log('relay: prompt-prefix warm-up off; stored prefixes deleted');
    return null;
  }
  return new PrefixWarmer(deps);
}

export class PrefixWarmer {
  private entries: PrefixEntry[];
  /** The last read of the key names file failed (logged once, until a read succeeds). */
  private keyNamesFailed = false;
  private readonly wallNow: () => number;
  private lastActivity = Number.NEGATIVE_INFINITY;
  /** Hashes real requests used since the current engine start began. */
  private usedSinceStart = new Set<string>();
  private starting = false;
  private pass: Pass | null = null;
  private passes = 0;
  private running: Running | null = null;
  private timer: NodeJS.Timeout | null = null;
  private saveTimer: NodeJS.Timeout | null = null;
  private saveFailed = false;
  private closed = false;
  private readonly totals = { ok: 0, cancelled: 0, error: 0, promptTokens: 0, promptMs: 0 };

  constructor(private readonly deps: WarmerDeps) {
    this.wallNow = deps.wallNow ?? Date.now;
    this.entries = loadPrefixes({ path: deps.options.storePath, log: deps.log });
    if (this.prune()) this.scheduleSave();
    deps.log(
      `relay: prompt-prefix warm-up on: ${this.entries.length} stored prefix(es), at most ${deps.options.prefixes}, budget ${deps.options.budgetTokens} tokens`,
    );
  }

  /**
   * Count, budget and expiry; by name only when `keyNames` is given. A request's own key is never pruned when it is
   * learned (nginx just accepted it, and the file may name it only after the next read): names prune in prune().
   */
  private kept(entries: readonly PrefixEntry[], keyNames: ReadonlySet<string> | null = null): PrefixEntry[] {
    const { options } = this.deps;
    return keep(entries, {
      nowMs: this.wallNow(),
      maxEntries: options.prefixes,
      budgetTokens: options.budgetTokens,
      keyNames,
      expiryMs: options.expiryMs,
    });
  }

  /** Reads the key names file again; on failure (logged once, no content) keeps the entries of every name. */
  private readKeyNames(): ReadonlySet<string> | null {
    const path = this.deps.options.keyNamesPath;
    const read = readKeyNames(path);
    if (read.ok) {
      if (this.keyNamesFailed) this.deps.log(`relay: warm-up key names file ${path} readable again`);
      this.keyNamesFailed = false;
      return read.names;
    }
    if (!this.keyNamesFailed)
      this.deps.log(
        `relay: warm-up key names file ${path} cannot be read (${read.reason}); stored prefixes are kept`,
      );
    this.keyNamesFailed = true;
    return null;
  }

  /** Re-reads the key names and drops the entries of names no longer listed (and expired ones); true: any dropped. */
  private prune(): boolean {
    const before = this.entries.length;
    const names = this.readKeyNames();
    const removed = names === null ? 0 : this.entries.filter((entry) => !names.has(entry.key)).length;
    this.entries = this.kept(this.entries, names);
    if (this.pass !== null && this.entries.length !== before) {
      // A pass under way no longer re-warms what was just deleted.
      const left = new Set(this.entries.map((entry) => entry.hash));
      const pending = this.pass.pending.filter((entry) => left.has(entry.hash));
      this.pass.pending.splice(0, this.pass.pending.length, ...pending);
    }
    if (removed > 0) this.deps.log(`relay: warm-up: ${removed} stored prefix(es) of removed key(s) deleted`);
    return this.entries.length !== before;
  }

  /** The stored entries, most recent first (tests, /metrics). */
  get stored(): readonly PrefixEntry[] {
    return this.entries;
  }

  /** A real chat completion is about to be queued: learn its prefix; returns its hash (null: none). */
  observe(body: Buffer, key: string): string | null {
    this.activity();
    const prefix = extractPrefix(body);
    if (prefix === null) return null;
    this.usedSinceStart.add(prefix.hash);
    if (this.pass !== null) {
      const index = this.pass.pending.findIndex((entry) => entry.hash === prefix.hash);
      if (index !== -1) {
        this.pass.pending.splice(index, 1);
        this.pass.skipped += 1;
      }
    }
    this.entries = this.kept(recordUse(this.entries, prefix, key, this.wallNow()));
    this.scheduleSave();
    return prefix.hash;
  }

  /** A real request with this prefix finished and reported its prompt tokens (an upper bound for the prefix). */
  tokensSeen(hash: string, promptTokens: number): void {
    this.entries = this.kept(recordTokens(this.entries, hash, promptTokens, false));
    this.scheduleSave();
  }

  /** A completion started or ended: the pass waits `idleMs` after the last one. */
  activity(): void {
    this.lastActivity = this.deps.now();
  }

  /** A real request is about to enter the queue: a running warm-up gives the model up now. */
  preempt(): void {
    const running = this.running;
    if (running === null) return;
    this.finishRunning('cancelled');
    this.deps.log(`relay: warm-up ${shortHash(running.entry.hash)} cancelled for a real request`);
  }

  /** The engine (re)started: requests from now on count as "used since the start". */
  engineStarting(): void {
    if (this.starting) return;
    this.starting = true;
    this.usedSinceStart = new Set();
  }

  /** The engine is ready after a start: a new pass over what no real request has used since. */
  engineReady(): void {
    this.starting = false;
    if (this.closed) return;
    if (this.running !== null) this.finishRunning('cancelled');
    if (this.prune()) this.scheduleSave();
    this.passes += 1;
    const pending = this.entries.filter((entry) => !this.usedSinceStart.has(entry.hash));
    this.pass = {
      number: this.passes,
      pending,
      total: pending.length,
      warmed: 0,
      cancelled: 0,
      failed: 0,
      skipped: this.entries.length - pending.length,
      spentTokens: 0,
      state: pending.length === 0 ? 'done' : 'waiting',
    };
    this.deps.log(
      `relay: warm-up pass ${this.passes}: ${pending.length} prefix(es) to re-warm once the model is idle`,
    );
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.running !== null) this.finishRunning('cancelled');
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      this.save();
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
    }, delayMs);
  }

  private tick(): void {
    const pass = this.pass;
    if (pass === null || pass.state === 'done' || this.running !== null || this.closed) return;
    const { queue, options, now } = this.deps;
    const poll = Math.min(250, options.idleMs);
    if (queue.active > 0 || queue.waiting > 0) {
      this.schedule(poll);
      return;
    }
    const idleFor = now() - this.lastActivity;
    if (idleFor < options.idleMs) {
      this.schedule(Math.max(1, Math.min(poll, options.idleMs - idleFor)));
      return;
    }
    const entry = pass.pending[0];
    if (entry === undefined) {
      this.endPass('every prefix re-warmed');
      return;
    }
    if (pass.spentTokens + tokensOf(entry) > options.budgetTokens) {
      this.endPass(`token budget spent (${pass.spentTokens} of ${options.budgetTokens})`);
      return;
    }
    pass.pending.shift();
    pass.state = 'warming';
    this.start(entry);
  }

  private endPass(reason: string): void {
    const pass = this.pass;
    if (pass === null || pass.state === 'done') return;
    pass.state = 'done';
    this.deps.log(
      `relay: warm-up pass ${pass.number} done: ${pass.warmed} re-warmed, ${pass.skipped} already used, ${pass.failed} failed, ${pass.cancelled} cancellation(s); ${reason}`,
    );
  }

  private start(entry: PrefixEntry): void {
    const { upstream, upstreamKey, options, now } = this.deps;
    const body = Buffer.from(JSON.stringify(warmupRequest(entry.request, options.userTurn)));
    const ticket = this.deps.queue.enqueue(() => {
      if (running.over) return;
      // LocalAI adds the prompt-processing time to usage when asked (Extra-Usage).
      running.call = upstream.send(
        ownChatCompletion(upstream, upstreamKey, body, { 'extra-usage': 'true' }),
        {
          onResponse: (response) => this.onResponse(running, response),
          onError: (error) => {
            if (running.over) return;
            this.finishRunning('error', isRefused(error) ? 'the model server is unreachable' : null);
          },
        },
      );
    }, true);
    const running: Running = {
      entry,
      ticket,
      call: null,
      dispatchedAt: now(),
      firstByteAt: null,
      over: false,
    };
    this.running = running;
  }

  private onResponse(running: Running, response: IncomingMessage): void {
    const chunks: Buffer[] = [];
    response.on('error', () => {});
    response.on('data', (chunk: Buffer) => {
      if (running.firstByteAt === null) running.firstByteAt = this.deps.now();
      if (chunks.length < 256) chunks.push(chunk);
    });
    response.on('end', () => {
      if (running.over) return;
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        this.finishRunning('error');
        return;
      }
      const usage = warmupUsage(Buffer.concat(chunks).toString('utf8'));
      const promptMs =
        usage?.promptMs ??
        (running.firstByteAt === null ? 0 : Math.max(0, running.firstByteAt - running.dispatchedAt));
      this.finishRunning('ok', null, usage?.promptTokens ?? null, promptMs);
    });
    response.on('close', () => {
      if (!running.over && !response.complete) this.finishRunning('error');
    });
  }

  private finishRunning(
    outcome: 'ok' | 'cancelled' | 'error',
    endReason: string | null = null,
    promptTokens: number | null = null,
    promptMs = 0,
  ): void {
    const running = this.running;
    if (running === null || running.over) return;
    running.over = true;
    this.running = null;
    running.call?.abort();
    running.ticket?.release();
    this.totals[outcome] += 1;
    const pass = this.pass;
    const hash = shortHash(running.entry.hash);
    if (outcome === 'ok') {
      this.totals.promptTokens += promptTokens ?? 0;
      this.totals.promptMs += promptMs;
      if (promptTokens !== null) {
        this.entries = recordTokens(this.entries, running.entry.hash, promptTokens, true);
        this.scheduleSave();
      }
      if (pass !== null) {
        pass.warmed += 1;
        pass.spentTokens += promptTokens ?? tokensOf(running.entry);
      }
      this.deps.log(
        `relay: warm-up ${hash} key=${running.entry.key} done: prompt_tokens=${promptTokens ?? '-'} prompt_ms=${Math.round(promptMs)}`,
      );
    } else if (outcome === 'cancelled') {
      // Back to the front: the pass resumes with it when the model is idle again (unless a request uses it).
      if (pass !== null && pass.state !== 'done' && !this.usedSinceStart.has(running.entry.hash)) {
        pass.pending.unshift(running.entry);
        pass.cancelled += 1;
      }
    } else {
      if (pass !== null) pass.failed += 1;
      this.deps.log(`relay: warm-up ${hash} failed${endReason === null ? '' : `: ${endReason}`}`);
      if (endReason !== null) this.endPass(endReason);
    }
    if (pass !== null && pass.state === 'warming') pass.state = 'waiting';
    // The next warm-up follows at once when nothing else wants the model; after a cancellation, idleness rules.
    this.schedule(0);
  }

  private scheduleSave(): void {
    if (this.saveTimer !== null || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.save();
    }, this.deps.options.saveDelayMs);
  }

  private save(): void {
    this.prune();
    try {
      savePrefixes(this.deps.options.storePath, this.entries);
      this.saveFailed = false;
    } catch (error) {
      if (!this.saveFailed)
        this.deps.log(
          `relay: warm-up store ${this.deps.options.storePath} cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      this.saveFailed = true;
    }
  }

  /** Prometheus text: the pass's progress and cost, and per stored prefix its hash, key, tokens, last use. */
  render(): string {
    const pass = this.pass;
    const prefixLabels = (entry: PrefixEntry) => ({ hash: shortHash(entry.hash), key: entry.key });
    const passStates = {
      pending: pass?.pending.length ?? 0,
      warmed: pass?.warmed ?? 0,
      used: pass?.skipped ?? 0,
      failed: pass?.failed ?? 0,
    };
    return [
      warmupLimitMetric(this.deps.options.prefixes),
      header(
        WARMUP_PREFIX_TOKENS_METRIC,
        'gauge',
        'Prompt tokens of each stored prefix (by hash and key name; never content).',
      ) +
        this.entries
          .map((entry) => sample(WARMUP_PREFIX_TOKENS_METRIC, prefixLabels(entry), tokensOf(entry)))
          .join(''),
      header(
        `${PREFIX}_prefix_last_use_timestamp_seconds`,
        'gauge',
        'When a real request last used each stored prefix (Unix time).',
      ) +
        this.entries
          .map((entry) =>
            sample(
              `${PREFIX}_prefix_last_use_timestamp_seconds`,
              prefixLabels(entry),
              Math.floor(entry.lastUsedMs / 1000),
            ),
          )
          .join(''),
      header(`${PREFIX}_passes_total`, 'counter', 'Re-warm passes started (one per model start).') +
        sample(`${PREFIX}_passes_total`, {}, this.passes),
      header(
        `${PREFIX}_pass_prefixes`,
        'gauge',
        'The current (or last) pass: prefixes pending, re-warmed, already used by a real request, failed.',
      ) +
        Object.entries(passStates)
          .map(([state, value]) => sample(`${PREFIX}_pass_prefixes`, { state }, value))
          .join(''),
      header(`${PREFIX}_pass_active`, 'gauge', '1 while a pass has prefixes left to re-warm.') +
        sample(`${PREFIX}_pass_active`, {}, pass !== null && pass.state !== 'done' ? 1 : 0),
      header(
        `${PREFIX}_requests_total`,
        'counter',
        'Warm-up completions, by outcome (never counted per key).',
      ) +
        (['ok', 'cancelled', 'error'] as const)
          .map((outcome) => sample(`${PREFIX}_requests_total`, { outcome }, this.totals[outcome]))
          .join(''),
      header(`${PREFIX}_prompt_tokens_total`, 'counter', 'Prompt tokens the warm-ups processed.') +
        sample(`${PREFIX}_prompt_tokens_total`, {}, this.totals.promptTokens),
      header(`${PREFIX}_prompt_seconds_total`, 'counter', 'Prompt-processing time of the warm-ups.') +
        sample(`${PREFIX}_prompt_seconds_total`, {}, this.totals.promptMs / 1000),
    ].join('');
  }
}

/** How many prefixes the relay keeps for re-warming; 0: warm-up off (rendered also when there is no warmer). */
export function warmupLimitMetric(prefixes: number): string {
  return (
    header(
      WARMUP_LIMIT_METRIC,
      'gauge',
      'How many prompt prefixes are kept for re-warming (0: warm-up off).',
    ) + sample(WARMUP_LIMIT_METRIC, {}, prefixes)
  );
}

/** Usage from a warm-up's SSE text: prompt tokens, and LocalAI's prompt-processing time (ms) when it sent one. */
export function warmupUsage(text: string): { promptTokens: number; promptMs: number | null } | null {
  let found: { promptTokens: number; promptMs: number | null } | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('data:') || !line.includes('"usage"')) continue;
    try {
      const usage = (JSON.parse(line.slice(5).trim()) as { usage?: Record<string, unknown> }).usage;
      if (usage !== undefined && usage !== null && typeof usage.prompt_tokens === 'number') {
        const timing = usage.timing_prompt_processing;
        found = { promptTokens: usage.prompt_tokens, promptMs: typeof timing === 'number' ? timing : null };
      }
    } catch {
      // not JSON: not a usage event
    }
  }
  return found;
}

/**
 * A one-line progress display on a terminal: "[#####·····] 3/7 4k turn 2 · 12 s". Nothing at all when the
 * stream is not a TTY (CI logs, --json, pipes). Small enough that a library would not pay for itself.
 */
import type { Writable } from 'node:stream';

export interface Progress {
  /** Shows text, with a bar when done/total are given; the elapsed seconds tick by themselves. */
  update(text: string, done?: number, total?: number): void;
  /** Removes the line. */
  clear(): void;
}

const WIDTH = 20;

/** Pure: the line for a state (no colour, no cursor codes). */
export function progressText(text: string, elapsedMs: number, done?: number, total?: number): string {
  const time = `${Math.floor(elapsedMs / 1000)} s`;
  if (done === undefined || total === undefined || total <= 0) return `${text} · ${time}`;
  const filled = Math.round((Math.min(done, total) / total) * WIDTH);
  return `[${'#'.repeat(filled)}${'·'.repeat(WIDTH - filled)}] ${done}/${total} ${text} · ${time}`;
}

export function progressLine(
  stream: Writable & { isTTY?: boolean; columns?: number },
  enabled = true,
): Progress {
  if (!enabled || stream.isTTY !== true) return { update: () => undefined, clear: () => undefined };
  let state: { text: string; done?: number; total?: number; since: number } | null = null;
  let timer: NodeJS.Timeout | null = null;
  const draw = () => {
    if (state === null) return;
    const line = progressText(state.text, performance.now() - state.since, state.done, state.total);
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(`\r\u001b[K${line.slice(0, width)}`);
  };
  return {
    update(text, done, total) {
      const since = state?.text === text ? state.since : performance.now();
      state = {
        text,
        since,
        ...(done === undefined ? {} : { done }),
        ...(total === undefined ? {} : { total }),
      };
      draw();
      if (timer === null) {
        timer = setInterval(draw, 1000);
        timer.unref();
      }
    },
    clear() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      if (state !== null) stream.write('\r\u001b[K');
      state = null;
    },
  };
}

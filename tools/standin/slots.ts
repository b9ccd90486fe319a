// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// llama.cpp's slots: with n_parallel = N (LocalAI's default is 1) at most N requests are prefilled or decoded at
// once; the others wait in llama.cpp's task queue, silently (no header leaves while a request waits).

export class Slots {
  #busy = 0;
  #waiting: (() => void)[] = [];

  /** Requests holding a slot now. */
  get busy(): number {
    return this.#busy;
  }

  /**
   * Waits for a free slot (limit null = no limit). Resolves to the release function, or null when signal aborted
   * first (the client went away while queued).
   */
  async acquire(limit: number | null, signal: AbortSignal): Promise<(() => void) | null> {
    if (limit !== null) {
      while (this.#busy >= limit && !signal.aborted) {
        await new Promise<void>((resolve) => {
          this.#waiting.push(resolve);
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    }
    if (signal.aborted) return null;
    this.#busy += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#busy -= 1;
      for (const wake of this.#waiting.splice(0)) wake();
    };
  }
}

/**
 * FIFO admission for completions: LocalAI serves one at a time on CPU (`parallel:1`), so the relay holds the
 * others here instead of letting them pile up inside LocalAI, where a client that gives up cannot be removed.
 */

export interface QueueTicket {
  /** Leave the queue if still waiting; release the slot if started. Idempotent. */
  release(): void;
}

interface Entry {
  readonly start: () => void;
  state: 'waiting' | 'active' | 'done';
}

export class CompletionQueue {
  private readonly waitingEntries: Entry[] = [];
  private activeCount = 0;

  /**
   * @param limit requests that may wait (those being served not counted)
   * @param slots requests served at once
   */
  constructor(
    readonly limit: number,
    readonly slots = 1,
  ) {}

  get waiting(): number {
    return this.waitingEntries.length;
  }

  get active(): number {
    return this.activeCount;
  }

  /**
   * Starts `start` now when a slot is free, else queues it; null when the queue is full. `priority` jumps the
   * queue and ignores the limit (the relay's own warm-up).
   */
  enqueue(start: () => void, priority = false): QueueTicket | null {
    const entry: Entry = { start, state: 'waiting' };
    if (this.activeCount < this.slots) {
      this.activate(entry);
    } else if (priority) {
      this.waitingEntries.unshift(entry);
    } else if (this.waitingEntries.length < this.limit) {
      this.waitingEntries.push(entry);
    } else {
      return null;
    }
    return { release: () => this.release(entry) };
  }

  private activate(entry: Entry): void {
    entry.state = 'active';
    this.activeCount += 1;
    // Never inside enqueue()/release(): the caller holds its ticket before its start runs.
    queueMicrotask(() => {
      if (entry.state === 'active') entry.start();
    });
  }

  private release(entry: Entry): void {
    if (entry.state === 'waiting') {
      const index = this.waitingEntries.indexOf(entry);
      if (index !== -1) this.waitingEntries.splice(index, 1);
    } else if (entry.state === 'active') {
      this.activeCount -= 1;
    }
    entry.state = 'done';
    while (this.activeCount < this.slots) {
      const next = this.waitingEntries.shift();
      if (next === undefined) break;
      this.activate(next);
    }
  }
}

/**
 * The front's key → worker table. A key's next turn must reach the worker that holds its prompt prefix: anywhere
 * else it recomputes the whole prompt (thousands of tokens, minutes on a CPU) instead of the few new ones. So:
 * - a key is placed by rendezvous hashing (highest hash of key and worker wins) when it is first seen and when its
 *   worker leaves: a leaving worker moves only its own keys, a new worker takes only keys placed after it came;
 * - a key stays on its worker (its home) unless the home has at least `spillQueue` requests waiting, counted by the
 *   caller (the front's own in-flight count); then it moves to the worker with the fewest waiting, and stays there;
 * - a worker that failed a request before answering loses the key (`moveKey`), to the next one in its hash order.
 * Pure; the worker identifiers are opaque strings.
 */

export interface Placement {
  readonly worker: string;
  /** Moved off its home because the home had `spillQueue` or more waiting. */
  readonly spilled: boolean;
}

/** FNV-1a over UTF-16 code units, then a 32-bit avalanche (murmur3's finaliser), so near names spread. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The workers in the key's rendezvous order (its first choice first). */
export function rendezvousOrder(key: string, workers: readonly string[]): string[] {
  return [...workers]
    .map((worker) => ({ worker, score: hash32(`${key}\u0000${worker}`) }))
    .sort((a, b) => b.score - a.score || (a.worker < b.worker ? -1 : 1))
    .map((entry) => entry.worker);
}

export class StickyTable {
  private readonly homes = new Map<string, string>();
  private workerList: string[] = [];

  constructor(readonly spillQueue: number) {}

  get workers(): readonly string[] {
    return this.workerList;
  }

  /** The key's current worker, if it has one. */
  homeOf(key: string): string | undefined {
    return this.homes.get(key);
  }

  /** How many keys each worker holds. */
  keysPerWorker(): Map<string, number> {
    const counts = new Map(this.workerList.map((worker) => [worker, 0]));
    for (const worker of this.homes.values()) counts.set(worker, (counts.get(worker) ?? 0) + 1);
    return counts;
  }

  /** The serving workers now; the keys of a worker that left lose their home (placed again at their next turn). */
  setWorkers(workers: readonly string[]): { readonly added: string[]; readonly removed: string[] } {
    const next = [...new Set(workers)].sort();
    const added = next.filter((worker) => !this.workerList.includes(worker));
    const removed = this.workerList.filter((worker) => !next.includes(worker));
    this.workerList = next;
    for (const [key, worker] of this.homes) if (removed.includes(worker)) this.homes.delete(key);
    return { added, removed };
  }

  /**
   * Where the key's request goes, given each worker's waiting count; null without workers. `exclude`: workers that
   * already failed this request.
   */
  place(key: string, waiting: (worker: string) => number, exclude: readonly string[] = []): Placement | null {
    const candidates = this.workerList.filter((worker) => !exclude.includes(worker));
    if (candidates.length === 0) return null;
    const current = this.homes.get(key);
    const home =
      current !== undefined && candidates.includes(current)
        ? current
        : (rendezvousOrder(key, candidates)[0] as string);
    let worker = home;
    const homeWaiting = waiting(home);
    if (homeWaiting >= this.spillQueue) {
      const order = rendezvousOrder(key, candidates);
      const quietest = order.reduce((best, candidate) =>
        waiting(candidate) < waiting(best) ? candidate : best,
      );
      if (waiting(quietest) < homeWaiting) worker = quietest;
    }
    this.homes.set(key, worker);
    return { worker, spilled: worker !== home };
  }

  /** The key's worker failed it before answering: the key leaves that worker (placed again at once by `place`). */
  moveKey(key: string, failed: string): void {
    if (this.homes.get(key) === failed) this.homes.delete(key);
  }
}

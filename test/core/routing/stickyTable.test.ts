import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rendezvousOrder, StickyTable } from '../../../src/core/routing/stickyTable.ts';

const KEYS = Array.from({ length: 60 }, (_, i) => `key${i}`);
const idle = () => 0;

function table(workers: string[], spillQueue = 2): StickyTable {
  const t = new StickyTable(spillQueue);
  t.setWorkers(workers);
  return t;
}

describe('the sticky key → worker table', () => {
  it('places keys by rendezvous hashing, spread over the workers, and keeps each on its worker', () => {
    const t = table(['w1', 'w2', 'w3']);
    const first = KEYS.map((key) => t.place(key, idle)?.worker);
    for (const [worker, count] of t.keysPerWorker()) assert.ok(count >= 10, `${worker} holds ${count} of 60`);
    assert.deepEqual(
      KEYS.map((key) => t.place(key, idle)?.worker),
      first,
    );
    assert.deepEqual(
      first,
      KEYS.map((key) => rendezvousOrder(key, ['w1', 'w2', 'w3'])[0]),
    );
  });
  it('spills only when the home has spillQueue or more waiting, to the quietest worker, and the key stays there', () => {
    const t = table(['w1', 'w2', 'w3']);
    const home = t.place('k', idle)?.worker as string;
    const others = ['w1', 'w2', 'w3'].filter((w) => w !== home);
    const quiet = others[1] as string;
    const waiting = (counts: Record<string, number>) => (worker: string) => counts[worker] ?? 0;
    assert.deepEqual(t.place('k', waiting({ [home]: 1, [others[0] as string]: 0 })), {
      worker: home,
      spilled: false,
    });
    const spill = t.place('k', waiting({ [home]: 2, [others[0] as string]: 1, [quiet]: 0 }));
    assert.deepEqual(spill, { worker: quiet, spilled: true });
    assert.deepEqual(t.place('k', idle), { worker: quiet, spilled: false }, 'a spilled key stays');
  });
  it('does not spill when every other worker waits as much', () => {
    const t = table(['w1', 'w2']);
    const home = t.place('k', idle)?.worker;
    assert.deepEqual(
      t.place('k', () => 3),
      { worker: home, spilled: false },
    );
  });
  it('a leaving worker moves only its own keys; a new worker takes only new keys', () => {
    const t = table(['w1', 'w2', 'w3']);
    const before = new Map(KEYS.map((key) => [key, t.place(key, idle)?.worker]));
    t.setWorkers(['w1', 'w3']);
    for (const key of KEYS) {
      const now = t.place(key, idle)?.worker;
      if (before.get(key) !== 'w2') assert.equal(now, before.get(key), key);
      else assert.notEqual(now, 'w2');
    }
    const { added } = t.setWorkers(['w1', 'w3', 'w4']);
    assert.deepEqual(added, ['w4']);
    assert.ok(
      KEYS.every((key) => t.place(key, idle)?.worker !== 'w4'),
      'placed keys stay where they are',
    );
    const fresh = Array.from({ length: 20 }, (_, i) => t.place(`new${i}`, idle)?.worker);
    assert.ok(fresh.includes('w4'), 'the new worker gets new keys');
  });
  it('after a failure the key moves to another worker; without candidates there is no placement', () => {
    const t = table(['w1', 'w2']);
    const home = t.place('k', idle)?.worker as string;
    t.moveKey('k', home);
    const next = t.place('k', idle, [home]);
    assert.ok(next !== null && next.worker !== home);
    assert.equal(t.homeOf('k'), next?.worker);
    assert.equal(t.place('k', idle, ['w1', 'w2']), null);
    assert.equal(table([]).place('k', idle), null);
  });
});

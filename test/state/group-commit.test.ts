import { describe, expect, it, vi } from 'vitest';
import * as atomic from '../../src/shared/atomic-file.js';
import { FileStore } from '../../src/state/file-store.js';
import { tempDir } from '../helpers/cli.js';
import { makeRecord } from '../helpers/protime.js';

// The real writer, counted: how many durable writes carried the changes.
vi.mock('../../src/shared/atomic-file.js', async (importOriginal) => {
  const real = await importOriginal<typeof atomic>();
  return { ...real, writeFileAtomic: vi.fn(real.writeFileAtomic) };
});

describe('FileStore group commit', () => {
  it('applies 50 concurrent changes in order with far fewer writes, none acknowledged before the write that carries it', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    await store.update((data) => {
      data.subscriptions.default = {};
    });
    const writes = vi.mocked(atomic.writeFileAtomic);
    writes.mockClear();
    const order: number[] = [];
    const acknowledged = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store
          .update((data) => {
            order.push(i);
            const record = makeRecord({ id: `r-${i}` });
            data.subscriptions.default![record.id] = record;
            return i;
          })
          .then(async (value) => {
            // Resolved only once on disk: a fresh reader (another process) sees it.
            const onDisk = await new FileStore(dir).read();
            return onDisk.subscriptions.default![`r-${value}`] !== undefined;
          }),
      ),
    );
    expect(acknowledged.every(Boolean)).toBe(true);
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Object.keys((await store.read()).subscriptions.default!)).toHaveLength(50);
    // The first change is written alone; the 49 queued behind it share the next write.
    expect(writes.mock.calls.length).toBeLessThanOrEqual(3);
  });

  it('a change that throws in a batch is rejected and leaves no trace, the others in its batch are written', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    await store.update((data) => {
      data.subscriptions.default = {};
    });
    const add = (id: string, fail = false) =>
      store.update((data) => {
        data.subscriptions.default![id] = makeRecord({ id });
        // Half-done, then refused: the record above must not survive.
        if (fail) throw new Error(`refused ${id}`);
        return id;
      });
    const results = await Promise.allSettled([add('first'), add('a'), add('bad', true), add('b'), add('worse', true), add('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason.message).toBe('refused bad');
    expect(Object.keys((await new FileStore(dir).read()).subscriptions.default!).sort()).toEqual(['a', 'b', 'c', 'first']);
  });
});

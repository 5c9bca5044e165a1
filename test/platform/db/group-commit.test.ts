import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/platform/db/group-commit.js';

/** Group commit (src/platform/db/group-commit.ts): batching what waits, and one bad item failing only itself. */
describe('GroupCommit', () => {
  /** A writer that records its batches and doubles each item; items named in `bad` fail any batch they are in. */
  const recorder = (bad: number[] = [], pause = 5) => {
    const batches: number[][] = [];
    const write = async (items: number[]) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, pause));
      if (items.some((i) => bad.includes(i))) throw new Error(`bad item in ${items.join(',')}`);
      return items.map((i) => i * 2);
    };
    return { batches, write };
  };

  it('writes the first item at once and what arrived meanwhile together, at most maxBatch at a time, in order', async () => {
    const { batches, write } = recorder();
    const group = new GroupCommit(write, 4);
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => group.submit(i)));
    expect(results).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(batches).toEqual([[1], [2, 3, 4, 5], [6, 7]]);
  });

  it('writes a failed batch again item by item: only the bad item fails, with its own error', async () => {
    const { batches, write } = recorder([3]);
    const group = new GroupCommit(write, 10);
    const settled = await Promise.allSettled([1, 2, 3, 4].map((i) => group.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason.message).toBe('bad item in 3');
    expect(batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('goes on after a failure: items submitted later are written', async () => {
    const { write } = recorder([1]);
    const group = new GroupCommit(write, 2);
    await expect(group.submit(1)).rejects.toThrow('bad item in 1');
    await expect(group.submit(5)).resolves.toBe(10);
  });

  it('refuses a batch size that is not a whole number of at least 1', () => {
    expect(() => new GroupCommit(async (items: number[]) => items, 0)).toThrow(RangeError);
    expect(() => new GroupCommit(async (items: number[]) => items, 1.5)).toThrow(RangeError);
  });
});

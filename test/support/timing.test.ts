import { describe, expect, it } from 'vitest';
import { timedAnswer } from './timing.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('timedAnswer (how the fuzz tests judge a slow answer)', () => {
  it('keeps an answer that is slow every time slow, so a pathological input still fails', async () => {
    let runs = 0;
    const { result, ms } = await timedAnswer(async () => { runs++; await pause(60); return 'x'; }, 50);
    expect(result).toBe('x');
    expect(runs).toBe(3);
    expect(ms).toBeGreaterThanOrEqual(50);
  });

  it('asks a one-off slow answer again and keeps the fastest time; a fast answer is asked once', async () => {
    const delays = [80, 1];
    const slowOnce = await timedAnswer(() => pause(delays.shift() ?? 1), 50);
    expect(delays).toEqual([]);
    expect(slowOnce.ms).toBeLessThan(50);
    let runs = 0;
    await timedAnswer(async () => { runs++; }, 50);
    expect(runs).toBe(1);
  });
});

import { BoundedBackground } from '../../../src/pipeline/support/bounded-background.js';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('BoundedBackground', () => {
  it('never runs more than its limit at once, from several callers, and is idle only when all have ended', async () => {
    const background = new BoundedBackground(3);
    let running = 0;
    let most = 0;
    let ended = 0;
    const caller = async (pieces: number) => {
      for (let i = 0; i < pieces; i++) {
        await background.room();
        running++;
        most = Math.max(most, running);
        background.add(later(1 + (i % 3)).then(() => (running--, ended++)));
      }
    };
    await Promise.all([caller(10), caller(10), caller(10)]);
    await background.idle();
    expect(ended).toBe(30);
    expect(most).toBe(3);
    expect(running).toBe(0);
  });

  it('records the first failure and goes on running the others', async () => {
    const background = new BoundedBackground(2);
    await background.room();
    background.add(Promise.reject(new Error('first')));
    await background.room();
    background.add(later(1).then(() => Promise.reject(new Error('second'))));
    await background.room();
    background.add(later(2));
    await background.idle();
    expect((background.failed?.error as Error).message).toBe('first');
  });

  it('gives a place at once while there is room, and hands each ending piece\'s place to the longest waiter', async () => {
    const background = new BoundedBackground(1);
    expect(background.room()).toBeUndefined();
    let finish!: () => void;
    background.add(new Promise<void>((resolve) => (finish = resolve)));
    const order: string[] = [];
    const waiters = ['a', 'b', 'c'].map((name) => background.room()!.then(() => {
      order.push(name);
      background.add(Promise.resolve());
    }));
    await later(1);
    expect(order).toEqual([]);
    finish();
    await Promise.all(waiters);
    await background.idle();
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('is idle at once when nothing was added', async () => {
    await expect(new BoundedBackground(1).idle()).resolves.toBeUndefined();
  });
});

/**
 * Work left to finish in the background, at most `limit` pieces at once. A piece that ends hands its place to the
 * longest waiter, if any, and wakes no one else: `Promise.race` over the pieces in flight would attach a handler to
 * each of them at every wait (64 pieces, 20,000 small files: over a million handlers, most of the time a run spent
 * waiting), and waking every waiter to look again made each of the 8 lanes of 20,000 small files wait anew ~8 times a
 * file.
 */
export class BoundedBackground {
  private running = 0;
  private readonly waitingForRoom: Array<() => void> = [];
  private readonly waitingForIdle: Array<() => void> = [];
  private failure?: { error: unknown };

  constructor(private readonly limit: number) {}

  /** The first failure of a piece, if any (a later one is dropped: the run fails on the first). */
  get failed(): { error: unknown } | undefined {
    return this.failure;
  }

  /**
   * Takes a place for the next piece, which the caller then `add`s with no wait in between: at once (undefined) when
   * fewer than `limit` are running, else a promise resolved once an ending piece has handed its place over.
   */
  room(): Promise<void> | undefined {
    if (this.running < this.limit) {
      this.running++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
  }

  /** Leaves `piece` to run in the place `room` took: its failure is recorded, never thrown here. */
  add(piece: Promise<unknown>): void {
    piece.then(
      () => this.ended(),
      (error: unknown) => {
        this.failure ??= { error };
        this.ended();
      },
    );
  }

  /** Resolves once no piece is running. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.waitingForIdle.push(resolve));
  }

  private ended(): void {
    const next = this.waitingForRoom.shift();
    // The place goes to the waiter as it is: `running` stays.
    if (next) {
      next();
      return;
    }
    this.running--;
    if (this.running === 0) for (const wake of this.waitingForIdle.splice(0)) wake();
  }
}

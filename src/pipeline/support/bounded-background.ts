/**
 * Work left to finish in the background, at most `limit` pieces at once. Waiting for room wakes one waiter per piece
 * that ends: `Promise.race` over the pieces in flight would attach a handler to each of them at every wait (64 pieces,
 * 20,000 small files: over a million handlers, most of the time a run spent waiting).
 */
export class BoundedBackground {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private failure?: { error: unknown };

  constructor(private readonly limit: number) {}

  /** The first failure of a piece, if any (a later one is dropped: the run fails on the first). */
  get failed(): { error: unknown } | undefined {
    return this.failure;
  }

  /**
   * Waits until fewer than `limit` pieces are running and takes a place for the next, which the caller then `add`s with
   * no wait in between.
   */
  async room(): Promise<void> {
    while (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
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
  async idle(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private ended(): void {
    this.running--;
    // Every waiter looks again: `room` waiters go on if there is room, `idle` ones only at zero.
    const waiting = this.waiting.splice(0);
    for (const wake of waiting) wake();
  }
}

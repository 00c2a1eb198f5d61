/**
 * The bytes a sample is drawn from. Once the sample is `full` the source stops, so a large file is read no further than
 * the chunk that completed it; `wholeFile` says whether the sample saw the whole file.
 */
export class SampleSource {
  full = false;
  wholeFile = true;

  constructor(private readonly bytes: AsyncIterable<Uint8Array>) {}

  async *chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.bytes) {
      if (this.full) {
        this.wholeFile = false;
        return;
      }
      yield chunk;
    }
  }

  /** A record arrived after the sample filled up: the file goes on past the sample. */
  passedOver(): void {
    this.wholeFile = false;
  }
}

// What Node learns about a batch's keys while it reads them, so Postgres need not scan for it:
// which keys may repeat in the batch, and which sources and entities the batch holds.

/** 2^24 bits (2 MB) whatever the batch size: more keys only mean more false "maybe repeated". */
const BITS = 1 << 24;

export class BatchKeys {
  private readonly bits = new Uint32Array(BITS / 32);
  private readonly kinds = new Map<string, Set<string>>();

  /**
   * Notes a valid record's key and tells whether its key hash may have been noted before. Never
   * false for a key seen before; sometimes true for a new one, which only sends the key down the
   * general (windowed) path of change detection, right for any key.
   */
  note(source: string, entity: string, keyHash: number): boolean {
    let entities = this.kinds.get(source);
    if (!entities) this.kinds.set(source, (entities = new Set()));
    entities.add(entity);
    const bit = keyHash % BITS;
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    const seen = (this.bits[word]! & mask) !== 0;
    this.bits[word]! |= mask;
    return seen;
  }

  /** The batch's distinct (source, entity) pairs as two parallel arrays, for unnest() in SQL. */
  kindsOfRecord(): { sources: string[]; entities: string[] } {
    const sources: string[] = [];
    const entities: string[] = [];
    for (const [source, set] of this.kinds) {
      for (const entity of set) {
        sources.push(source);
        entities.push(entity);
      }
    }
    return { sources, entities };
  }
}

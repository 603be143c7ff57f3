// What Node learns about a batch's keys while it reads them, so Postgres need not scan for it:
// which keys may repeat in the batch, which sources and entities the batch holds, and when each
// source partition was first and last observed.

/** 2^24 bits (2 MB) whatever the batch size: more keys only mean more false "maybe repeated". */
const BITS = 1 << 24;

export class BatchKeys {
  private readonly bits = new Uint32Array(BITS / 32);
  private readonly kinds = new Map<string, Set<string>>();
  private readonly observed = new Map<string, { source: string; partition: string; first: Instant; last: Instant }>();
  private lastObservedLine = { source: '', partition: '', at: '' };

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

  /**
   * Notes a valid record's observation time. Per source partition it keeps the earliest and the
   * latest to the millisecond, with every distinct text that ties there: Postgres, which keeps
   * microseconds, takes the least or latest of those. Records of a page share their time: a repeat
   * is one compare.
   */
  noteObserved(source: string, partition: string, at: string): void {
    const last = this.lastObservedLine;
    if (at === last.at && partition === last.partition && source === last.source) return;
    this.lastObservedLine = { source, partition, at };
    const id = `${source}\u0000${partition}`;
    const ms = Date.parse(at);
    const span = this.observed.get(id);
    if (!span) {
      this.observed.set(id, { source, partition, first: { ms, texts: new Set([at]) }, last: { ms, texts: new Set([at]) } });
      return;
    }
    if (ms > span.last.ms) span.last = { ms, texts: new Set([at]) };
    else if (ms === span.last.ms) span.last.texts.add(at);
    if (ms < span.first.ms) span.first = { ms, texts: new Set([at]) };
    else if (ms === span.first.ms) span.first.texts.add(at);
  }

  /** The latest observation times of a source's partitions, as parallel arrays (a partition may come more than once). */
  lastObserved(source: string): { partitions: string[]; at: string[] } {
    return this.instants(source, 'last');
  }

  /** The earliest observation times of a source's partitions, likewise. */
  firstObserved(source: string): { partitions: string[]; at: string[] } {
    return this.instants(source, 'first');
  }

  private instants(source: string, which: 'first' | 'last'): { partitions: string[]; at: string[] } {
    const partitions: string[] = [];
    const at: string[] = [];
    for (const o of this.observed.values()) {
      if (o.source !== source) continue;
      for (const text of o[which].texts) {
        partitions.push(o.partition);
        at.push(text);
      }
    }
    return { partitions, at };
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

/** An observation time to the millisecond, with every text that names it. */
interface Instant {
  ms: number;
  texts: Set<string>;
}

// What staging knows of a source: what its callers hand it (src/pipeline/source-rules.ts builds these
// from the spiders), so staging never imports a spider. A source without rules (another producer's)
// lands what its lines say, after the door limits every line passes.
/** `partition` undefined: the source does not partition its records (the line's own stands). */
export type SourceVerdict = { ok: true; data: Record<string, unknown>; key: string; partition: string | undefined } | { ok: false; reason: string };

export interface SourceRules {
  /** The entity this source's records are. */
  entity: string;
  /** Fields left out of the content hash when a line names none. */
  volatile?: string[];
  /** The hash of the code that validates (written in a trawl crawl's start line); absent: never trusted. */
  schemaHash?: string;
  /** Judges a record's data: parsed data, key and partition, or the reason. */
  validate(data: unknown): SourceVerdict;
}

export type SourceRulebook = ReadonlyMap<string, SourceRules>;

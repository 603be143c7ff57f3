// Advisory lock keys. Every writer of staging versions (ingest's apply step, quarantine retry, rehash)
// holds STAGING_WRITE until it commits, so version ids become visible in order and the ETL watermark
// never skips one.
export const LOCK = {
  stagingWrite: 7_401_001,
  export: 7_401_002,
  etl: 7_401_003,
  /** Two-key locks: (class, hashtext(spider)). */
  spiderClass: 7_401_100,
  catchUpClass: 7_401_200,
} as const;

// Advisory lock keys. Ingest commits and the ETL watermark read take STAGING_WRITE, so the ETL never
// sees a later version id committed before an earlier one.
export const LOCK = {
  stagingWrite: 7_401_001,
  export: 7_401_002,
  etl: 7_401_003,
  /** Two-key locks: (class, hashtext(spider)). */
  spiderClass: 7_401_100,
  catchUpClass: 7_401_200,
} as const;

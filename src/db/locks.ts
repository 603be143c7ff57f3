// Advisory lock keys. Ingest commits and the ETL watermark read take STAGING_WRITE, so the ETL never
// sees a later version id committed before an earlier one.
export const LOCK = {
  stagingWrite: 7_401_001,
  export: 7_401_002,
} as const;

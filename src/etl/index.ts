// The ETL stage: staging into the 3NF core with price history, which the marts read.
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { type EtlResult, runEtl } from './run-etl.ts';

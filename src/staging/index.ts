// The staging stage: raw files in, new and changed records landed through the change-detection index.
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { ingestFromBucket } from './landing.ts';
export { locateUnder } from './overlapping-sightings.ts';
export { clearQuarantinedFiles, listQuarantinedFiles } from './poison-file.ts';
export { listQuarantine, retryQuarantine } from './quarantine.ts';
export { rehashStaging } from './rehash.ts';
export { type IngestSummary, runIngest } from './run-ingest.ts';
export { type SourceRulebook, type SourceRules } from './source-rules.ts';

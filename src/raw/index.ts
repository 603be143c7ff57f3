// Raw files: the JSON lines every crawl writes, read, archived and owned while written.
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { isInsideRawDir, listRawFiles } from './list-raw-files.ts';
export { claimPart, releasePart } from './part-owner.ts';
export { RangeReader } from './range-reader.ts';
export { archivedPaths, archiveMissing, archiveRawFile, restoreMissing } from './raw-archive.ts';
export { rawFileRelPath, type RawRecord, readRawRecord, type RunEnd, runEndSchema, type RunStart } from './raw-line.ts';
export { RawWriter } from './raw-writer.ts';
export { isLineRefusal, type RawFileLine, readLineBatches, readLines } from './read-lines.ts';
export { canonicalKey, recordLimitReason } from './record-limits.ts';

// The export stage: mart queries published as static JSON with a manifest and an OpenAPI spec.
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { MANIFEST_KEY, readManifest } from './manifest.ts';
export { isContentAddressed } from './object-path.ts';
export { type ExportResult, runExport } from './run-export.ts';
export { type LakeResult, runLakeExport } from './run-lake-export.ts';
export { serveFolder } from './serve-folder.ts';
export { type ExportTarget, openTarget } from './targets.ts';

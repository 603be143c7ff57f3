// The public page's static files, its chart library and v1/openapi.json: published beside the data at
// stable keys, each uploaded only when its bytes changed, and recorded in the manifest by hash.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ExportDefinition } from './export-definition.ts';
import type { ManifestHeader } from './manifest.ts';
import { sha256 } from './object-body.ts';
import { contentTypeOf } from './object-path.ts';
import { buildOpenApi, type ColumnTypes } from './openapi.ts';
import type { ExportTarget } from './targets.ts';

const SITE_DIR = path.resolve(import.meta.dirname, 'site');

/**
 * The chart library (uPlot, MIT), copied from its npm package so that a reader's browser asks nothing
 * of any other host: key in the export -> file in the package.
 */
const VENDOR_FILES: Record<string, string> = {
  'vendor/uplot.min.js': 'uplot/dist/uPlot.iife.min.js',
  'vendor/uplot.min.css': 'uplot/dist/uPlot.min.css',
  'vendor/uplot.LICENSE.txt': 'uplot/LICENSE',
};

/** Every page file by its key: the site folder's files and the vendored library. */
function siteFiles(): [key: string, file: string][] {
  const require = createRequire(import.meta.url);
  return [
    ...fs.readdirSync(SITE_DIR).map((f): [string, string] => [f, path.join(SITE_DIR, f)]),
    ...Object.entries(VENDOR_FILES).map(([key, file]): [string, string] => [key, require.resolve(file)]),
  ];
}

export async function publishSiteAssets(
  target: ExportTarget,
  api: { definitions: ExportDefinition[]; types: ColumnTypes },
  manifest: ManifestHeader,
  before: ManifestHeader | undefined,
  cacheControl: string,
): Promise<void> {
  const assets: [string, string][] = siteFiles().map(([key, file]) => [key, fs.readFileSync(file, 'utf8')]);
  assets.push(['v1/openapi.json', `${JSON.stringify(buildOpenApi(api.definitions, api.types), null, 1)}\n`]);
  for (const [key, body] of assets) {
    manifest.assets[key] = sha256(body);
    if (before?.assets?.[key] !== manifest.assets[key]) await target.put(key, body, { contentType: contentTypeOf(key), cacheControl });
  }
}

// The public page's static files and v1/openapi.json: published beside the data at stable keys, each
// uploaded only when its bytes changed, and recorded in the manifest by hash.
import fs from 'node:fs';
import path from 'node:path';
import type { ExportDefinition } from './export-definition.ts';
import type { ManifestHeader } from './manifest.ts';
import { sha256 } from './object-body.ts';
import { buildOpenApi, type ColumnTypes } from './openapi.ts';
import type { ExportTarget } from './targets.ts';

export const SITE_DIR = path.resolve(import.meta.dirname, 'site');
const SITE_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export async function publishSiteAssets(
  target: ExportTarget,
  api: { definitions: ExportDefinition[]; types: ColumnTypes },
  manifest: ManifestHeader,
  before: ManifestHeader | undefined,
  headers: { json: string; cacheControl: string },
): Promise<void> {
  const assets: [string, string, string][] = fs
    .readdirSync(SITE_DIR)
    .map((f) => [f, fs.readFileSync(path.join(SITE_DIR, f), 'utf8'), SITE_TYPES[path.extname(f)] ?? 'application/octet-stream']);
  assets.push(['v1/openapi.json', `${JSON.stringify(buildOpenApi(api.definitions, api.types), null, 1)}\n`, headers.json]);
  for (const [key, body, contentType] of assets) {
    manifest.assets[key] = sha256(body);
    if (before?.assets?.[key] !== manifest.assets[key]) await target.put(key, body, { contentType, cacheControl: headers.cacheControl });
  }
}

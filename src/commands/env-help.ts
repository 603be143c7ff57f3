// The "Environment:" part of each command's --help: the variables it reads, described by config.ts.
import { ENV_VARS, type EnvVar } from '../config.ts';

export const DB_VARS: EnvVar[] = ['DATABASE_URL', 'EMBEDDED_PG_DIR', 'EMBEDDED_PG_PORT'];
const LOG_VARS: EnvVar[] = ['LOG_LEVEL', 'LOG_FORMAT'];
export const CRAWL_VARS: EnvVar[] = ['TRAWL_DATA_DIR', 'TRAWL_USER_AGENT', 'CHROMIUM_PATH', 'CRAWL_MAX_PAGES', 'BODY_RETENTION_DAYS', 'DEMO_PORT', 'TRAWL_NOW'];
export const EXPORT_VARS: EnvVar[] = ['EXPORT_TARGET', 'EXPORT_CACHE_MAX_AGE', 'EXPORT_MAX_SHRINK_SHARE', 'FEED_DROP_MIN_SHARE', 'LAKE_TARGET', 'S3_ENDPOINT', 'S3_REGION', 'S3_FORCE_PATH_STYLE', 'S3_REQUEST_TIMEOUT_SECS', 'TRAWL_NOW'];
export const INGEST_VARS: EnvVar[] = ['TRAWL_DATA_DIR', 'DELIST_MAX_MISSING_SHARE'];

export function envHelp(vars: EnvVar[]): string {
  const unique = [...new Set([...vars, ...LOG_VARS])];
  const width = Math.max(...unique.map((v) => v.length));
  return `\nEnvironment:\n${unique.map((v) => `  ${v.padEnd(width)}  ${ENV_VARS[v]}`).join('\n')}\n`;
}

// The only reader of process.env. Everything else receives a Config.
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { z } from 'zod';
import { EXIT, UserError, messageOf } from './lib/errors.ts';
import type { LogSettings } from './lib/logger.ts';
import { redactSecrets, redactWebhook } from './lib/redact-secrets.ts';
import type { S3Settings } from './lib/s3.ts';

// Numbers are written in decimal: " " is not 0, and "0x10" or "1e3" are not numbers here.
const int = (min: number, max: number) =>
  z.string().trim().regex(/^\d+$/, 'must be a whole decimal number').transform(Number).pipe(z.number().int().min(min).max(max));
const share = z.string().trim().regex(/^\d+(\.\d+)?$/, 'must be a decimal number').transform(Number).pipe(z.number().min(0).max(1));
/** No control characters: a header value with CR/LF would fail every request, or split it. */
const headerValue = z
  .string()
  .min(1)
  .refine((v) => ![...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'must hold no control characters (CR, LF, tab, …)');
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));

/** Every variable trawl reads, with its default and what it means (also printed by --help and .env.example). */
export const ENV_VARS = {
  DATABASE_URL: 'Postgres connection URL. Unset: trawl starts an embedded Postgres itself.',
  TRAWL_DATA_DIR: 'Folder for raw files (default ./data).',
  EXPORT_TARGET: 'Where exports go: file://<folder> or s3://<bucket>/<prefix> (default file://./public).',
  EXPORT_CACHE_MAX_AGE: 'Cache-Control max-age in seconds for stable export keys (default 3600).',
  EXPORT_MAX_SHRINK_SHARE: 'trawl export refuses a generation that would remove more than this share of the published objects, unless --allow-shrink (default 0.5).',
  FEED_DROP_MIN_SHARE: 'v1/feeds/drops.atom lists price drops of at least this share of the price before (default 0.2, 20%).',
  LAKE_TARGET: 'Where the Parquet lake goes: file://<folder> or s3://<bucket>/<prefix>. Set, `trawl export` and `trawl run` write it too; `trawl export --lake` writes it alone (default: unset, no lake).',
  S3_ENDPOINT: 'S3-compatible endpoint URL (MinIO, R2, Ceph); unset for AWS S3. Credentials come from the AWS chain.',
  S3_REGION: 'S3 region (default us-east-1).',
  S3_FORCE_PATH_STYLE: 'Use path-style S3 URLs (default true when S3_ENDPOINT is set).',
  S3_REQUEST_TIMEOUT_SECS: 'An S3 request that gets no answer for this long fails and is retried, up to 4 attempts in all (default 60).',
  CHROMIUM_PATH: 'Chromium binary for browser pages (default /usr/bin/chromium).',
  EMBEDDED_PG_DIR: 'Folder of the embedded Postgres (default /var/lib/trawl/<project> as root, else <TRAWL_DATA_DIR>/pg).',
  EMBEDDED_PG_PORT: 'Port of the embedded Postgres on 127.0.0.1 (default 54329).',
  LOG_LEVEL: 'trace|debug|info|warn|error (default info).',
  LOG_FORMAT: 'auto|pretty|json: auto is pretty on a terminal, JSON lines otherwise (default auto).',
  TRAWL_USER_AGENT: 'User-Agent sent by the crawlers.',
  TRAWL_NOW: 'Fixes the clock to this ISO time, for reproducible runs (default: the real clock).',
  DEMO_PORT: 'Port of the bundled demo store on 127.0.0.1 (default 8931).',
  CRAWL_MAX_PAGES: 'Page budget per crawl run; a run cut by it is not complete (default 10000).',
  LANDING_MAX_BYTES: '`trawl ingest --from`: a landing object larger than this, after gunzip, is quarantined as it downloads (default 1073741824, 1 GiB).',
  RAW_ARCHIVE: 'Copy every finished raw file (gzip) to this s3://<bucket>/<prefix>, so the local disk is not the only copy.',
  SCHEDULES_FILE: 'The schedules: per spider a cron expression, time zone and staleness threshold (default ./schedules.json).',
  SOURCES_FILE: "What each spider crawls (countries, categories, watchlists), overriding the spiders' defaults (default ./sources.json; a missing file means the defaults).",
  ALERT_WEBHOOK_URL: 'POST a Slack-compatible JSON message here on a failed or stale run and on a collapsed crawl.',
  RAW_RETENTION_DAYS: 'trawl prune deletes raw files older than this, once ingested (and archived when RAW_ARCHIVE is set) (default 90).',
  BODY_RETENTION_DAYS:
    'Days the compressed response bodies of each crawl run are kept for `trawl reparse`; trawl prune deletes older ones; 0 keeps none (default 30).',
  EXPORT_GENERATIONS_KEEP: 'trawl prune keeps the content-addressed objects of this many latest export generations (default 10).',
  RUNS_RETENTION_DAYS: 'trawl prune deletes ops.runs rows older than this (default 180).',
  TRAWL_FAILPOINT: 'Fault-injection tests only: <name>[@<n>] kills the process at that named point.',
  DELIST_MAX_MISSING_SHARE:
    'A complete crawl missing more than this share of the previous complete crawl is treated as collapsed: it delists nothing (default 0.5).',
} as const;

export type EnvVar = keyof typeof ENV_VARS;

/** A variable's value as an error may show it: a secret's redacted, the webhook's whole path hidden. */
function shown(name: string, value: string): string {
  if (name === 'ALERT_WEBHOOK_URL') return redactWebhook(value);
  return redactSecrets(value);
}

/** postgres://user@host/db, or postgres:///db?host=/socket/dir: never only PG* variables' defaults. */
function hasHostAndDatabase(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.hostname !== '' || u.searchParams.has('host')) && u.pathname.length > 1;
  } catch {
    return false;
  }
}

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .refine(hasHostAndDatabase, 'must name a host (or ?host= for a socket) and a database')
    .optional(),
  TRAWL_DATA_DIR: z.string().min(1).default('./data'),
  EXPORT_TARGET: z
    .string()
    .regex(/^(file|s3):\/\/.+/, 'must be file://<folder> or s3://<bucket>/<prefix>')
    .default('file://./public'),
  EXPORT_CACHE_MAX_AGE: int(0, 31_536_000).default(3600),
  EXPORT_MAX_SHRINK_SHARE: share.default(0.5),
  FEED_DROP_MIN_SHARE: share.default(0.2),
  LAKE_TARGET: z.string().regex(/^(file|s3):\/\/.+/, 'must be file://<folder> or s3://<bucket>/<prefix>').optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool.optional(),
  S3_REQUEST_TIMEOUT_SECS: int(1, 3600).default(60),
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  EMBEDDED_PG_DIR: z.string().min(1).optional(),
  EMBEDDED_PG_PORT: int(1024, 65535).default(54329),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  TRAWL_USER_AGENT: headerValue.default('trawl/0.1 (+https://github.com/trawl-etl/trawl; price tracker)'),
  TRAWL_NOW: z.iso.datetime({ offset: true }).optional(),
  DEMO_PORT: int(1024, 65535).default(8931),
  CRAWL_MAX_PAGES: int(1, 10_000_000).default(10_000),
  DELIST_MAX_MISSING_SHARE: share.default(0.5),
  SCHEDULES_FILE: z.string().min(1).default('./schedules.json'),
  SOURCES_FILE: z.string().min(1).default('./sources.json'),
  ALERT_WEBHOOK_URL: z.url().optional(),
  RAW_RETENTION_DAYS: int(1, 36500).default(90),
  BODY_RETENTION_DAYS: int(0, 36500).default(30),
  EXPORT_GENERATIONS_KEEP: int(2, 10000).default(10),
  RUNS_RETENTION_DAYS: int(1, 36500).default(180),
  TRAWL_FAILPOINT: z.string().regex(/^[a-z.-]+(@\d+)?$/, 'must be <name>[@<n>]').optional(),
  LANDING_MAX_BYTES: int(1, Number.MAX_SAFE_INTEGER).default(1 << 30),
  RAW_ARCHIVE: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]+[a-z0-9](\/.*)?$/, 'must be s3://<bucket>/<prefix>').optional(),
});

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  rawDir: string;
  /** Compressed response bodies per crawl run, for `trawl reparse`. */
  bodiesDir: string;
  exportTarget: string;
  exportCacheMaxAge: number;
  /** A generation removing more than this share of the published objects is refused. */
  exportMaxShrinkShare: number;
  /** v1/feeds/drops.atom: the smallest drop, as a share of the price before, it lists. */
  feedDropMinShare: number;
  /** The Parquet lake's target, like exportTarget; undefined: no lake. */
  lakeTarget: string | undefined;
  s3: S3Settings;
  chromiumPath: string;
  embeddedPg: { dir: string | undefined; port: number };
  log: LogSettings;
  userAgent: string;
  fixedNow: Date | undefined;
  demoPort: number;
  crawlMaxPages: number;
  delistMaxMissingShare: number;
  rawArchive: string | undefined;
  /** A landing object larger than this, decompressed, is quarantined. */
  landingMaxBytes: number;
  failpoint: string | undefined;
  schedulesFile: string;
  /** Per spider, the scope it crawls, as written in SOURCES_FILE (each spider validates its own entry). */
  sources: Record<string, Record<string, unknown>>;
  sourcesFile: string;
  alertWebhookUrl: string | undefined;
  retention: { rawDays: number; bodyDays: number; exportGenerations: number; runsDays: number };
  projectRoot: string;
}

/**
 * The environment a command runs with: the process's, and beneath it `.env` in the working folder
 * when there is one (a variable set in the real environment wins, even set empty).
 */
export function environmentWithDotEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): NodeJS.ProcessEnv {
  const file = path.join(cwd, '.env');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return env;
    throw new UserError(`config: cannot read ${file}: ${messageOf(err)}`, { exitCode: EXIT.usage });
  }
  return { ...util.parseEnv(text), ...env };
}

/** Reads and validates the environment. A bad value throws one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // Empty strings count as unset, as they do in most .env conventions.
  const input = Object.fromEntries(
    Object.keys(ENV_VARS).flatMap((k) => (env[k] !== undefined && env[k] !== '' ? [[k, env[k]]] : [])),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new UserError(`config: ${name}=${JSON.stringify(shown(name, String(input[name])))} is invalid: ${issue.message}`, { exitCode: EXIT.usage });
  }
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.TRAWL_DATA_DIR);
  const exportTarget = resolveFileTarget(e.EXPORT_TARGET, cwd);
  refuseVirtualFolder('TRAWL_DATA_DIR', dataDir);
  if (exportTarget.startsWith('file://')) refuseVirtualFolder('EXPORT_TARGET', exportTarget.slice('file://'.length));
  const lakeTarget = e.LAKE_TARGET === undefined ? undefined : resolveFileTarget(e.LAKE_TARGET, cwd);
  if (lakeTarget?.startsWith('file://')) refuseVirtualFolder('LAKE_TARGET', lakeTarget.slice('file://'.length));
  if (e.EMBEDDED_PG_DIR) refuseVirtualFolder('EMBEDDED_PG_DIR', path.resolve(cwd, e.EMBEDDED_PG_DIR));
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir,
    rawDir: path.join(dataDir, 'raw'),
    bodiesDir: path.join(dataDir, 'bodies'),
    exportTarget,
    exportCacheMaxAge: e.EXPORT_CACHE_MAX_AGE,
    exportMaxShrinkShare: e.EXPORT_MAX_SHRINK_SHARE,
    feedDropMinShare: e.FEED_DROP_MIN_SHARE,
    lakeTarget,
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
      requestTimeoutSecs: e.S3_REQUEST_TIMEOUT_SECS,
    },
    chromiumPath: e.CHROMIUM_PATH,
    embeddedPg: { dir: e.EMBEDDED_PG_DIR, port: e.EMBEDDED_PG_PORT },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    userAgent: e.TRAWL_USER_AGENT,
    fixedNow: e.TRAWL_NOW ? new Date(e.TRAWL_NOW) : undefined,
    demoPort: e.DEMO_PORT,
    crawlMaxPages: e.CRAWL_MAX_PAGES,
    delistMaxMissingShare: e.DELIST_MAX_MISSING_SHARE,
    rawArchive: e.RAW_ARCHIVE,
    landingMaxBytes: e.LANDING_MAX_BYTES,
    failpoint: e.TRAWL_FAILPOINT,
    schedulesFile: path.resolve(cwd, e.SCHEDULES_FILE),
    sourcesFile: path.resolve(cwd, e.SOURCES_FILE),
    sources: readSourcesFile(path.resolve(cwd, e.SOURCES_FILE)),
    alertWebhookUrl: e.ALERT_WEBHOOK_URL,
    retention: { rawDays: e.RAW_RETENTION_DAYS, bodyDays: e.BODY_RETENTION_DAYS, exportGenerations: e.EXPORT_GENERATIONS_KEEP, runsDays: e.RUNS_RETENTION_DAYS },
    projectRoot: path.resolve(import.meta.dirname, '..'),
  };
}

const sourcesSchema = z.record(z.string().regex(/^[a-z0-9_]+$/, 'spider names are lower_snake_case'), z.record(z.string(), z.unknown()));

/** The sources file: an object keyed by spider name. Missing: every spider crawls its default scope. */
function readSourcesFile(file: string): Record<string, Record<string, unknown>> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UserError(`config: SOURCES_FILE ${file} cannot be read: ${(err as Error).message}`, { exitCode: EXIT.usage });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`config: SOURCES_FILE ${file} is not JSON: ${(err as Error).message}`, { exitCode: EXIT.usage });
  }
  const parsed = sourcesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`config: SOURCES_FILE ${file}: ${issue.path.join('.') || 'top level'}: ${issue.message}`, { exitCode: EXIT.usage });
  }
  return parsed.data;
}

/**
 * Folders trawl creates must be on a real file system: under /proc, /sys or /dev, Node's recursive
 * mkdir never ends (it spins, synchronously, deaf to SIGTERM).
 */
function refuseVirtualFolder(name: string, folder: string): void {
  // Where the folder really is: its nearest existing ancestor, links followed.
  let at = path.resolve(folder);
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  const real = path.join(fs.realpathSync(at), path.relative(at, path.resolve(folder)));
  const top = real.split(path.sep)[1];
  if (top === 'proc' || top === 'sys' || top === 'dev') {
    throw new UserError(`config: ${name}=${JSON.stringify(folder)} is invalid: /${top} is a virtual file system, not a place for trawl's files`, { exitCode: EXIT.usage });
  }
}

/** file:// targets are made absolute against the working directory so every stage agrees on one folder. */
function resolveFileTarget(target: string, cwd: string): string {
  if (!target.startsWith('file://')) return target;
  return `file://${path.resolve(cwd, target.slice('file://'.length))}`;
}

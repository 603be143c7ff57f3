// Argument parsing and exit codes only; the work lives in the modules each command calls.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createContext, type AppContext } from './app-context.ts';
import { ENV_VARS, type EnvVar } from './config.ts';
import { EXIT, UserError, messageOf, type ExitCode } from './lib/errors.ts';
import { redactSecrets } from './lib/redact-secrets.ts';
import { formatTable, seconds } from './lib/table.ts';
import type { PipelineResult } from './pipeline/run-pipeline.ts';
import { DEFAULT_POLITENESS } from './spiders/define-spider.ts';

// Command modules load on use: Crawlee, Playwright and the AWS SDK take seconds to import, and
// `--help` or `status` need none of them.
const load = {
  crawl: () => import('./crawl/run-crawl.ts'),
  reparse: () => import('./crawl/reparse.ts'),
  try: () => import('./crawl/try-route.ts'),
  demo: () => import('./demo/run-demo.ts'),
  etl: () => import('./etl/run-etl.ts'),
  export: () => import('./export/run-export.ts'),
  serve: () => import('./export/serve-folder.ts'),
  targets: () => import('./export/targets.ts'),
  status: () => import('./ops/status.ts'),
  pipeline: () => import('./pipeline/run-pipeline.ts'),
  registry: () => import('./spiders/registry.ts'),
  ingest: () => import('./staging/run-ingest.ts'),
  landing: () => import('./staging/landing.ts'),
  quarantine: () => import('./staging/quarantine.ts'),
  overlappingSightings: () => import('./staging/overlapping-sightings.ts'),
  poisonFiles: () => import('./staging/poison-file.ts'),
  rehash: () => import('./staging/rehash.ts'),
  schedules: () => import('./schedule/schedules.ts'),
  crontab: () => import('./schedule/render-crontab.ts'),
  systemd: () => import('./schedule/render-systemd.ts'),
  worker: () => import('./schedule/worker.ts'),
  prune: () => import('./ops/prune.ts'),
  rebuild: () => import('./ops/rebuild.ts'),
  archive: () => import('./raw/raw-archive.ts'),
  database: () => import('./db/database.ts'),
  alerts: () => import('./ops/alerts.ts'),
};

const DB_VARS: EnvVar[] = ['DATABASE_URL', 'EMBEDDED_PG_DIR', 'EMBEDDED_PG_PORT'];
const LOG_VARS: EnvVar[] = ['LOG_LEVEL', 'LOG_FORMAT'];
const CRAWL_VARS: EnvVar[] = ['TRAWL_DATA_DIR', 'TRAWL_USER_AGENT', 'CHROMIUM_PATH', 'CRAWL_MAX_PAGES', 'BODY_RETENTION_DAYS', 'DEMO_PORT', 'TRAWL_NOW'];
const EXPORT_VARS: EnvVar[] = ['EXPORT_TARGET', 'EXPORT_CACHE_MAX_AGE', 'EXPORT_MAX_SHRINK_SHARE', 'S3_ENDPOINT', 'S3_REGION', 'S3_FORCE_PATH_STYLE', 'S3_REQUEST_TIMEOUT_SECS', 'TRAWL_NOW'];
const INGEST_VARS: EnvVar[] = ['TRAWL_DATA_DIR', 'DELIST_MAX_MISSING_SHARE'];

function envHelp(vars: EnvVar[]): string {
  const unique = [...new Set([...vars, ...LOG_VARS])];
  const width = Math.max(...unique.map((v) => v.length));
  return `\nEnvironment:\n${unique.map((v) => `  ${v.padEnd(width)}  ${ENV_VARS[v]}`).join('\n')}\n`;
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
};

const tcpPort = (value: string) => {
  const n = positiveInt(value);
  if (n > 65535) throw new InvalidArgumentError('must be a TCP port, 1 to 65535');
  return n;
};

const parseUserData = (value: string) => {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError('must be a JSON object');
  return v as Record<string, unknown>;
};

/** `ingest --source`: each name is a spider or has raw files (another producer's); anything else is a typo. */
async function checkSources(names: string[], rawDir: string): Promise<void> {
  const spiders = await (await load.registry()).loadSpiders();
  const folders = fs.existsSync(rawDir) ? fs.readdirSync(rawDir) : [];
  const unknown = names.filter((n) => !spiders.has(n) && !folders.includes(n));
  if (unknown.length) throw new UserError(`unknown source "${unknown[0]}": neither a spider (${[...spiders.keys()].join(', ')}) nor a folder of raw files in ${rawDir}`, { exitCode: EXIT.usage });
}

/** The version in package.json. */
function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }).version;
}

/** Runs a command body with a context, turning errors into one line and an exit code. */
async function act(opts: { day?: number }, body: (ctx: AppContext) => Promise<ExitCode | void>): Promise<void> {
  let ctx: AppContext | undefined;
  let code: ExitCode = EXIT.ok;
  try {
    ctx = createContext(opts);
    const returned = await body(ctx);
    // A stopped command that has no say of its own did not finish its work.
    code = returned ?? (ctx.signal.aborted ? EXIT.failed : EXIT.ok);
  } catch (err) {
    code = err instanceof UserError ? err.exitCode : EXIT.failed;
    process.stderr.write(`trawl: ${redactSecrets(messageOf(err).split('\n')[0]!)}\n`);
    if (!(err instanceof UserError) && ctx?.log.isLevelEnabled('debug')) process.stderr.write(`${redactSecrets(String((err as Error).stack))}\n`);
  } finally {
    await ctx?.close();
  }
  process.exitCode = code;
}

/** A crawl that read no page at all, though it tried, did not work: it exits failed, not partial. */
const readNothing = (c: { pages: number; failedRequests: number }) => c.pages === 0 && c.failedRequests > 0;

function printPipeline(results: { label: string; result: PipelineResult }[], elapsedMs: number): ExitCode {
  const rows = results.map(({ label, result: r }) => ({
    run: label,
    pages: r.crawls.reduce((a, c) => a + c.pages, 0),
    records: r.ingest.records,
    'new versions': r.ingest.newVersions,
    unchanged: r.ingest.unchanged,
    delisted: r.ingest.delisted,
    quarantined: r.ingest.quarantined,
    'new in quarantine': r.ingest.newQuarantined,
    exported: `${r.export.uploaded}/${r.export.objects}`,
    complete: r.crawls.every((c) => c.complete) ? 'yes' : 'NO',
  }));
  process.stdout.write(`${formatTable(rows)}\n\ntime ${seconds(elapsedMs)}; exported = objects uploaded/published\n`);
  // Exit 3 for what is news: a line quarantined for a key or reason not seen before (the table counts all).
  const quarantined = results.some((r) => r.result.ingest.newQuarantined > 0 || r.result.ingest.quarantinedFiles.length > 0);
  const incomplete = results.some((r) => r.result.crawls.some((c) => !c.complete));
  if (results.some((r) => r.result.crawls.some(readNothing))) return EXIT.failed;
  return quarantined || incomplete ? EXIT.partial : EXIT.ok;
}

export function buildProgram(): Command {
  const program = new Command('trawl')
    .description('Scraper-to-warehouse ETL: crawl sources, keep raw JSON, land changes in Postgres, publish static JSON.')
    .addHelpText(
      'after',
      `${envHelp(Object.keys(ENV_VARS) as EnvVar[])}\nExit codes: 0 ok, 1 failed, 2 usage or config error, 3 partial (records quarantined or crawl incomplete), 4 already running, 5 stale (status).\n`,
    )
    .version(packageVersion(), '--version', 'print the version and exit')
    // Usage errors: one line, exit 2. Set before the commands are added, which copy these settings.
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`trawl: ${str.replace(/^error: /, '').trim()} (trawl --help lists the commands)\n`) });

  program
    .command('migrate')
    .description('Apply pending database migrations (every command that needs the database does this first).')
    .addHelpText('after', envHelp(DB_VARS))
    .action(() =>
      act({}, async (ctx) => {
        const db = await ctx.database();
        process.stdout.write(`database ${redactSecrets(db.url)} is up to date\n`);
      }),
    );

  program
    .command('spiders')
    .description('List the spiders with their settings.')
    .action(() =>
      act({}, async () => {
        const { resumeWindowHours } = await load.crawl();
        const rows = [...(await (await load.registry()).loadSpiders()).values()].map((s) => ({
          spider: s.name,
          kind: s.kind,
          entity: s.entity,
          'base url': s.baseUrl,
          'req/min': s.politeness?.maxRequestsPerMinute ?? DEFAULT_POLITENESS.maxRequestsPerMinute,
          'full crawl h': s.expectedCrawlHours ?? '-',
          'resume window h': resumeWindowHours(s),
          description: s.description,
        }));
        process.stdout.write(`${formatTable(rows)}\n`);
      }),
    );

  program
    .command('crawl')
    .description('Crawl spiders into raw files under TRAWL_DATA_DIR/raw. Needs no database.')
    .argument('<spider...>', 'spider names (see `trawl spiders`)')
    .option('--day <n>', 'demo day for spiders that serve their own site; fixes the clock to that day', positiveInt)
    .option('--max-pages <n>', 'page budget for this run (default CRAWL_MAX_PAGES)', positiveInt)
    .option('--base-url <url>', 'crawl this site instead of the spider\'s own (testing a mirror)')
    .option('--fresh', 'start a new run even if a killed one could be resumed (that one is closed as incomplete)')
    .addHelpText('after', envHelp(CRAWL_VARS))
    .action((names: string[], o: { day?: number; maxPages?: number; baseUrl?: string; fresh?: boolean }) =>
      act({ day: o.day }, async (ctx) => {
        const started = Date.now();
        const rows = [];
        const crawls: { pages: number; failedRequests: number }[] = [];
        const incomplete: string[] = [];
        const { runCrawl } = await load.crawl();
        for (const spider of await (await load.registry()).resolveSpiders(names)) {
          const r = await runCrawl({ spider, config: ctx.config, log: ctx.log.child({ spider: spider.name }), clock: ctx.clock, day: o.day, maxPages: o.maxPages, baseUrl: o.baseUrl, fresh: o.fresh, signal: ctx.signal });
          crawls.push(r);
          rows.push({
            spider: r.spider,
            resumed: r.resumed ? 'yes' : 'no',
            pages: r.pages,
            records: r.records,
            invalid: r.invalid,
            failed: r.failedRequests,
            'yield guard': r.yieldGuardFailures,
            'robots skipped': r.robotsSkipped,
            'off-site skipped': r.offSiteSkipped,
            complete: r.complete ? 'yes' : 'NO',
            'raw file': path.relative(process.cwd(), r.rawFile),
          });
          if (!r.complete) incomplete.push(`${r.spider}: incomplete, nothing will be delisted: ${r.incompleteReasons.join('; ')}`);
        }
        process.stdout.write(`${formatTable(rows)}\n\n${incomplete.map((l) => `${l}\n`).join('')}time ${seconds(Date.now() - started)}\n`);
        if (crawls.some(readNothing)) return EXIT.failed;
        return rows.some((r) => r.invalid > 0 || r.complete !== 'yes') ? EXIT.partial : EXIT.ok;
      }),
    );

  program
    .command('ingest')
    .description('Land raw files not yet ingested in staging (new and changed records only).')
    .option('--replay <files...>', 're-ingest these raw files from their first line (changes nothing already landed)')
    .option('--source <spider...>', 'only these sources\' raw files')
    .option('--from <s3url>', 'ingest the raw files other producers dropped in this landing bucket prefix, each once')
    .addHelpText('after', envHelp([...DB_VARS, ...INGEST_VARS, 'S3_ENDPOINT', 'S3_REGION']))
    .action((o: { replay?: string[]; source?: string[]; from?: string }) =>
      act({}, async (ctx) => {
        const started = Date.now();
        const database = await ctx.database();
        if (o.from) {
          const { ingestFromBucket } = await load.landing();
          const spiders = await (await load.registry()).loadSpiders();
          const r = await ingestFromBucket({ url: o.from, config: ctx.config, pool: database.pool, spiders, log: ctx.log });
          const rows = [
            ...r.files.map((f) => ({ file: f.path, records: f.records, 'new versions': f.newVersions, quarantined: f.quarantined, status: 'ingested' })),
            ...r.quarantinedFiles.map((f) => ({ file: f.path, records: 0, 'new versions': 0, quarantined: 0, status: `quarantined: ${f.reason}` })),
          ];
          process.stdout.write(`${formatTable(rows)}\n\n${r.files.length} file(s) ingested, ${r.quarantinedFiles.length} quarantined, time ${seconds(Date.now() - started)}\n`);
          return r.quarantinedFiles.length > 0 || r.files.some((f) => f.newQuarantined > 0) ? EXIT.partial : EXIT.ok;
        }
        if (o.source) await checkSources(o.source, ctx.config.rawDir);
        const { runIngest } = await load.ingest();
        const s = await runIngest({ database, rawDir: ctx.config.rawDir, log: ctx.log, delistMaxMissingShare: ctx.config.delistMaxMissingShare, sources: o.source, replay: o.replay, signal: ctx.signal });
        const rows = [
          ...s.files.map((f) => ({ file: f.path, records: f.records, 'new versions': f.newVersions, unchanged: f.unchanged, delisted: f.delisted, quarantined: f.quarantined, status: 'ingested' })),
          ...s.quarantinedFiles.map((f) => ({ file: f.path, records: 0, 'new versions': 0, unchanged: 0, delisted: 0, quarantined: 0, status: `file quarantined: ${f.reason.slice(0, 120)}` })),
        ];
        const passed = s.skippedQuarantinedFiles.length ? `; ${s.skippedQuarantinedFiles.length} quarantined file(s) passed over (trawl quarantine retry)` : '';
        process.stdout.write(`${formatTable(rows)}\n\n${s.files.length} file(s), ${s.newVersions} new version(s), ${s.quarantined} quarantined, ${s.quarantinedFiles.length} file(s) quarantined${passed}, time ${seconds(Date.now() - started)}\n`);
        return s.newQuarantined > 0 || s.quarantinedFiles.length > 0 ? EXIT.partial : EXIT.ok;
      }),
    );

  const quarantine = program
    .command('quarantine')
    .description('List quarantined records with their reasons (open ones; --all for resolved too), and the files quarantined whole.')
    .option('--all', 'include records a retry has landed')
    .option('--json', 'print JSON for machines')
    .addHelpText('after', envHelp(DB_VARS))
    .action((o: { all?: boolean; json?: boolean }) =>
      act({}, async (ctx) => {
        const pool = (await ctx.database()).pool;
        const rows = await (await load.quarantine()).listQuarantine(pool, { all: o.all });
        const files = await (await load.poisonFiles()).listQuarantinedFiles(pool);
        if (o.json) process.stdout.write(`${JSON.stringify({ records: rows, files }, null, 2)}\n`);
        else {
          const fileTable = files.length ? `\n\nfiles quarantined whole:\n${formatTable(files.map((f) => ({ file: f.path, reason: f.reason.slice(0, 120), since: f.quarantined_at.toISOString() })))}` : '';
          process.stdout.write(`${formatTable(rows.map((r) => ({ file: r.file, line: r.raw_line, source: r.source, key: r.key && r.key.length > 80 ? `${r.key.slice(0, 77)}...` : r.key, reason: r.reason.slice(0, 100), resolved: r.resolved_at ? 'yes' : '' })))}${fileTable}\n\n${rows.length} record(s), ${files.length} file(s)\n`);
        }
      }),
    );
  quarantine
    .command('retry')
    .description('Re-validate quarantined records with the current schemas (they land, or stay with a new reason), and let the next ingest try quarantined files again.')
    .addHelpText('after', envHelp(DB_VARS))
    .action(() =>
      act({}, async (ctx) => {
        const spiders = await (await load.registry()).loadSpiders();
        const pool = (await ctx.database()).pool;
        const { locateUnder } = await load.overlappingSightings();
        const r = await (await load.quarantine()).retryQuarantine(pool, spiders, locateUnder(ctx.config.rawDir), ctx.log);
        const files = await (await load.poisonFiles()).clearQuarantinedFiles(pool);
        process.stdout.write(`retried ${r.retried}: ${r.landed} landed (${r.newVersions} new versions), ${r.stillQuarantined} still quarantined; ${files} quarantined file(s) will be tried again by the next ingest\n`);
        return r.stillQuarantined > 0 ? EXIT.partial : EXIT.ok;
      }),
    );

  program
    .command('try')
    .description('Run one route of a spider on one URL (fetched once, robots.txt respected) or a saved response file; follows nothing, writes nothing, prints what it would emit, enqueue and quarantine.')
    .argument('<spider>', 'the spider')
    .argument('<url-or-file>', 'an http(s) URL, or the path of a saved response body')
    .option('--route <label>', "the route (default: the route of the spider's first start request)")
    .option('--user-data <json>', 'userData for the request as a JSON object (default: that of a start request of the route)', parseUserData)
    .addHelpText('after', `${envHelp(['TRAWL_USER_AGENT', 'SOURCES_FILE'])}\nExit codes: 0 every record valid and the yield guard passes, 3 something would be quarantined or the yield guard fails, 1 the page could not be fetched or parsed, 2 usage.\n`)
    .action((name: string, target: string, o: { route?: string; userData?: Record<string, unknown> }) =>
      act({}, async (ctx) => {
        const [spider] = await (await load.registry()).resolveSpiders([name]);
        const m = await load.try();
        const r = await m.tryRoute({ spider: spider!, target, route: o.route, userData: o.userData, config: ctx.config, log: ctx.log });
        process.stdout.write(m.formatTryResult(r));
        return r.yieldError || r.lines.some((l) => l.invalid) ? EXIT.partial : EXIT.ok;
      }),
    );

  program
    .command('reparse')
    .description('Run the current parsers over a crawl run\'s stored response bodies into a new raw file, without fetching.')
    .argument('<run-id>', 'the run id (the raw file\'s name without .jsonl)')
    .addHelpText('after', envHelp(['TRAWL_DATA_DIR', 'BODY_RETENTION_DAYS']))
    .action((runId: string) =>
      act({}, async (ctx) => {
        const started = Date.now();
        const r = await (await load.reparse()).reparse({ runId, config: ctx.config, log: ctx.log });
        const row = { spider: r.spider, 'from run': r.fromRun, pages: r.pages, records: r.records, invalid: r.invalid, 'failed pages': r.failedPages, 'bodies missing': r.bodiesMissing, complete: r.complete ? 'yes' : 'NO', 'raw file': path.relative(process.cwd(), r.rawFile) };
        const missing = r.bodiesMissing ? `the run kept no body for ${r.bodiesMissing} of its pages (they were cut, e.g. by a full disk): this reparse is incomplete and delists nothing\n` : '';
        process.stdout.write(`${formatTable([row])}\n\n${missing}time ${seconds(Date.now() - started)}; \`trawl ingest\` lands it\n`);
        return r.invalid > 0 || r.failedPages > 0 || r.bodiesMissing > 0 ? EXIT.partial : EXIT.ok;
      }),
    );

  program
    .command('rehash')
    .description('Recompute every staging hash with this version of the canonical form (after an upgrade that changed it).')
    .addHelpText('after', envHelp(DB_VARS))
    .action(() =>
      act({}, async (ctx) => {
        const r = await (await load.rehash()).rehashStaging((await ctx.database()).pool);
        process.stdout.write(`rehashed ${r.versions} version(s): hash version ${r.from} -> ${r.to}\n`);
      }),
    );

  program
    .command('etl')
    .description('Build the 3NF core and marts from staging (sql/etl/*.sql, in one transaction).')
    .option('--full', 'rebuild core from all of staging instead of from the watermark')
    .addHelpText('after', envHelp(DB_VARS))
    .action((o: { full?: boolean }) =>
      act({}, async (ctx) => {
        const { runEtl } = await load.etl();
        const r = await runEtl({ database: await ctx.database(), log: ctx.log, full: o.full, signal: ctx.signal });
        process.stdout.write(`etl ${r.full ? 'full' : 'incremental'}: ${r.keys} key(s), ${r.priceRows} price row(s), versions ${r.fromWatermark}..${r.toWatermark}, ${r.steps.length} step(s), time ${seconds(r.durationMs)}\n`);
      }),
    );

  program
    .command('export')
    .description('Publish sql/exports/*.sql as static JSON under EXPORT_TARGET; v1/manifest.json last.')
    .option('--allow-shrink', 'publish even a generation that removes more than EXPORT_MAX_SHRINK_SHARE of the published objects')
    .addHelpText('after', envHelp([...DB_VARS, ...EXPORT_VARS]))
    .action((o: { allowShrink?: boolean }) =>
      act({}, async (ctx) => {
        const target = (await load.targets()).openTarget(ctx.config);
        const { runExport } = await load.export();
        const r = await runExport({ database: await ctx.database(), target, clock: ctx.clock, log: ctx.log, cacheMaxAge: ctx.config.exportCacheMaxAge, maxShrinkShare: ctx.config.exportMaxShrinkShare, allowShrink: o.allowShrink, signal: ctx.signal });
        process.stdout.write(`export ${r.generation} to ${target.describe()}: ${r.objects} object(s), ${r.uploaded} uploaded, ${r.unchanged} unchanged, ${r.removed} removed, time ${seconds(r.durationMs)}\n`);
      }),
    );

  program
    .command('run')
    .description('Crawl, ingest, etl and export for the given spiders (or every scheduled one): what cron calls. A spider already running exits 4.')
    .argument('[spider...]', 'spider names (see `trawl spiders`)')
    .option('--all', 'every spider in the schedules file')
    .option('--day <n>', 'demo day for spiders that serve their own site; fixes the clock to that day', positiveInt)
    .option('--base-url <url>', 'crawl this site instead of the spider\'s own (testing a mirror)')
    .addHelpText('after', envHelp([...DB_VARS, ...CRAWL_VARS, ...INGEST_VARS, ...EXPORT_VARS, 'SCHEDULES_FILE', 'ALERT_WEBHOOK_URL']))
    .action((names: string[], o: { all?: boolean; day?: number; baseUrl?: string }) =>
      act({ day: o.day }, async (ctx) => {
        const started = Date.now();
        if (o.all) names = (await load.schedules()).loadSchedules(ctx.config.schedulesFile).map((s) => s.spider);
        if (names.length === 0) throw new UserError('name at least one spider, or --all', { exitCode: EXIT.usage });
        const spiders = await (await load.registry()).resolveSpiders(names);
        const { runPipeline } = await load.pipeline();
        const result = await runPipeline({ spiders, config: ctx.config, database: await ctx.database(), log: ctx.log, clock: ctx.clock, day: o.day, baseUrl: o.baseUrl, signal: ctx.signal });
        return printPipeline([{ label: names.join(','), result }], Date.now() - started);
      }),
    );

  program
    .command('demo')
    .description('Run the whole pipeline on the bundled demo store for day 1 and then day 2, offline.')
    .option('--days <list>', 'comma-separated demo days', (v) => v.split(',').map((d) => positiveInt(d.trim())), [1, 2])
    .addHelpText('after', envHelp([...DB_VARS, ...CRAWL_VARS, ...INGEST_VARS, ...EXPORT_VARS]))
    .action((o: { days: number[] }) =>
      act({}, async (ctx) => {
        const started = Date.now();
        const database = await ctx.database();
        const { runDemo } = await load.demo();
        const results = await runDemo({ days: o.days, config: ctx.config, database, log: ctx.log, signal: ctx.signal });
        const code = printPipeline(results.map((r) => ({ label: `day ${r.day}`, result: r.result })), Date.now() - started);
        const target = ctx.config.exportTarget;
        process.stdout.write(
          [
            '',
            'Next:',
            `  exported JSON   ${target}/v1/deals.json  (browse: npx trawl serve)`,
            `  price history   npx trawl db, then psql <url> -c 'select * from mart.price_history'`,
            `  runs            npx trawl status`,
            '',
          ].join('\n'),
        );
        return code;
      }),
    );

  program
    .command('status')
    .description('Per spider: the last run and its result, freshness of its published data, and the last 24 hours. Exits 5 when a spider is stale.')
    .option('--json', 'print JSON for machines')
    .addHelpText('after', envHelp([...DB_VARS, 'SCHEDULES_FILE', 'ALERT_WEBHOOK_URL']))
    .action((o: { json?: boolean }) =>
      act({}, async (ctx) => {
        const { loadSchedules } = await load.schedules();
        const schedules = loadSchedules(ctx.config.schedulesFile);
        const spiders = [...(await (await load.registry()).loadSpiders()).keys()];
        // Run times in ops.runs are wall-clock times, so freshness is too.
        const rows = await (await load.status()).readStatus((await ctx.database()).pool, schedules, new Date(), spiders);
        const stale = rows.filter((r) => r.stale);
        if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else
          process.stdout.write(
            `${formatTable(rows.map((r) => ({ spider: r.spider, 'last run': r.last_run_at?.toISOString() ?? 'never', result: r.last_run_status, 'fresh (h)': r.freshness_hours, 'stale after (h)': r.stale_after_hours, 'records 24h': r.records_24h, 'new versions 24h': r.new_versions_24h, 'quarantined 24h': r.quarantined_24h, 'files quarantined': r.quarantined_files, collapsed: r.collapsed ?? '', stale: r.stale ? 'STALE' : '' })))}\n`,
          );
        const { sendAlert } = await load.alerts();
        for (const r of stale) {
          await sendAlert(ctx.config.alertWebhookUrl, { kind: 'stale', spider: r.spider, message: r.freshness_hours === null ? 'never published' : `last published ${r.freshness_hours} h ago (threshold ${r.stale_after_hours} h)` }, ctx.log);
        }
        return stale.length > 0 ? EXIT.stale : EXIT.ok;
      }),
    );

  const schedule = program.command('schedule').description('Print the schedules (SCHEDULES_FILE) for cron or systemd.');
  for (const kind of ['crontab', 'systemd'] as const) {
    schedule
      .command(kind)
      .description(kind === 'crontab' ? 'Crontab lines with environment, working directory and log file.' : 'A service and a timer unit per spider.')
      .option('--log-dir <dir>', 'where cron writes each spider\'s log', '/var/log/trawl')
      .addHelpText('after', envHelp(['SCHEDULES_FILE']))
      .action((o: { logDir: string }) =>
        act({}, async (ctx) => {
          const schedules = (await load.schedules()).loadSchedules(ctx.config.schedulesFile);
          const opts = { projectDir: ctx.config.projectRoot, nodePath: process.execPath, logDir: o.logDir, schedulesFile: ctx.config.schedulesFile };
          process.stdout.write(kind === 'crontab' ? (await load.crontab()).renderCrontab(schedules, opts) : (await load.systemd()).renderSystemd(schedules, opts));
        }),
      );
  }

  program
    .command('worker')
    .description('Run the schedules through a Postgres job queue (pg-boss); start one per VM. Ctrl-C or SIGTERM stops it gracefully.')
    .addHelpText('after', envHelp([...DB_VARS, ...CRAWL_VARS, ...INGEST_VARS, ...EXPORT_VARS, 'SCHEDULES_FILE', 'ALERT_WEBHOOK_URL']))
    .action(() =>
      act({}, async (ctx) => {
        const schedules = (await load.schedules()).loadSchedules(ctx.config.schedulesFile);
        await (await load.worker()).runWorker({ config: ctx.config, database: await ctx.database(), log: ctx.log, clock: ctx.clock, schedules, signal: ctx.signal });
        return EXIT.ok;
      }),
    );

  program
    .command('rebuild')
    .description('After losing the database: recreate it, replay every raw file (local, or RAW_ARCHIVE for files the disk lost too), rebuild core and publish.')
    .addHelpText('after', envHelp([...DB_VARS, ...INGEST_VARS, ...EXPORT_VARS, 'RAW_ARCHIVE']))
    .action(() =>
      act({}, async (ctx) => {
        const started = Date.now();
        if (ctx.config.databaseUrl) await (await load.database()).createDatabaseIfMissing(ctx.config.databaseUrl, ctx.log);
        const r = await (await load.rebuild()).rebuild({ config: ctx.config, database: await ctx.database(), log: ctx.log, clock: ctx.clock });
        const row = {
          'restored from archive': r.restored.length,
          'raw files': r.ingest.files.length,
          records: r.ingest.records,
          versions: r.ingest.newVersions + r.ingest.delisted,
          quarantined: r.ingest.quarantined,
          'price rows': r.etl.priceRows,
          exported: `${r.export.uploaded}/${r.export.objects}`,
        };
        process.stdout.write(`${formatTable([row])}\n\nrebuilt in ${seconds(Date.now() - started)}; exported = objects uploaded/published\n`);
        return r.ingest.quarantined > 0 ? EXIT.partial : EXIT.ok;
      }),
    );

  program
    .command('archive')
    .description('Upload to RAW_ARCHIVE every finished raw file it does not hold yet (an upload that failed after its crawl).')
    .addHelpText('after', envHelp(['TRAWL_DATA_DIR', 'RAW_ARCHIVE', 'S3_ENDPOINT', 'S3_REGION']))
    .action(() =>
      act({}, async (ctx) => {
        if (!ctx.config.rawArchive) throw new UserError('RAW_ARCHIVE is not set: there is no archive to fill', { exitCode: EXIT.usage });
        const uploaded = await (await load.archive()).archiveMissing(ctx.config);
        process.stdout.write(`${uploaded.length} raw file(s) uploaded to ${ctx.config.rawArchive}\n`);
      }),
    );

  program
    .command('prune')
    .description('Apply retention: old raw files (only once ingested and held by RAW_ARCHIVE), old response bodies, old export generations, old ops.runs rows.')
    .option('--dry-run', 'delete nothing; say what would go')
    .option('--unarchived', 'also delete old raw files RAW_ARCHIVE does not hold (without an archive, every old one): trawl rebuild cannot replay them afterwards')
    .addHelpText('after', envHelp([...DB_VARS, 'TRAWL_DATA_DIR', 'EXPORT_TARGET', 'RAW_ARCHIVE', 'RAW_RETENTION_DAYS', 'BODY_RETENTION_DAYS', 'EXPORT_GENERATIONS_KEEP', 'RUNS_RETENTION_DAYS']))
    .action((o: { dryRun?: boolean; unarchived?: boolean }) =>
      act({}, async (ctx) => {
        const target = (await load.targets()).openTarget(ctx.config);
        const r = await (await load.prune()).prune({ config: ctx.config, pool: (await ctx.database()).pool, target, now: ctx.clock.now(), dryRun: o.dryRun, unarchived: o.unarchived });
        for (const k of r.rawFilesKept) ctx.log.info(k, 'raw file past retention kept');
        const verb = r.dryRun ? 'would prune' : 'pruned';
        process.stdout.write(
          `${verb} ${r.rawFilesDeleted} raw file(s) (${r.rawFilesKept.length} kept: not ingested, or not held by RAW_ARCHIVE), ${r.bodyFilesDeleted} body file(s), ${r.exportObjectsDeleted} export object(s) (${r.generationsKept} generation(s) kept), ${r.runsDeleted} ops.runs row(s)\n` +
            `trawl rebuild can replay ${r.rebuildable.local + r.rebuildable.archiveOnly} raw file(s): ${r.rebuildable.local} on disk, ${r.rebuildable.archiveOnly} in RAW_ARCHIVE only${r.dryRun ? ' (after this prune)' : ''}\n`,
        );
      }),
    );

  program
    .command('serve')
    .description('Serve the export folder (EXPORT_TARGET=file://...) over HTTP on 127.0.0.1 until Ctrl-C.')
    .option('--port <n>', 'port', tcpPort, 8080)
    .addHelpText('after', envHelp(['EXPORT_TARGET', 'EXPORT_CACHE_MAX_AGE']))
    .action((o: { port: number }) =>
      act({}, async (ctx) => {
        if (!ctx.config.exportTarget.startsWith('file://')) throw new UserError('serve works on a file:// EXPORT_TARGET', { exitCode: EXIT.usage });
        const { serveFolder } = await load.serve();
        const server = await serveFolder(ctx.config.exportTarget.slice('file://'.length), { port: o.port, cacheMaxAge: ctx.config.exportCacheMaxAge });
        process.stdout.write(`serving ${ctx.config.exportTarget} at ${server.url}/ (Ctrl-C stops)\n`);
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        await server.close();
        return EXIT.ok;
      }),
    );

  program
    .command('db')
    .description('Start the database (embedded when DATABASE_URL is unset), migrate, print its URL, wait until Ctrl-C.')
    .addHelpText('after', envHelp(DB_VARS))
    .action(() =>
      act({}, async (ctx) => {
        const db = await ctx.database();
        process.stdout.write(`database ready: ${redactSecrets(db.url)}  (e.g. psql ${redactSecrets(db.url)}; Ctrl-C stops)\n`);
        // Nothing else keeps Node running once the pool's idle connections close (it would end with
        // code 13, the database left up): a timer does, until Ctrl-C or SIGTERM.
        const keepAlive = setInterval(() => undefined, 1 << 30);
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        clearInterval(keepAlive);
        return EXIT.ok;
      }),
    );

  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // commander's own: help and version end 0; every usage error (already printed in one line) ends 2.
  if (!(err instanceof CommanderError)) throw err;
  process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
}

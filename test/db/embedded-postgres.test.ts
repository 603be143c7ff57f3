// The zero-install default: no DATABASE_URL, so the CLI runs its own Postgres 15.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, freePort, runCli } from '../helpers/run-cli.ts';

let base: string;
let env: Record<string, string>;
const pidFile = () => path.join(base, 'pgdata', 'postmaster.pid');

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-embedded-'));
  // As root the server runs as the postgres user, which must be able to enter the folder.
  fs.chmodSync(base, 0o755);
  env = { EMBEDDED_PG_DIR: base, EMBEDDED_PG_PORT: String(await freePort()), TRAWL_DATA_DIR: path.join(base, 'data') };
});

afterAll(() => {
  const pid = fs.existsSync(pidFile()) ? Number(fs.readFileSync(pidFile(), 'utf8').split('\n')[0]) : 0;
  if (pid > 0) process.kill(pid, 'SIGINT');
});

/** Starts `trawl db` and resolves once it says the database is ready. */
function startDbCommand() {
  const child = spawn(process.execPath, [BIN, 'db'], { env: cliEnv(env) });
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('database ready')) resolve(out);
    });
    child.on('close', (code) => reject(new Error(`trawl db exited ${code} before it was ready`)));
  });
  return { child, ready, closed: new Promise<number | null>((resolve) => child.on('close', resolve)) };
}

const isRunning = () => {
  if (!fs.existsSync(pidFile())) return false;
  const pid = Number(fs.readFileSync(pidFile(), 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('embedded Postgres', () => {
  it('starts, migrates, and stops at exit; the next run reuses its data folder', async () => {
    const first = await runCli(['migrate'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`postgres://postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/trawl`);
    expect(fs.readFileSync(path.join(base, 'pgdata', 'PG_VERSION'), 'utf8').trim()).toBe('15');
    expect(isRunning()).toBe(false);

    const stamp = fs.statSync(path.join(base, 'pgdata', 'PG_VERSION')).mtimeMs;
    const second = await runCli(['quarantine'], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(fs.statSync(path.join(base, 'pgdata', 'PG_VERSION')).mtimeMs).toBe(stamp);
    expect(isRunning()).toBe(false);
  });

  it('stops cleanly on Ctrl-C', async () => {
    const db = startDbCommand();
    await db.ready;
    expect(isRunning()).toBe(true);
    db.child.kill('SIGINT');
    expect(await db.closed).toBe(0);
    expect(isRunning()).toBe(false);
  });

  it('stays up after its idle connections close, until Ctrl-C', async () => {
    const db = startDbCommand();
    try {
      await db.ready;
      // Wait until the command holds no connection of its own (its pool closes idle ones): before the
      // fix Node then found nothing left to run and ended with code 13, leaving the server up.
      const probe = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/trawl` });
      await probe.connect();
      try {
        for (let i = 0; i < 240; i++) {
          const { rows } = await probe.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
          if (rows[0].n === 0) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      } finally {
        await probe.end();
      }
      const exited = await Promise.race([db.closed, new Promise((r) => setTimeout(() => r('running'), 3000))]);
      expect(exited).toBe('running');
      db.child.kill('SIGINT');
      expect(await db.closed).toBe(0);
      expect(isRunning()).toBe(false);
    } finally {
      db.child.kill('SIGKILL');
    }
  });

  it('takes over the server a killed run left behind', async () => {
    const db = startDbCommand();
    await db.ready;
    db.child.kill('SIGKILL');
    await db.closed;
    expect(isRunning()).toBe(true); // the orphan

    const next = await runCli(['quarantine'], { env });
    expect(next.code, next.stderr).toBe(0);
    expect(isRunning()).toBe(false);
  });
});

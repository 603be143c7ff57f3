import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { environmentWithDotEnv, ENV_VARS, loadConfig } from '../src/config.ts';
import { runCli } from './helpers/run-cli.ts';
import { EXIT, UserError } from '../src/lib/errors.ts';

describe('config', () => {
  it('has working defaults on an empty environment', () => {
    const c = loadConfig({}, '/srv/trawl');
    expect(c).toMatchObject({ databaseUrl: undefined, dataDir: '/srv/trawl/data', rawDir: '/srv/trawl/data/raw', exportTarget: 'file:///srv/trawl/public', chromiumPath: '/usr/bin/chromium' });
    expect(c.embeddedPg.port).toBe(54329);
  });

  it.each([
    ['EMBEDDED_PG_PORT', 'eighty', /EMBEDDED_PG_PORT="eighty" is invalid/],
    ['EXPORT_TARGET', 'ftp://x', /EXPORT_TARGET="ftp:\/\/x" is invalid: must be file:\/\/<folder> or s3:\/\/<bucket>\/<prefix>/],
    ['TRAWL_NOW', 'yesterday', /TRAWL_NOW="yesterday" is invalid/],
    ['DELIST_MAX_MISSING_SHARE', '2', /DELIST_MAX_MISSING_SHARE="2" is invalid/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud" is invalid/],
    // Whitespace is not 0, and only decimal numbers are numbers.
    ['BODY_RETENTION_DAYS', ' ', /BODY_RETENTION_DAYS=" " is invalid: must be a whole decimal number/],
    ['CRAWL_MAX_PAGES', '0x10', /CRAWL_MAX_PAGES="0x10" is invalid: must be a whole decimal number/],
    ['EMBEDDED_PG_PORT', '1e4', /EMBEDDED_PG_PORT="1e4" is invalid: must be a whole decimal number/],
    ['DELIST_MAX_MISSING_SHARE', '0x1', /DELIST_MAX_MISSING_SHARE="0x1" is invalid: must be a decimal number/],
    ['TRAWL_USER_AGENT', 'trawl/1\r\nX-Evil: 1', /TRAWL_USER_AGENT=.* is invalid: must hold no control characters/],
    // A URL that names no host or no database would fall back to the PG* variables' defaults.
    ['DATABASE_URL', 'postgres://', /DATABASE_URL="postgres:\/\/" is invalid: must name a host/],
    ['DATABASE_URL', 'postgres://db.example', /DATABASE_URL="postgres:\/\/db.example" is invalid: must name a host \(or \?host= for a socket\) and a database/],
  ])('a bad %s is one line naming it', (name, value, message) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(EXIT.usage);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('reads decimal numbers with spaces around them, and socket URLs with ?host=', () => {
    const c = loadConfig({ BODY_RETENTION_DAYS: ' 7 ', DELIST_MAX_MISSING_SHARE: '0.25', DATABASE_URL: 'postgresql:///trawl?host=/var/run/postgresql' }, '/srv/trawl');
    expect(c.retention.bodyDays).toBe(7);
    expect(c.delistMaxMissingShare).toBe(0.25);
    expect(c.databaseUrl).toBe('postgresql:///trawl?host=/var/run/postgresql');
  });

  it('lists every variable it reads in .env.example', () => {
    const example = fs.readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const name of Object.keys(ENV_VARS)) expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });

  it('reads .env in the working folder beneath the real environment', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-dotenv-'));
    try {
      expect(environmentWithDotEnv({ A: '1' }, dir)).toEqual({ A: '1' });
      fs.writeFileSync(path.join(dir, '.env'), '# a comment\nCRAWL_MAX_PAGES=7\nLOG_LEVEL="debug"\nTRAWL_DATA_DIR=from-file\n');
      const env = environmentWithDotEnv({ TRAWL_DATA_DIR: '/real', LOG_LEVEL: '' }, dir);
      const c = loadConfig(env, dir);
      expect(c.dataDir).toBe('/real');
      expect(c.crawlMaxPages).toBe(7);
      // Set in the real environment, even empty, it wins over the file.
      expect(env.LOG_LEVEL).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a command reads .env from its working folder (the real environment wins)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-dotenv-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), 'DATABASE_URL=postgres://u:dotenv-secret@127.0.0.1:1/fromfile\n');
      const fromFile = await runCli(['migrate'], { cwd: dir });
      expect(fromFile.code).toBe(1);
      expect(fromFile.stderr).toContain('127.0.0.1:1/fromfile');
      expect(fromFile.stderr).not.toContain('dotenv-secret');
      const real = await runCli(['migrate'], { cwd: dir, env: { DATABASE_URL: 'postgres://u@127.0.0.1:2/fromenv' } });
      expect(real.stderr).toContain('127.0.0.1:2/fromenv');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['TRAWL_DATA_DIR', '/proc/trawl'],
    ['EXPORT_TARGET', 'file:///sys/public'],
    ['EMBEDDED_PG_DIR', '/dev/shm/../../proc/pg'],
  ])('refuses %s on a virtual file system (where mkdir would spin): %s', (name, value) => {
    expect(() => loadConfig({ [name]: value }, '/srv/trawl')).toThrow(new RegExp(`${name}=.* is invalid: /(proc|sys) is a virtual file system`));
  });

  it('refuses a folder whose link leads into /proc', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-link-'));
    try {
      fs.symlinkSync('/proc', path.join(dir, 'data'));
      expect(() => loadConfig({ TRAWL_DATA_DIR: path.join(dir, 'data', 'trawl') }, dir)).toThrow(/TRAWL_DATA_DIR=.* is invalid: \/proc is a virtual file system/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a command whose data folder is under /proc fails at once with one line, exit 2', async () => {
    const r = await runCli(['crawl', 'demo_store'], { env: { TRAWL_DATA_DIR: '/proc/trawl' } });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('/proc is a virtual file system');
  });
});

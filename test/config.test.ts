import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ENV_VARS, loadConfig } from '../src/config.ts';
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
});

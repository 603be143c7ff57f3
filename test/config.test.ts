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

  it('lists every variable it reads in .env.example', () => {
    const example = fs.readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const name of Object.keys(ENV_VARS)) expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});

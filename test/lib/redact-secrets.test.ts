// Secrets in every URL form Postgres and a webhook accept are redacted by the one function.
import { describe, expect, it } from 'vitest';
import { redactSecrets, redactWebhook } from '../../src/lib/redact-secrets.ts';

describe('redactSecrets', () => {
  it.each([
    ['postgres://trawl:PW-1@db.example:5432/trawl', 'postgres://trawl:***@db.example:5432/trawl'],
    ['postgres://:PW-1@db.example/trawl', 'postgres://:***@db.example/trawl'],
    ['postgresql://u:PW-1@with@at@db.example/trawl', 'postgresql://u:***@db.example/trawl'],
    ['postgres://u:pa/ss-PW-1@db.example/trawl', 'postgres://u:***@db.example/trawl'],
    ['postgres://u@db.example/trawl?sslmode=require&password=PW-1', 'postgres://u@db.example/trawl?sslmode=require&password=***'],
    ['postgres:///trawl?host=/run/pg&password=PW-1', 'postgres:///trawl?host=/run/pg&password=***'],
    ['cannot connect to postgress://u:PW-1@h/d: ECONNREFUSED', 'cannot connect to postgress://u:***@h/d: ECONNREFUSED'],
  ])('%s', (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
    expect(redactSecrets(text)).not.toContain('PW-1');
  });

  it('leaves a URL without a password as it is: it is no secret, and stays usable', () => {
    expect(redactSecrets('psql postgres://postgres@127.0.0.1:54329/trawl')).toBe('psql postgres://postgres@127.0.0.1:54329/trawl');
  });

  it("leaves a JSON log line's other fields alone", () => {
    const line = JSON.stringify({ url: 'postgres://u:PW-1@h/d', email: 'a@b.example', msg: 'x' });
    expect(redactSecrets(line)).toBe(JSON.stringify({ url: 'postgres://u:***@h/d', email: 'a@b.example', msg: 'x' }));
  });

  it('a webhook shows its origin only; a value that is no URL shows nothing', () => {
    expect(redactWebhook('https://hooks.slack.com/services/T0/B0/SECRET-1')).toBe('https://hooks.slack.com/***');
    expect(redactWebhook('hooks.slack.com/services/SECRET-1')).toBe('***');
  });
});

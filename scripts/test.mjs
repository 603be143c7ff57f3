#!/usr/bin/env node
// `npm test`: makes sure Debian's Chromium is there (the browser tests need it), then runs vitest.
// Without DATABASE_URL the tests start an embedded Postgres themselves.
import { spawnSync } from 'node:child_process';
import { ensureChromium } from './ensure-chromium.mjs';

const chromium = ensureChromium();
if (!chromium.ok) {
  console.error(`trawl tests: ${chromium.message}`);
  process.exit(1);
}
const r = spawnSync('node_modules/.bin/vitest', ['run', ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
process.exit(r.status ?? 1);

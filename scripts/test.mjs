#!/usr/bin/env node
// `npm test`: makes sure Debian's chromium (browser tests) and docker-compose (the compose file's
// parser) are there, then runs vitest and ends with a plain "N passed, N failed" line. Without
// DATABASE_URL the tests start an embedded Postgres.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { ensureDebianPackage } from './ensure-debian-package.mjs';

for (const [binary, pkg] of [[process.env.CHROMIUM_PATH || '/usr/bin/chromium', 'chromium'], ['/usr/bin/docker-compose', 'docker-compose']]) {
  const r = ensureDebianPackage(binary, pkg);
  if (!r.ok) {
    console.error(`trawl tests: ${r.message}`);
    process.exit(1);
  }
}
const report = 'test-results/vitest.json';
fs.rmSync(report, { force: true });
const r = spawnSync('node_modules/.bin/vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
});
if (fs.existsSync(report)) {
  const { numPassedTests, numFailedTests, numPendingTests } = JSON.parse(fs.readFileSync(report, 'utf8'));
  console.log(`\n${numPassedTests} passed, ${numFailedTests} failed${numPendingTests ? `, ${numPendingTests} skipped` : ''}`);
}
process.exit(r.status ?? 1);

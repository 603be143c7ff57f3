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
  const { numPassedTests, numFailedTests, numPendingTests, testResults } = JSON.parse(fs.readFileSync(report, 'utf8'));
  printFaultSummary(testResults);
  console.log(`\n${numPassedTests} passed, ${numFailedTests} failed${numPendingTests ? `, ${numPendingTests} skipped` : ''}`);
}
process.exit(r.status ?? 1);

/** The fault-injection suite's summary: per scenario (a describe block in test/faults), trials and passed. */
function printFaultSummary(testResults) {
  const rows = new Map();
  for (const file of testResults) {
    if (!file.name.includes('/test/faults/')) continue;
    for (const t of file.assertionResults) {
      const scenario = t.ancestorTitles[0] ?? t.title;
      const row = rows.get(scenario) ?? { trials: 0, passed: 0 };
      row.trials++;
      if (t.status === 'passed') row.passed++;
      rows.set(scenario, row);
    }
  }
  if (rows.size === 0) return;
  const width = Math.max(8, ...[...rows.keys()].map((k) => k.length));
  const line = (a, b, c) => `${String(a).padEnd(width)}  ${String(b).padStart(6)}  ${String(c).padStart(6)}`;
  const total = [...rows.values()].reduce((t, r) => ({ trials: t.trials + r.trials, passed: t.passed + r.passed }), { trials: 0, passed: 0 });
  console.log(`\nfault-injection suite\n\n${line('scenario', 'trials', 'passed')}\n${'-'.repeat(width + 16)}`);
  for (const [scenario, r] of rows) console.log(line(scenario, r.trials, r.passed));
  console.log(line('all', total.trials, total.passed));
}

#!/usr/bin/env node
// `npm run demo`: installs Debian's chromium when it can (for the one JavaScript-rendered page), then
// runs `trawl demo`. Without a browser the demo still runs everything else and says so.
import { spawnSync } from 'node:child_process';
import { ensureDebianPackage } from './ensure-debian-package.mjs';

const chromium = ensureDebianPackage(process.env.CHROMIUM_PATH || '/usr/bin/chromium', 'chromium');
if (!chromium.ok) console.error(`trawl demo: ${chromium.message}; the JavaScript-rendered page will be skipped.`);
const r = spawnSync(process.execPath, ['bin/trawl.js', 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);

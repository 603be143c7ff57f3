// Installs Debian's chromium when it is missing and we may (root with apt-get); never downloads a
// browser of Playwright's own. Returns whether a browser is there and, if not, one line saying why.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export function ensureChromium(path = process.env.CHROMIUM_PATH || '/usr/bin/chromium') {
  if (fs.existsSync(path)) return { ok: true, path };
  const root = process.getuid?.() === 0;
  const apt = spawnSync('which', ['apt-get']).status === 0;
  if (!root || !apt || path !== '/usr/bin/chromium') {
    return { ok: false, message: `no Chromium at ${path} and cannot install it here (${!root ? 'not root' : !apt ? 'no apt-get' : 'CHROMIUM_PATH is custom'}): install Debian's chromium or set CHROMIUM_PATH` };
  }
  console.error('installing Debian\'s chromium (apt-get, about a minute)…');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (err) {
    return { ok: false, message: `apt-get install chromium failed: ${err.message.split('\n')[0]}` };
  }
  return fs.existsSync(path) ? { ok: true, path } : { ok: false, message: `chromium installed but ${path} is missing` };
}

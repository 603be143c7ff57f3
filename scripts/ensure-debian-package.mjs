// Installs a Debian package when its binary is missing and we may (root with apt-get); never
// downloads anything else (no browser of Playwright's own). Returns whether the binary is there and,
// if not, one line saying why.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

let updated = false;

export function ensureDebianPackage(binary, pkg) {
  if (fs.existsSync(binary)) return { ok: true };
  const root = process.getuid?.() === 0;
  const apt = spawnSync('which', ['apt-get']).status === 0;
  if (!root || !apt) return { ok: false, message: `no ${binary} and cannot install ${pkg} here (${!root ? 'not root' : 'no apt-get'}): install Debian's ${pkg}` };
  console.error(`installing Debian's ${pkg} (apt-get)…`);
  try {
    if (!updated) execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    updated = true;
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (err) {
    return { ok: false, message: `apt-get install ${pkg} failed: ${err.message.split('\n')[0]}` };
  }
  return fs.existsSync(binary) ? { ok: true } : { ok: false, message: `${pkg} installed but ${binary} is missing` };
}

// Runs the real `trawl` bin in a child process, as cron or a person would.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../bin/trawl.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The machine's environment minus trawl's own variables, plus `env`. */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const k of ['DATABASE_URL', 'EXPORT_TARGET', 'TRAWL_DATA_DIR', 'TRAWL_NOW', 'EMBEDDED_PG_DIR', 'EMBEDDED_PG_PORT']) delete base[k];
  return { ...base, LOG_LEVEL: 'silent', ...env };
}

export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: cliEnv(opts.env ?? {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

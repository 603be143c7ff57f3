// SIGINT and SIGTERM stop a crawl gracefully: the raw file is closed, renamed and marked incomplete.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/lib/errors.ts';
import { BIN, cliEnv, freePort } from '../helpers/run-cli.ts';

describe('graceful stop', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s closes the raw file as an incomplete run', async (signal) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-stop-'));
    const env = cliEnv({ TRAWL_DATA_DIR: dir, DEMO_PORT: String(await freePort()), LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    const crawl = spawn(process.execPath, [BIN, 'crawl', 'demo_store', '--day', '1'], { env });
    let log = '';
    crawl.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => crawl.on('exit', resolve));
    // Wait for the first pages, then stop.
    const rawDir = path.join(dir, 'raw', 'demo_store', '2026-01-01');
    for (let i = 0; i < 200 && !(fs.existsSync(rawDir) && fs.readdirSync(rawDir).length > 0); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    crawl.kill(signal);
    const code = await exited;
    expect(code).toBe(EXIT.partial);
    const files = fs.readdirSync(rawDir);
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
    const lines = fs.readFileSync(path.join(rawDir, files.find((f) => f.endsWith('.jsonl'))!), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ control: 'end', complete: false });
    expect(log).toContain('stopping: finishing the current step cleanly');
  });
});

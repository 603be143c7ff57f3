// SIGINT and SIGTERM stop a crawl gracefully: the raw file is closed, renamed and marked incomplete.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaledCatalogue } from '../../src/spiders/demo-store/demo-catalogue.ts';
import { startDemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
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

  it('Ctrl-C while Chromium renders a page stops as SIGTERM does: a summary, the raw file closed incomplete', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-stop-'));
    const shop = await startDemoServer({ day: 1 });
    const proxy = await startFaultProxy(shop.baseUrl);
    // The JavaScript page: fetched once by Cheerio, which finds it needs a browser, then in Chromium, held there.
    const jsPage = `/product/${scaledCatalogue(1, 0).find((p) => p.js)!.id}`;
    proxy.setRule({ kind: 'slow', path: jsPage, after: 1, delayMs: 8_000 });
    const env = cliEnv({ TRAWL_DATA_DIR: dir, LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    // Its own process group, which a terminal's Ctrl-C signals whole.
    const crawl = spawn(process.execPath, [BIN, 'crawl', 'demo_store', '--day', '1', '--base-url', proxy.url], { env, detached: true });
    let stdout = '';
    crawl.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => crawl.on('exit', resolve));
    try {
      for (let i = 0; i < 2400 && proxy.seen.filter((r) => r === `GET ${jsPage}`).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(proxy.seen.filter((r) => r === `GET ${jsPage}`)).toHaveLength(2);
      process.kill(-crawl.pid!, 'SIGINT');
      expect(await exited).toBe(EXIT.partial);
      expect(stdout).toMatch(/pages/);
      const rawDir = path.join(dir, 'raw', 'demo_store', '2026-01-01');
      const files = fs.readdirSync(rawDir);
      expect(files.filter((f) => f.endsWith('.part') || f.endsWith('.owner'))).toEqual([]);
      const lines = fs.readFileSync(path.join(rawDir, files.find((f) => f.endsWith('.jsonl'))!), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.at(-1)).toMatchObject({ control: 'end', complete: false });
    } finally {
      try {
        process.kill(-crawl.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await proxy.close();
      await shop.close();
    }
  });
});

// A crawl killed with SIGKILL and started again continues the same run: finished pages are not fetched
// again, the raw file gains no duplicate and loses no record, and fetching restarts at once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledCatalogue } from '../../src/spiders/demo-store/demo-catalogue.ts';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { readRawLines } from '../helpers/raw-files.ts';
import { BIN, cliEnv, runCli } from '../helpers/run-cli.ts';

// 93 products on 19 list pages, one rendered in Chromium: about 110 pages, 11 s at the demo's rate.
const EXTRA = 80;
let server: DemoServer;
let jsPages: string[];

beforeAll(async () => {
  server = await startDemoServer({ day: 1, extraProducts: EXTRA });
  jsPages = scaledCatalogue(1, EXTRA).filter((p) => p.js).map((p) => `${server.baseUrl}/product/${p.id}`);
});
afterAll(async () => server?.close());

interface Crawl {
  code: number | null;
  stderr: string;
}

function crawl(dataDir: string, env: Record<string, string> = {}, killAfterRequests?: number, args: string[] = []): Promise<Crawl> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'crawl', 'demo_store', '--day', '1', '--base-url', server.baseUrl, ...args], {
      env: cliEnv({ TRAWL_DATA_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env }),
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const seen = server.requests.length;
    const timer = killAfterRequests
      ? setInterval(() => {
          if (server.requests.length - seen >= killAfterRequests) child.kill('SIGKILL');
        }, 5)
      : undefined;
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stderr });
    });
  });
}

const rawDirOf = (dataDir: string) => path.join(dataDir, 'raw', 'demo_store', '2026-01-01');

/** The records of a finished run, each as comparable text, sorted. */
function records(dataDir: string): string[] {
  const files = fs.readdirSync(rawDirOf(dataDir));
  expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
  expect(files.filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
  return readRawLines(path.join(rawDirOf(dataDir), files[0]!))
    .filter((l) => !('control' in l))
    .map((l) => JSON.stringify([l.key, l.partition, l.observed_at, l.url, l.data, l.source_fields]))
    .sort();
}

/** Page markers of an unfinished run: the pages it had finished. */
function finishedPages(dataDir: string): string[] {
  const part = fs.readdirSync(rawDirOf(dataDir)).find((f) => f.endsWith('.part'))!;
  expect(part).toBeDefined();
  return readRawLines(path.join(rawDirOf(dataDir), part))
    .filter((l) => l.control === 'page')
    .map((l) => String(l.key));
}

let undisturbed: string[];

describe('resume after SIGKILL', () => {
  it('an undisturbed crawl of the scaled shop', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-resume-'));
    const r = await crawl(dir);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    undisturbed = records(dir);
    // Two regions per product.
    expect(undisturbed).toHaveLength((13 - 1 + EXTRA) * 2);
  });

  it.each([
    ['a failpoint before a page is written', { TRAWL_FAILPOINT: 'crawl.before-page-write@40' }, undefined, 0],
    ['a failpoint after a page is written, before Crawlee marks it handled', { TRAWL_FAILPOINT: 'crawl.after-page-write@40' }, undefined, 0],
    ['a kill from outside, with the last page torn mid-write', {}, 50, 40],
  ] as const)('continues the run after %s', async (_name, env, killAfter, tearBytes) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-resume-'));
    const attemptFrom = server.requests.length;
    const first = await crawl(dir, env, killAfter);
    expect(first.code).toBeNull(); // killed, no exit code
    const done = finishedPages(dir);
    // Killed mid-crawl: some pages done, most not.
    expect(done.length).toBeGreaterThan(20);
    expect(done.length).toBeLessThan(100);
    const part = path.join(rawDirOf(dir), fs.readdirSync(rawDirOf(dir)).find((f) => f.endsWith('.part'))!);
    if (tearBytes) fs.truncateSync(part, fs.statSync(part).size - tearBytes);
    const doneAfterTear = tearBytes ? finishedPages(dir) : done;
    const runId = path.basename(part, '.jsonl.part');

    const resumedFrom = server.requests.length;
    const second = await crawl(dir);
    expect(second.code, second.stderr).toBe(EXIT.ok);
    expect(second.stderr).toContain('resuming an unfinished run');
    // The same run, finished: its raw file is complete and holds every record once.
    expect(fs.existsSync(path.join(rawDirOf(dir), `${runId}.jsonl`))).toBe(true);
    const lines = readRawLines(path.join(rawDirOf(dir), `${runId}.jsonl`));
    expect(lines.at(-1)).toMatchObject({ control: 'end', complete: true, records: undisturbed.length });
    expect(records(dir)).toEqual(undisturbed);
    // No page the first attempt had finished was fetched again.
    // (A page rendered in Chromium is fetched twice, once plainly and once in the browser: two requests.)
    const refetched = server.requests.slice(resumedFrom).map((r) => `${server.baseUrl}${r.url}`);
    for (const key of doneAfterTear) {
      const browserStillToDo = jsPages.includes(key) && !doneAfterTear.includes(`${key}#browser`);
      expect(refetched.filter((u) => u === key.replace(/#browser$/, '')), key).toHaveLength(browserStillToDo ? 1 : 0);
    }
    // The pages in flight at the kill (fetched, not finished) were neither lost nor left locked:
    // the queue lives in memory and is rebuilt from the page markers, so the resumed run fetched each.
    const inFlight = [...new Set(server.requests.slice(attemptFrom, resumedFrom).filter((r) => r.url.startsWith('/product')).map((r) => `${server.baseUrl}${r.url}`))].filter(
      (u) => !doneAfterTear.includes(u),
    );
    for (const u of inFlight) expect(refetched, u).toContain(u);

    // The response bodies of both attempts, reparsed without fetching, give the same records.
    const before = server.requests.length;
    const reparsed = await runCli(['reparse', runId], { env: { TRAWL_DATA_DIR: dir } });
    expect(reparsed.code, reparsed.stderr).toBe(EXIT.ok);
    expect(server.requests.length).toBe(before);
    const again = readRawLines(path.join(rawDirOf(dir), `${runId}.reparse-1.jsonl`));
    expect(again.at(-1)).toMatchObject({ control: 'end', complete: true, records: undisturbed.length });
    const text = (l: Record<string, unknown>) => JSON.stringify([l.key, l.partition, l.observed_at, l.url, l.data, l.source_fields]);
    expect(again.filter((l) => !('control' in l)).map(text).sort()).toEqual(undisturbed);
  });

  it('--fresh closes the killed run as incomplete, keeping its records, and starts a new one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-resume-'));
    expect((await crawl(dir, { TRAWL_FAILPOINT: 'crawl.after-page-write@20' })).code).toBeNull();
    const killedRun = fs.readdirSync(rawDirOf(dir))[0]!.replace('.jsonl.part', '');
    const fresh = await crawl(dir, {}, undefined, ['--fresh']);
    expect(fresh.code, fresh.stderr).toBe(EXIT.ok);
    expect(fresh.stderr).not.toContain('resuming an unfinished run');
    const files = fs.readdirSync(rawDirOf(dir)).sort();
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(files).toHaveLength(2);
    const killed = readRawLines(path.join(rawDirOf(dir), `${killedRun}.jsonl`));
    expect(killed.at(-1)).toMatchObject({ control: 'end', complete: false, pages: 20 });
    expect(killed.filter((l) => !('control' in l)).length).toBe(killed.at(-1)!.records);
    const other = readRawLines(path.join(rawDirOf(dir), files.find((f) => !f.startsWith(killedRun))!));
    expect(other.at(-1)).toMatchObject({ control: 'end', complete: true, records: undisturbed.length });
  });

  it('a .part another live process still writes is not resumed: the crawl exits 4 and leaves it as it is', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-resume-'));
    expect((await crawl(dir, { TRAWL_FAILPOINT: 'crawl.after-page-write@5' })).code).toBeNull();
    const part = path.join(rawDirOf(dir), fs.readdirSync(rawDirOf(dir)).find((f) => f.endsWith('.part'))!);
    // A live process owns it now: this test's, standing in for a run that lost its lock but still writes.
    fs.writeFileSync(`${part}.owner`, JSON.stringify({ pid: process.pid, host: os.hostname() }));
    const before = fs.readFileSync(part);
    const second = await crawl(dir);
    expect(second.code, second.stderr).toBe(EXIT.locked);
    expect(second.stderr).toContain(`is being written by process ${process.pid}`);
    expect(fs.readFileSync(part)).toEqual(before);
    // Once that writer is gone, the next crawl resumes the file (an owner file of a dead process is taken over).
    fs.writeFileSync(`${part}.owner`, JSON.stringify({ pid: 2 ** 22 + 1, host: os.hostname() }));
    const third = await crawl(dir);
    expect(third.code, third.stderr).toBe(EXIT.ok);
    expect(third.stderr).toContain('resuming an unfinished run');
    expect(records(dir)).toEqual(undisturbed);
    expect(fs.readdirSync(rawDirOf(dir)).filter((f) => f.endsWith('.owner'))).toEqual([]);
  });

  it('keeps no bodies with BODY_RETENTION_DAYS=0, and reparse says so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-resume-'));
    expect((await crawl(dir, { BODY_RETENTION_DAYS: '0', CRAWL_MAX_PAGES: '5' })).code).toBe(EXIT.partial);
    expect(fs.existsSync(path.join(dir, 'bodies'))).toBe(false);
    const runId = path.basename(fs.readdirSync(rawDirOf(dir))[0]!, '.jsonl');
    const r = await runCli(['reparse', runId], { env: { TRAWL_DATA_DIR: dir } });
    expect(r.code).toBe(EXIT.failed);
    expect(r.stderr).toContain(`no stored response bodies for run ${runId}`);
  });
});

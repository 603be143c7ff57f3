// The layer rule as the lint runs it: the project's own eslint.config.js over probe files in src/.
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'layers/imports-point-down').map((m) => m.message);
}

describe('the layer rule in the lint', () => {
  it('fails a file in src/lib that imports src/cli.ts', async () => {
    expect(await layerErrors('src/lib/probe.ts', "import '../cli.ts';\n")).toEqual(['src/lib/probe.ts -> src/cli.ts: imports upward (lib is below cli)']);
  });

  it('fails a dynamic import upward, and a stage that imports another stage', async () => {
    expect(await layerErrors('src/db/probe.ts', "export const m = () => import('../staging/index.ts');\n")).toEqual([expect.stringContaining('imports upward (db is below staging)')]);
    expect(await layerErrors('src/staging/probe.ts', "export { runCrawl } from '../crawl/index.ts';\n")).toEqual([expect.stringContaining('staging and crawl are sibling layers')]);
  });

  it('fails an import behind a folder\'s door, and passes the same names through the door', async () => {
    expect(await layerErrors('src/commands/probe.ts', "export { runIngest } from '../staging/run-ingest.ts';\n")).toEqual([expect.stringContaining('goes behind the door of src/staging: import src/staging/index.ts')]);
    expect(await layerErrors('src/commands/probe.ts', "export { runIngest } from '../staging/index.ts';\n")).toEqual([]);
  });

  it('fails a folder that is on no layer', async () => {
    expect(await layerErrors('src/extras/probe.ts', "export { EXIT } from '../lib/errors.ts';\n")).toEqual([expect.stringContaining('src/extras is on no layer')]);
  });

  it('lets lib files use each other, and tests reach any file', async () => {
    expect(await layerErrors('src/lib/probe.ts', "export { EXIT } from './errors.ts';\n")).toEqual([]);
    expect(await layerErrors('test/probe.test.ts', "export { runIngest } from '../src/staging/run-ingest.ts';\n")).toEqual([]);
  });
});

describe('SQL only in sql/', () => {
  const sqlErrors = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
  };

  it('fails a statement written in a stage, passes words that only look alike, and lets src/db keep its connection-level ones', async () => {
    expect(await sqlErrors('src/staging/probe.ts', "export const q = 'SELECT 1';\nexport const r = `\n  UPDATE x SET y = 1`;\n")).toHaveLength(2);
    expect(await sqlErrors('src/staging/probe.ts', "export const m = 'Select a spider';\nexport const t = 'BEGIN';\n")).toEqual([]);
    expect(await sqlErrors('src/db/probe.ts', "export const q = 'SELECT pg_advisory_unlock_all()';\n")).toEqual([]);
  });
});

describe('what the ranks allow but the design does not', () => {
  it('fails staging importing a spider', async () => {
    expect(await layerErrors('src/staging/probe.ts', "export { loadSpiders } from '../spiders/index.ts';\n")).toEqual([expect.stringContaining('imports no spider')]);
  });
});

describe('the exporter reads only marts', () => {
  it('names no table of core, staging or ops in sql/exports or sql/export', () => {
    const dirs = ['sql/exports', 'sql/export'].map((d) => path.join(ROOT, d));
    const files = dirs.flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f)));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(fs.readFileSync(f, 'utf8').replace(/^--.*$/gm, ''), f).not.toMatch(/\b(core|staging|ops)\.\w/);
  });
});

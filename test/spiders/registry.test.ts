import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { loadSchedules } from '../../src/schedule/schedules.ts';
import { resolveScope } from '../../src/spiders/lib/scope.ts';
import { loadSpiders, spiderEntries, spiderFileName, SPIDERS_DIR } from '../../src/spiders/registry.ts';

describe('spider registry', () => {
  it('finds every spider file, names unique and matching their files', async () => {
    const spiders = await loadSpiders();
    expect([...spiders.keys()]).toContain('demo_store');
    const files = spiderEntries().map((f) => path.basename(f));
    expect(files.sort()).toEqual([...spiders.keys()].map(spiderFileName).sort());
    expect(spiderEntries()).toContain(path.join('demo-store', 'demo-store.ts'));
    for (const f of spiderEntries()) expect(fs.existsSync(path.join(SPIDERS_DIR, f)), f).toBe(true);
  });

  it('refuses a spider whose name does not match its file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-spiders-'));
    fs.writeFileSync(path.join(dir, 'shop-a.ts'), `export default { name: 'shop_b', routes: {} };\n`);
    await expect(loadSpiders(dir)).rejects.toThrow('shop-a.ts: spider name shop_b must match its file name');
  });
});

describe('the project sources and schedules files', () => {
  const ROOT = path.resolve(import.meta.dirname, '../..');
  it("sources.json is each spider's valid scope, and every spider is scheduled with a timeout longer than its crawl", async () => {
    const spiders = await loadSpiders();
    const config = loadConfig({}, ROOT);
    for (const name of Object.keys(config.sources)) expect(spiders.has(name), name).toBe(true);
    const schedules = loadSchedules(config.schedulesFile);
    for (const spider of spiders.values()) {
      const scope = resolveScope(spider, config);
      if (spider.scope) expect(scope, spider.name).toEqual(spider.scope.parse(config.sources[spider.name] ?? {}));
      const s = schedules.find((x) => x.spider === spider.name);
      expect(s, `${spider.name} has a schedule`).toBeDefined();
      expect(s!.timeout_minutes).toBeGreaterThan((spider.expectedCrawlHours ?? 0) * 60);
    }
  });

  it('a sources entry that does not fit the spider stops the command with one line naming the field', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-sources-'));
    fs.writeFileSync(path.join(dir, 'sources.json'), JSON.stringify({ steam: { countries: ['xx'] } }));
    const config = loadConfig({}, dir);
    const steam = (await loadSpiders()).get('steam')!;
    expect(() => resolveScope(steam, config)).toThrow(/^config: SOURCES_FILE .*sources\.json: steam\.countries\.0: a Steam country trawl knows/);
    fs.writeFileSync(path.join(dir, 'sources.json'), '{"steam": [1]}');
    expect(() => loadConfig({}, dir)).toThrow(/^config: SOURCES_FILE .*sources\.json: steam: /);
  });
});

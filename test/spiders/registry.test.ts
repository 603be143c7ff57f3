import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpiders, spiderFileName, SPIDERS_DIR } from '../../src/spiders/registry.ts';

describe('spider registry', () => {
  it('finds every spider file, names unique and matching their files', async () => {
    const spiders = await loadSpiders();
    expect([...spiders.keys()]).toContain('demo_store');
    const files = fs.readdirSync(SPIDERS_DIR).filter((f) => f.endsWith('.ts') && !['define-spider.ts', 'registry.ts'].includes(f));
    expect(files.sort()).toEqual([...spiders.keys()].map(spiderFileName).sort());
  });

  it('refuses a spider whose name does not match its file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-spiders-'));
    fs.writeFileSync(path.join(dir, 'shop-a.ts'), `export default { name: 'shop_b', routes: {} };\n`);
    await expect(loadSpiders(dir)).rejects.toThrow('shop-a.ts: spider name shop_b must match its file name');
  });
});

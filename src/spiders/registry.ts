// Finds spiders by themselves: every .ts file in this folder (but the kit) default-exports one.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT, UserError } from '../lib/errors.ts';
import type { SpiderDefinition } from './define-spider.ts';

const KIT_FILES = new Set(['define-spider.ts', 'registry.ts']);

export const SPIDERS_DIR = import.meta.dirname;

/** The spider file name for a spider name: demo_store <-> demo-store.ts. */
export function spiderFileName(name: string): string {
  return `${name.replace(/_/g, '-')}.ts`;
}

export async function loadSpiders(dir = SPIDERS_DIR): Promise<Map<string, SpiderDefinition>> {
  const spiders = new Map<string, SpiderDefinition>();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !KIT_FILES.has(f)).sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: SpiderDefinition };
    const spider = mod.default;
    if (!spider || typeof spider.name !== 'string' || !spider.routes) {
      throw new Error(`${file}: a spider file must default-export defineSpider({...})`);
    }
    if (spiderFileName(spider.name) !== file) throw new Error(`${file}: spider name ${spider.name} must match its file name`);
    if (spiders.has(spider.name)) throw new Error(`${file}: duplicate spider name ${spider.name}`);
    spiders.set(spider.name, spider);
  }
  return spiders;
}

/** The named spiders, or a one-line error naming the unknown one and the known ones. */
export async function resolveSpiders(names: string[]): Promise<SpiderDefinition[]> {
  const all = await loadSpiders();
  return names.map((name) => {
    const spider = all.get(name);
    if (!spider) {
      throw new UserError(`unknown spider "${name}"; known spiders: ${[...all.keys()].join(', ')}`, { exitCode: EXIT.usage });
    }
    return spider;
  });
}

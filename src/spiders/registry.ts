// Finds spiders by themselves: every .ts file in this folder (but the kit) default-exports one, and so does
// <name>/<name>.ts in a folder of the spider's own (a spider that brings more, like the demo store's website).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT, UserError } from '../lib/errors.ts';
import type { SpiderDefinition } from './define-spider.ts';
import { schemaHash } from './lib/schema-hash.ts';

const KIT = new Set(['define-spider.ts', 'registry.ts', 'index.ts', 'lib']);

export const SPIDERS_DIR = import.meta.dirname;

/** The spider file name for a spider name: demo_store <-> demo-store.ts. */
export function spiderFileName(name: string): string {
  return `${name.replace(/_/g, '-')}.ts`;
}

/** The spiders' entry files in dir, relative to it: shop.ts, or shop/shop.ts for a spider with a folder. */
export function spiderEntries(dir = SPIDERS_DIR): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !KIT.has(e.name))
    .flatMap((e) => (e.isDirectory() ? [path.join(e.name, `${e.name}.ts`)] : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [e.name] : []))
    .sort();
}

/**
 * Every spider of the folder by name, each with its schema hash set.
 *
 * @example
 * const spiders = await loadSpiders();
 * spiders.get('steam')?.schemaHash; // the hash its crawls write in their start line
 */
export async function loadSpiders(dir = SPIDERS_DIR): Promise<Map<string, SpiderDefinition>> {
  const spiders = new Map<string, SpiderDefinition>();
  for (const file of spiderEntries(dir)) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: SpiderDefinition };
    const spider = mod.default;
    if (!spider || typeof spider.name !== 'string' || !spider.routes) {
      throw new Error(`${file}: a spider file must default-export defineSpider({...})`);
    }
    if (spiderFileName(spider.name) !== path.basename(file)) throw new Error(`${file}: spider name ${spider.name} must match its file name`);
    if (spiders.has(spider.name)) throw new Error(`${file}: duplicate spider name ${spider.name}`);
    // Once per process: the module is loaded once, and the hash is of the code this process runs.
    spider.schemaHash ??= schemaHash(path.join(dir, file));
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

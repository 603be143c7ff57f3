// `ingest --source`: each name is a spider or has raw files (another producer's); anything else is a typo.
import fs from 'node:fs';
import { EXIT, UserError } from '../lib/errors.ts';

export async function checkSources(names: string[], rawDir: string): Promise<void> {
  const spiders = await (await import('../spiders/index.ts')).loadSpiders();
  const folders = fs.existsSync(rawDir) ? fs.readdirSync(rawDir) : [];
  const unknown = names.filter((n) => !spiders.has(n) && !folders.includes(n));
  if (unknown.length) throw new UserError(`unknown source "${unknown[0]}": neither a spider (${[...spiders.keys()].join(', ')}) nor a folder of raw files in ${rawDir}`, { exitCode: EXIT.usage });
}

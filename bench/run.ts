// `npm run bench -- [name] [--option value]`: runs one benchmark (or all) and prints its table and,
// last, one JSON line of its figures.

const BENCHES: Record<string, () => Promise<{ run(opts: Record<string, string | undefined>): Promise<void> }>> = {
  ingest: () => import('./ingest.ts'),
  etl: () => import('./etl.ts'),
  export: () => import('./export.ts'),
  crawl: () => import('./crawl.ts'),
  scale: () => import('./scale.ts'),
};

// Positional names, then `--option value` pairs.
const positionals: string[] = [];
const values: Record<string, string> = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i]!.startsWith('--')) values[argv[i]!.slice(2)] = argv[++i] ?? '';
  else positionals.push(argv[i]!);
}
const names = positionals.length > 0 ? positionals : Object.keys(BENCHES);
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  await (await bench()).run(values);
}

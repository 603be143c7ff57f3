// The layer rule: folders under src/ are layers, and an import may only point down (docs/architecture.md).
// A stage never imports another stage, and another layer enters a folder through its index.ts, its door.
import fs from 'node:fs';
import path from 'node:path';

/** Higher imports lower; equal ranks are siblings that do not import each other. */
export const RANKS = {
  cli: 8,
  commands: 7,
  pipeline: 6,
  crawl: 5,
  staging: 5,
  etl: 5,
  export: 5,
  schedule: 5,
  config: 4,
  spiders: 3,
  raw: 3,
  db: 3,
  lib: 1,
};

/** Pairs that the ranks allow but the design does not: [importer, imported, why]. */
export const NEVER = [
  ['staging', 'spiders', 'staging validates with the rules its callers hand it (src/pipeline/source-rules.ts), and imports no spider'],
];

/** The layer of a path under src/: its first folder, or the file's own name for src/cli.ts and src/config.ts. */
function layerOf(rel) {
  const parts = rel.split('/');
  if (parts[0] !== 'src') return undefined;
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.ts$/, '');
}

const rule = {
  meta: { type: 'problem', docs: { description: 'imports point down the layers and enter a folder through its door' }, schema: [] },
  create(context) {
    const root = context.cwd;
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    const from = layerOf(file);
    if (!from) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = path.relative(root, path.resolve(path.dirname(context.filename), spec)).split(path.sep).join('/');
      const to = layerOf(target);
      if (!to || to === from) return;
      const report = (message) => context.report({ node, message: `${file} -> ${target}: ${message}` });
      if (!(from in RANKS)) return report(`src/${from} is on no layer; give it a rank in lint/layers.js`);
      if (!(to in RANKS)) return report(`src/${to} is on no layer; give it a rank in lint/layers.js`);
      if (RANKS[to] > RANKS[from]) return report(`imports upward (${from} is below ${to})`);
      if (RANKS[to] === RANKS[from]) return report(`${from} and ${to} are sibling layers: they meet in tables and raw files, not in each other's modules`);
      const never = NEVER.find(([a, b]) => a === from && b === to);
      if (never) return report(never[2]);
      const door = `src/${to}/index.ts`;
      if (target !== door && fs.existsSync(path.join(root, door))) report(`goes behind the door of src/${to}: import ${door}`);
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { 'imports-point-down': rule } };

// The spiders: each source in a file of its own, found by the registry, and the kit they are written with.
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { type CrawlerKind, DEFAULT_POLITENESS, type EmitInput, type Politeness, type SpiderDefinition, type SpiderRequest } from './define-spider.ts';
export { resolveScope } from './lib/scope.ts';
export { partitionScope } from './lib/split-scope.ts';
export { loadSpiders, resolveSpiders } from './registry.ts';
export { type RecordVerdict, validateRecord } from './lib/validate-record.ts';

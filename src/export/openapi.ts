// v1/openapi.json, generated from the export definitions and the column types their queries return.
import type { ExportDefinition } from './export-definition.ts';

/** JSON Schema of a Postgres type, by type OID (https://github.com/postgres/postgres/blob/master/src/include/catalog/pg_type.dat). */
export function jsonSchemaOfPgType(oid: number): Record<string, unknown> {
  switch (oid) {
    case 20: // int8
    case 21: // int2
    case 23: // int4
      return { type: 'integer' };
    case 700: // float4
    case 701: // float8
    case 1700: // numeric
      return { type: 'number' };
    case 16:
      return { type: 'boolean' };
    case 1082:
      return { type: 'string', format: 'date' };
    case 1114:
    case 1184:
      return { type: 'string', format: 'date-time' };
    case 114:
    case 3802:
      return {};
    default: // text, varchar, bpchar, name and the rest arrive as strings
      return { type: 'string' };
  }
}

export type ColumnTypes = Record<string, Record<string, number>>;

/** The schema of one object of a definition: the envelope with its rows. */
export function objectSchema(def: ExportDefinition, types: Record<string, number> = {}): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const c of def.columns) {
    const base = types[c.name] === undefined ? {} : jsonSchemaOfPgType(types[c.name]!);
    properties[c.name] = c.nullable && 'type' in base ? { ...base, type: [base.type as string, 'null'] } : base;
  }
  return {
    type: 'object',
    additionalProperties: false,
    required: ['updated_at', 'count', 'data'],
    properties: {
      updated_at: { type: 'string', format: 'date-time', description: 'When this object\'s data last changed.' },
      count: { type: 'integer', minimum: 0 },
      data: {
        type: 'array',
        items: { type: 'object', additionalProperties: false, required: def.columns.map((c) => c.name), properties },
      },
    },
  };
}

const manifestSchema = {
  type: 'object',
  required: ['generation', 'generated_at', 'files'],
  properties: {
    generation: { type: 'string' },
    generated_at: { type: 'string', format: 'date-time' },
    watermark: { type: 'integer' },
    changes_since: { type: 'integer' },
    assets: { type: 'object', additionalProperties: { type: 'string' } },
    files: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'size', 'sha256', 'data_sha256', 'count', 'updated_at'],
        properties: {
          key: { type: 'string', description: 'The content-addressed copy holding these bytes.' },
          size: { type: 'integer' },
          sha256: { type: 'string' },
          data_sha256: { type: 'string' },
          count: { type: 'integer' },
          updated_at: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};

const statusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['generation', 'generated_at', 'manifest'],
  properties: {
    generation: { type: 'string' },
    generated_at: { type: 'string', format: 'date-time' },
    manifest: { type: 'string', description: 'The key of this generation\'s manifest, v1/manifests/<generation>.json.' },
  },
};

const feed = (operationId: string, summary: string) => ({
  get: { operationId, summary, responses: { '200': { description: summary, content: { 'application/atom+xml': { schema: { type: 'string' } } } } } },
});

/** The objects that are not export definitions: the status pointer, the feeds and the bulk history. */
const FIXED_PATHS: Record<string, unknown> = {
  '/v1/status.json': {
    get: {
      operationId: 'status',
      summary: 'The current generation and its time, in a few bytes (the manifest names every object and is megabytes). Written right after the manifest.',
      responses: { '200': { description: 'The status.', content: { 'application/json': { schema: { $ref: '#/components/schemas/status' } } } } },
    },
  },
  '/v1/feeds/lows.atom': feed('feed_lows', 'Atom feed: the latest 100 price drops that brought a game to its all-time or 90-day low in its region and currency, across stores. Entry ids are stable across generations.'),
  '/v1/feeds/drops.atom': feed('feed_drops', 'Atom feed: the latest 100 price drops of at least FEED_DROP_MIN_SHARE of the price before. Entry ids are stable across generations.'),
  '/v1/history/prices.jsonl.gz': {
    get: {
      operationId: 'bulk_history',
      summary:
        'The whole price history in one gzipped file (Content-Type application/gzip, no Content-Encoding), one JSON object per line: listing, game_id, title, store, region, currency, source, status, amount, regular_amount (minor units, null when not for sale), valid_from, valid_to (null on current prices). Its row count and content-addressed key are in the manifest.',
      responses: { '200': { description: 'gzipped JSON lines.', content: { 'application/gzip': { schema: { type: 'string', contentEncoding: 'binary' } } } } },
    },
  },
};

export function buildOpenApi(defs: ExportDefinition[], types: ColumnTypes): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/v1/manifest.json': {
      get: {
        operationId: 'manifest',
        summary: 'The current generation: every object path with its content-addressed key, size, sha256 and record count. Written last.',
        responses: { '200': { description: 'The manifest.', content: { 'application/json': { schema: { $ref: '#/components/schemas/manifest' } } } } },
      },
    },
  };
  Object.assign(paths, FIXED_PATHS);
  const schemas: Record<string, unknown> = { manifest: manifestSchema, status: statusSchema };
  for (const def of defs) {
    const name = def.name.replace(/[^A-Za-z0-9]/g, '_');
    schemas[name] = objectSchema(def, types[def.name]);
    paths[`/${def.pathTemplate}`] = {
      get: {
        operationId: name,
        summary: def.description,
        ...(def.params.length
          ? { parameters: def.params.map((p) => ({ name: p, in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' } })) }
          : {}),
        responses: {
          '200': { description: def.description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } },
          ...(def.params.length ? { '404': { description: 'No such object.' } } : {}),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'trawl static export',
      version: '1',
      description: 'Static JSON objects in an object store. Stable paths are short-cached aliases of content-addressed copies; read v1/manifest.json for one consistent generation.',
    },
    paths,
    components: { schemas },
  };
}

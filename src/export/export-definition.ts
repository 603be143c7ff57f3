// An export definition is one SQL file in sql/exports/ whose header names its path, description,
// shape and columns. The columns are a contract: a query returning others fails its export.
import fs from 'node:fs';
import path from 'node:path';
import { SQL_DIR } from '../db/index.ts';
import { readSqlDefinition } from './read-sql-definition.ts';

export const EXPORTS_DIR = path.join(SQL_DIR, 'exports');

export interface ExportColumn {
  name: string;
  nullable: boolean;
}

export interface ExportDefinition {
  name: string;
  /** e.g. v1/deals.json, or v1/games/{game_id}.json: one object per distinct game_id. */
  pathTemplate: string;
  /** Columns named in the path template; rows must come ordered by them. */
  params: string[];
  description: string;
  shape: 'list';
  /** Every column of every row, in order; `name?` in the header marks a nullable one. */
  columns: ExportColumn[];
  /** `since: previous` binds $1 to the ETL watermark of the previous generation (a changes feed). */
  sincePrevious: boolean;
  /** Rows the cursor fetches at a time (default 1000); fewer for rows that are big aggregates. */
  rowsPerRead: number;
  sql: string;
  file: string;
}

export function parseExportDefinition(file: string, text: string): ExportDefinition {
  const { header, sql, fail } = readSqlDefinition(`sql/exports/${file}`, text);
  const pathTemplate = header.path ?? fail('header has no "-- path:" line');
  if (!/^v\d+\/[a-z0-9_\-/{}]+\.json$/.test(pathTemplate)) fail(`path ${pathTemplate} must look like v1/<name>.json`);
  const description = header.description ?? fail('header has no "-- description:" line');
  if (header.shape !== 'list') fail(`shape must be "list", got ${JSON.stringify(header.shape)}`);
  const columns = (header.columns ?? fail('header has no "-- columns:" line')).split(',').map((c) => {
    const name = c.trim().replace(/\?$/, '');
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) fail(`column ${JSON.stringify(c.trim())} is not a lower_snake_case name`);
    return { name, nullable: c.trim().endsWith('?') };
  });
  const params = [...pathTemplate.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
  for (const p of params) if (!columns.some((c) => c.name === p && !c.nullable)) fail(`path parameter ${p} must be a non-null column`);
  if (header.since !== undefined && header.since !== 'previous') fail(`since must be "previous", got ${JSON.stringify(header.since)}`);
  const rowsPerRead = header.rows_per_read === undefined ? 1000 : Number(header.rows_per_read);
  if (!Number.isInteger(rowsPerRead) || rowsPerRead < 1 || rowsPerRead > 10_000) fail(`rows_per_read must be a whole number from 1 to 10000, got ${JSON.stringify(header.rows_per_read)}`);
  return { name: file.replace(/\.sql$/, ''), pathTemplate, params, description, shape: 'list', columns, sincePrevious: header.since === 'previous', rowsPerRead, sql, file };
}

export function loadExportDefinitions(dir = EXPORTS_DIR): ExportDefinition[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseExportDefinition(f, fs.readFileSync(path.join(dir, f), 'utf8')));
}

/** The concrete path of a fan-out object; parameter values are made safe for a URL path. */
export function fillPath(template: string, row: Record<string, unknown>): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = String(row[name] ?? '');
    if (!/^[A-Za-z0-9_.-]+$/.test(value) || value === '.' || value === '..') {
      throw new Error(`export path ${template}: ${name}=${JSON.stringify(value)} is not a safe path segment`);
    }
    return value;
  });
}

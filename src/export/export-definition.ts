// An export definition is one SQL file in sql/exports/ whose header names its path, description and shape.
import fs from 'node:fs';
import path from 'node:path';
import { SQL_DIR } from '../db/sql-file.ts';

export const EXPORTS_DIR = path.join(SQL_DIR, 'exports');

export interface ExportDefinition {
  name: string;
  /** e.g. v1/deals.json, or v1/games/{game_id}.json: one object per distinct game_id. */
  pathTemplate: string;
  /** Columns named in the path template; rows must come ordered by them. */
  params: string[];
  description: string;
  shape: 'list';
  sql: string;
  file: string;
}

export function parseExportDefinition(file: string, text: string): ExportDefinition {
  const header: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^--\s*([a-z_]+):\s*(.+)$/.exec(line);
    if (m) header[m[1]!] = m[2]!.trim();
    else if (!line.startsWith('--') && line.trim() !== '') break;
  }
  const fail = (why: string) => {
    throw new Error(`sql/exports/${file}: ${why}`);
  };
  const pathTemplate = header.path ?? fail('header has no "-- path:" line');
  if (!/^v\d+\/[a-z0-9_\-/{}]+\.json$/.test(pathTemplate)) fail(`path ${pathTemplate} must look like v1/<name>.json`);
  const description = header.description ?? fail('header has no "-- description:" line');
  if (header.shape !== 'list') fail(`shape must be "list", got ${JSON.stringify(header.shape)}`);
  const params = [...pathTemplate.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
  const sql = text.replace(/;\s*$/, '').trim();
  if (sql.includes(';')) fail('holds more than one statement');
  return { name: file.replace(/\.sql$/, ''), pathTemplate, params, description, shape: 'list', sql, file };
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

// A lake table is one SQL file in sql/lake/ whose header names the table, what it holds, its Hive
// partition columns and every column's type. The query reads marts only, ordered by the partition
// columns first, so that each partition's rows arrive together.
import fs from 'node:fs';
import path from 'node:path';
import { SQL_DIR } from '../db/index.ts';
import { readSqlDefinition } from './read-sql-definition.ts';

export const LAKE_DIR = path.join(SQL_DIR, 'lake');

/** The Parquet (DuckDB) types a lake column may have. */
const LAKE_TYPES = ['VARCHAR', 'BIGINT', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'TIMESTAMPTZ', 'DATE'] as const;
export type LakeType = (typeof LAKE_TYPES)[number];

export interface LakeColumn {
  name: string;
  type: LakeType;
}

export interface LakeDefinition {
  table: string;
  description: string;
  /** Columns that become folders (store=steam/region=us/…), in order; they are not in the files. */
  partitionBy: string[];
  columns: LakeColumn[];
  sql: string;
  file: string;
}

export function parseLakeDefinition(file: string, text: string): LakeDefinition {
  const { header, sql, fail } = readSqlDefinition(`sql/lake/${file}`, text);
  const table = header.table ?? fail('header has no "-- table:" line');
  if (!/^[a-z][a-z0-9_]*$/.test(table)) fail(`table ${table} must be a lower_snake_case name`);
  const description = header.description ?? fail('header has no "-- description:" line');
  const columns = (header.columns ?? fail('header has no "-- columns:" line')).split(',').map((c) => {
    const [name, type, ...rest] = c.trim().split(/\s+/);
    if (!name || !/^[a-z_][a-z0-9_]*$/.test(name) || rest.length > 0) fail(`column ${JSON.stringify(c.trim())} must be "<name> <TYPE>"`);
    if (!LAKE_TYPES.includes(type as LakeType)) fail(`column ${name} has type ${type}, not one of ${LAKE_TYPES.join(', ')}`);
    return { name: name!, type: type as LakeType };
  });
  const partitionBy = header.partition_by ? header.partition_by.split(',').map((c) => c.trim()) : [];
  partitionBy.forEach((p, i) => {
    if (columns[i]?.name !== p) fail(`partition column ${p} must be column ${i + 1}: the query orders by the partition columns first`);
  });
  return { table, description, partitionBy, columns, sql, file };
}

export function loadLakeDefinitions(dir = LAKE_DIR): LakeDefinition[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseLakeDefinition(f, fs.readFileSync(path.join(dir, f), 'utf8')));
}

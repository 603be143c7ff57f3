// Parquet files written by DuckDB (embedded, from npm): rows arrive as Postgres's own text, are
// appended to a DuckDB table of VARCHAR columns, and each partition is written with every column cast
// to its declared type (BIGINT amounts, TIMESTAMPTZ as UTC-adjusted microsecond timestamps, nulls as
// nulls). DuckDB's memory is capped and spills to a temporary folder, so a partition of any size
// costs disk, not memory.
import path from 'node:path';
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { sqlQuery } from '../db/index.ts';
import type { LakeColumn } from './lake-definition.ts';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const Q = (name: string) => sqlQuery('export/parquet-writer.sql', name);

export class ParquetWriter {
  private appender: DuckDBAppender | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(tmpDir: string, memoryLimit = '128MB'): Promise<ParquetWriter> {
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: memoryLimit, threads: '1', temp_directory: path.join(tmpDir, 'duckdb') });
    return new ParquetWriter(instance, await instance.connect());
  }

  /** Starts a table's rows: the columns that go into its files. */
  async begin(columns: LakeColumn[]): Promise<void> {
    this.appender?.closeSync();
    await this.connection.run(Q('drop_part'));
    await this.connection.run(Q('create_part').replace('{columns}', () => columns.map((c) => `${quote(c.name)} VARCHAR`).join(', ')));
    this.appender = await this.connection.createAppender('part');
  }

  append(values: (string | null)[]): void {
    for (const v of values) {
      if (v === null) this.appender!.appendNull();
      else this.appender!.appendVarchar(v);
    }
    this.appender!.endRow();
  }

  /** Writes the rows appended since the last write into one Parquet file, then forgets them. */
  async write(file: string, columns: LakeColumn[]): Promise<void> {
    this.appender!.flushSync();
    const select = columns.map((c) => `CAST(${quote(c.name)} AS ${c.type}) AS ${quote(c.name)}`).join(', ');
    await this.connection.run(Q('write_part').replace('{select}', () => select).replace('{file}', () => `'${file.replace(/'/g, "''")}'`));
    await this.connection.run(Q('clear_part'));
  }

  /** Drops what was appended since the last write (a partition whose data did not change). */
  async discard(): Promise<void> {
    this.appender!.flushSync();
    await this.connection.run(Q('clear_part'));
  }

  close(): void {
    try {
      this.appender?.closeSync();
    } catch {
      // a failed write may have closed it already
    }
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

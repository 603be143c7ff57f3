// Response bodies of a crawl run, kept compressed so `trawl reparse` can run fixed parsers over them
// without crawling again. One file per run; each page is its own gzip member appended in one write,
// so a killed run leaves whole pages and at most one torn member at the end, which readers skip.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface StoredBody {
  /** Crawlee's unique key of the request: a page fetched twice (a resumed run) is read once, last wins. */
  key: string;
  url: string;
  /** Where the response came from after redirects (absent in bodies stored before it was kept). */
  loaded_url?: string;
  label: string;
  userData: Record<string, unknown>;
  fetched_at: string;
  body: string;
  captured: { url: string; body: string }[];
}

/** <bodies dir>/<source>/<YYYY-MM-DD>/<run id>.jsonl.gz, beside the raw file's own layout. */
export function bodyFilePath(bodiesDir: string, rawRelPath: string): string {
  return path.join(bodiesDir, rawRelPath.replace(/\.jsonl$/, '.bodies.jsonl.gz'));
}

export class BodyWriter {
  private fd: number;
  private size: number;
  /** Why bodies stopped being kept (a full disk); the crawl itself goes on. */
  failed: string | undefined;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  /**
   * Appends one page as its own gzip member. A write that fails (ENOSPC) is cut back off, so the
   * file stays whole members that `trawl reparse` can read, and no body is kept after it.
   */
  add(entry: StoredBody): boolean {
    if (this.failed) return false;
    const member = zlib.gzipSync(`${JSON.stringify(entry)}\n`, { level: 4 });
    try {
      fs.writeSync(this.fd, member);
      this.size += member.length;
      return true;
    } catch (err) {
      this.failed = (err as Error).message;
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        // The torn member stays; readers stop at it and keep every whole one before.
      }
      return false;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The stored pages of a run, one per request key (the last fetch wins), in first-fetch order. */
export async function readBodies(file: string): Promise<StoredBody[]> {
  const byKey = new Map<string, StoredBody>();
  let rest = '';
  const gunzip = fs.createReadStream(file).pipe(zlib.createGunzip());
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const entry = JSON.parse(line) as StoredBody;
        byKey.set(entry.key, entry);
      }
    }
  } catch (err) {
    // A torn last member (a killed run, a full disk) ends the file early: every whole line before it counts.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'Z_BUF_ERROR' && code !== 'Z_DATA_ERROR') throw err;
  }
  return [...byKey.values()];
}

// v1/manifest.json: the generation, and for every object its content-addressed key, size, sha256 and
// record count. With 100,000 games it is some 25 MB, so neither manifest is held whole: of the previous
// one only what the next export compares is kept, and the new one is written entry by entry to a
// temporary file.
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { contentKey } from './object-path.ts';
import { joinIntoFile, SpillFile } from './spill-file.ts';
import type { ExportTarget } from './targets.ts';

export const MANIFEST_KEY = 'v1/manifest.json';

export interface ManifestFile {
  /** The content-addressed key holding this generation's bytes. */
  key: string;
  size: number;
  sha256: string;
  /** Hash of the data alone: equal data keeps the previous updated_at, hence the same bytes. */
  data_sha256: string;
  count: number;
  updated_at: string;
}

/** Everything in a manifest but its files. */
export interface ManifestHeader {
  generation: string;
  generated_at: string;
  /** The ETL watermark this generation reflects; the next changes feed starts after it. */
  watermark: number;
  /** The watermark v1/changes/latest.json starts after. */
  changes_since: number;
  /**
   * Staging versions up to `watermark`, and up to `changes_since`. Counts, unlike ids, survive a
   * rebuild (`trawl rebuild` replays the same files in the same order into new ids), so the next
   * export finds the same feed baseline in a rebuilt database.
   */
  versions?: number;
  changes_since_versions?: number;
  /** sha256 of the page's files and openapi.json at their stable keys. */
  assets: Record<string, string>;
}

export type Manifest = ManifestHeader & { files: Record<string, ManifestFile> };

/** What the next export needs of a previous file entry. */
export interface PreviousFile {
  key: string;
  data_sha256: string;
  updated_at: string;
}

/** A published manifest: its header, and of each file what the next export compares. */
export interface PreviousManifest {
  header: ManifestHeader;
  files: PreviousFiles;
}

/**
 * Of each previous file, what the next export compares, packed into one flat string: 100,000 entries
 * take some 16 MB instead of 29 MB as objects. The content-addressed key is kept as its 16 hex digits
 * when it follows the usual form, and updated_at (mostly one value) as an index.
 */
export class PreviousFiles {
  private readonly packed = new Map<string, string>();
  private readonly times: string[] = [];
  private readonly timeIndex = new Map<string, number>();

  set(objectPath: string, f: PreviousFile): void {
    let t = this.timeIndex.get(f.updated_at);
    if (t === undefined) {
      t = this.times.length;
      this.times.push(f.updated_at);
      this.timeIndex.set(f.updated_at, t);
    }
    const digits = /\.([0-9a-f]{16})\.[a-z.]+$/.exec(f.key)?.[1];
    const key = digits && contentKey(objectPath, digits) === f.key ? digits : `=${f.key}`;
    // Copied once more so that it holds none of the strings it was made from.
    this.packed.set(objectPath, Buffer.from(`${t}\t${key}\t${f.data_sha256}`).toString());
  }

  get(objectPath: string): PreviousFile | undefined {
    const packed = this.packed.get(objectPath);
    return packed === undefined ? undefined : this.unpack(objectPath, packed);
  }

  get size(): number {
    return this.packed.size;
  }

  keys(): IterableIterator<string> {
    return this.packed.keys();
  }

  *entries(): Generator<[string, PreviousFile]> {
    for (const [objectPath, packed] of this.packed) yield [objectPath, this.unpack(objectPath, packed)];
  }

  private unpack(objectPath: string, packed: string): PreviousFile {
    // The index and the hex hash hold no tab; a key kept whole might.
    const first = packed.indexOf('\t');
    const last = packed.lastIndexOf('\t');
    const key = packed.slice(first + 1, last);
    return {
      key: key.startsWith('=') ? key.slice(1) : contentKey(objectPath, key),
      data_sha256: packed.slice(last + 1),
      updated_at: this.times[Number(packed.slice(0, first))]!,
    };
  }
}

export async function readManifest(target: ExportTarget, key = MANIFEST_KEY): Promise<PreviousManifest | undefined> {
  const chunks = await target.open(key);
  if (!chunks) return undefined;
  const where = `${target.describe()}/${key}`;
  let read = await scanManifest(chunks);
  if (!read) {
    const body = await target.get(key);
    if (!body) return undefined;
    read = parseManifest(body, where);
  }
  if (typeof read.header.generation !== 'string') throw new Error(`${where} is not a trawl manifest: it names no generation`);
  return { header: { ...read.header, assets: read.header.assets ?? {} } as ManifestHeader, files: read.files };
}

type ReadManifest = { header: Partial<ManifestHeader>; files: PreviousFiles };

/** Any manifest, parsed whole: every entry exists as an object for a moment. */
function parseManifest(body: Buffer, where: string): ReadManifest {
  const files = new PreviousFiles();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new Error(`${where} is not valid JSON`, { cause });
  }
  const header = (parsed ?? {}) as Partial<ManifestHeader> & { files?: unknown };
  for (const [objectPath, entry] of Object.entries(header.files ?? {})) {
    if (isFileEntry(entry)) files.set(objectPath, entry);
  }
  delete header.files;
  return { header, files };
}

const FILES_START = '"files":{';
// One file entry: its quoted path and its flat object, then a comma or the end of the files.
const ENTRY = /"((?:[^"\\]|\\.)*)":(\{[^{}]*\})([,}])/y;

/**
 * A manifest as trawl writes it (compact, file entries flat), read as its bytes arrive, a megabyte at
 * a time, so that neither its 25 MB nor an object per entry exist at once. Anything else returns
 * undefined (and stops reading), for the whole parse.
 */
export async function scanManifest(chunks: AsyncIterable<Buffer>): Promise<ReadManifest | undefined> {
  const files = new PreviousFiles();
  const decoder = new StringDecoder('utf8');
  const source = chunks[Symbol.asyncIterator]();
  let ended = false;
  let text = '';
  const more = async () => {
    const pieces: Buffer[] = [];
    let bytes = 0;
    while (bytes < 1 << 20) {
      const next = await source.next();
      if (next.done) {
        ended = true;
        break;
      }
      pieces.push(next.value);
      bytes += next.value.length;
    }
    // Appending to a slice would keep every chunk alive through the slices: copy the rest.
    text = Buffer.from(text, 'utf8').toString('utf8') + decoder.write(Buffer.concat(pieces));
  };
  const give = async () => {
    await source.return?.();
    return undefined;
  };
  while (!text.includes(FILES_START)) {
    if (ended) return give();
    await more();
  }
  const start = text.indexOf(FILES_START);
  const head = text.slice(0, start);
  text = text.slice(start + FILES_START.length);
  let pos = 0;
  for (;;) {
    if (text.length - pos < 65_536 && !ended) {
      text = text.slice(pos);
      pos = 0;
      await more();
    }
    if (pos === 0 && text.startsWith('}')) {
      pos = 1; // no files at all
      break;
    }
    ENTRY.lastIndex = pos;
    const m = ENTRY.exec(text);
    if (!m) return give();
    let entry: unknown;
    let objectPath: unknown;
    try {
      entry = JSON.parse(m[2]!);
      objectPath = JSON.parse(`"${m[1]}"`);
    } catch {
      return give();
    }
    if (!isFileEntry(entry) || typeof objectPath !== 'string') return give();
    files.set(objectPath, entry);
    pos = ENTRY.lastIndex;
    if (m[3] === '}') break;
  }
  while (!ended) await more();
  // What is left closes the manifest: `}` or the members after the files, then `}`.
  const rest = text.slice(pos).trim();
  try {
    const header = JSON.parse(rest.startsWith(',') ? `${head}${rest.slice(1)}` : `${head.replace(/,\s*$/, '')}${rest}`) as Partial<ManifestHeader>;
    return { header, files };
  } catch {
    return undefined;
  }
}

function isFileEntry(v: unknown): v is PreviousFile {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return typeof e.key === 'string' && typeof e.sha256 === 'string' && typeof e.data_sha256 === 'string' && typeof e.updated_at === 'string';
}

/** The new manifest, its file entries appended to a temporary file as objects are published. */
export class ManifestWriter {
  private readonly entries: SpillFile;
  private readonly named = new Set<string>();

  constructor(private readonly tmpDir: string) {
    this.entries = new SpillFile(path.join(tmpDir, 'manifest-files.part'));
  }

  add(objectPath: string, entry: ManifestFile): void {
    this.entries.append(`${this.named.size === 0 ? '' : ','}${JSON.stringify(objectPath)}:${JSON.stringify(entry)}`);
    this.named.add(objectPath);
  }

  has(objectPath: string): boolean {
    return this.named.has(objectPath);
  }

  get size(): number {
    return this.named.size;
  }

  close(): void {
    this.entries.close();
  }

  /** Writes the whole manifest, compact (indented it is a third bigger), to a file and returns its path. */
  finish(header: ManifestHeader): string {
    this.entries.close();
    const file = path.join(this.tmpDir, 'manifest.json');
    joinIntoFile(file, `${JSON.stringify(header).slice(0, -1)},"files":{`, this.entries.file, '}}\n');
    return file;
  }
}

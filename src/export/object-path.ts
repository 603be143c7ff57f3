// What an exported object's path says about it: its Content-Type, and where the hash goes in its
// content-addressed key. One table for the exporter's uploads, its copies and `trawl serve`.

/** Endings, longest first: `prices.jsonl.gz` is gzip, not JSON. */
const TYPES: [ending: string, contentType: string][] = [
  ['.jsonl.gz', 'application/gzip'],
  ['.json', 'application/json; charset=utf-8'],
  ['.atom', 'application/atom+xml; charset=utf-8'],
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.txt', 'text/plain; charset=utf-8'],
];

function endingOf(objectPath: string): string | undefined {
  return TYPES.find(([ending]) => objectPath.endsWith(ending))?.[0];
}

export function contentTypeOf(objectPath: string): string {
  return TYPES.find(([ending]) => objectPath.endsWith(ending))?.[1] ?? 'application/octet-stream';
}

/** The content-addressed key of an object's bytes: its path with the first 16 hex digits of their sha256 before its ending. */
export function contentKey(objectPath: string, sha256: string): string {
  const ending = endingOf(objectPath) ?? '';
  return `${objectPath.slice(0, objectPath.length - ending.length)}.${sha256.slice(0, 16)}${ending}`;
}

/** Whether a path is a content-addressed copy (its bytes never change, so it may be cached for good). */
export function isContentAddressed(objectPath: string): boolean {
  const ending = endingOf(objectPath) ?? '';
  return /\.[0-9a-f]{16}$/.test(objectPath.slice(0, objectPath.length - ending.length));
}

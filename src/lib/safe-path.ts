// Names that come from outside (bucket listings) become local paths only when they cannot leave their
// folder. Pure.
import path from 'node:path';

/**
 * `root` joined with the '/'-separated relative name `rel`, or undefined when `rel` could leave root
 * or is not a plain name: absolute, a `..` or `.` or empty segment, a backslash, a NUL or control byte.
 */
export function pathUnder(root: string, rel: string): string | undefined {
  if (rel === '' || rel.startsWith('/') || rel.includes('\\') || [...rel].some((c) => c.charCodeAt(0) < 0x20)) return undefined;
  const segments = rel.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  const full = path.resolve(root, ...segments);
  const back = path.relative(path.resolve(root), full);
  return back === '' || back.startsWith('..') || path.isAbsolute(back) ? undefined : full;
}

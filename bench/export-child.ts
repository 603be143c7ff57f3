// One measured export run, in its own process so its peak RSS is its own. Prints the requests it made.
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { runExport } from '../src/export/run-export.ts';
import { openTarget, type ExportTarget } from '../src/export/targets.ts';
import { fixedClock } from '../src/lib/clock.ts';
import { silentLogger } from '../src/lib/logger.ts';

const config = loadConfig();
const database = await openDatabase(config, silentLogger, { migrate: false });
const target = openTarget(config);
const count = { put: 0, copy: 0, delete: 0 };
const counted: ExportTarget = {
  describe: () => target.describe(),
  check: () => target.check(),
  get: (k) => target.get(k),
  open: (k) => target.open(k),
  put: (k, b, o) => (count.put++, target.put(k, b, o)),
  copy: (f, t, o) => (count.copy++, target.copy(f, t, o)),
  delete: (keys) => ((count.delete += keys.length), target.delete(keys)),
  list: (p) => target.list(p),
};
// What the resident size is made of: the V8 heap, and buffers outside it.
const peak = { heapMb: 0, externalMb: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak.heapMb = Math.max(peak.heapMb, m.heapUsed / 1048576);
  peak.externalMb = Math.max(peak.externalMb, m.external / 1048576);
}, 100);
const t = performance.now();
const r = await runExport({ database, target: counted, clock: fixedClock(config.fixedNow ?? new Date()), log: silentLogger, cacheMaxAge: 300 });
const ms = performance.now() - t;
clearInterval(sampler);
await database.close();
console.log(JSON.stringify({ ms, objects: r.objects, uploaded: r.uploaded, puts: count.put, copies: count.copy, deletes: count.delete, rssMb: process.resourceUsage().maxRSS / 1024, ...peak }));

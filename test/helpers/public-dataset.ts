// The data the public page and the feeds are tested on: three days of the demo store (Clockwork Garden
// goes 19.99 -> 14.99 -> 19.99 in the US, Sunken Bell is delisted on day 2, Lantern Road is never on
// sale) and a second store, shop_two, selling Clockwork Garden cheaper (17.99, then 12.99 on day 3) and
// Iron Tundra, and a game whose scraped title is hostile HTML. Exported (to `config`'s target) as of day 3.
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { runEtl } from '../../src/etl/index.ts';
import { runExport, type ExportResult } from '../../src/export/run-export.ts';
import { openTarget } from '../../src/export/targets.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { startDemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import demoStore from '../../src/spiders/demo-store/demo-store.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { writeRawFile } from './raw-files.ts';

/** A title that runs script if anything inserts it as HTML, and breaks XML if not escaped. */
export const HOSTILE_TITLE = '<img src=x onerror="window.__xss=1">Evil & Co </feed>';

const shopTwo = (item: string, title: string, amount: number, regular: number) => ({
  key: `shop_two:${item}:us`,
  partition: 'us',
  data: { store: 'shop_two', store_item_id: item, title, url: `https://shop-two.example/app/${item}`, region: 'us', currency: 'USD', status: 'available', amount, regular_amount: regular },
});

export async function buildPublicDataset(database: Database, config: Config): Promise<ExportResult> {
  const demo = await startDemoServer({ day: 1 });
  try {
    for (const day of [1, 2, 3]) {
      demo.setDay(day);
      await runPipeline({ spiders: [demoStore], config, database, log: silentLogger, clock: fixedClock(demoDayTime(day)), day, baseUrl: demo.baseUrl });
    }
  } finally {
    await demo.close();
  }
  const days = [
    { at: demoDayTime(1).toISOString(), offers: [shopTwo('cg', 'Clockwork Garden', 1799, 1999), shopTwo('it', 'Iron Tundra', 3999, 3999)] },
    { at: demoDayTime(3).toISOString(), offers: [shopTwo('cg', 'Clockwork Garden', 1299, 1999), shopTwo('it', 'Iron Tundra', 3999, 3999), shopTwo('ev', HOSTILE_TITLE, 499, 999)] },
  ];
  for (const d of days) {
    const file = writeRawFile(config.rawDir, 'shop_two', d.offers.map((o) => ({ ...o, at: d.at })), { complete: true });
    await ingestFile({ pool: database.pool, rawDir: config.rawDir, file, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
  }
  await runEtl({ database, log: silentLogger });
  return runExport({ database, target: openTarget(config), clock: fixedClock(new Date(demoDayTime(3).getTime() + 3_600_000)), log: silentLogger, cacheMaxAge: 60, feedDropMinShare: 0.2 });
}

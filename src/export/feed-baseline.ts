// Where the changes feed of a generation starts. The feed holds the changes of the latest generation
// that brought any: a generation with no new data keeps the previous feed (and its bytes), so re-runs
// change nothing. The first generation has no previous one to change from: its feed is empty (not all
// of history, which would also be one object as big as the whole price history).
import type { PoolClient } from 'pg';
import { sqlQuery } from '../db/index.ts';
import type { ManifestHeader } from './manifest.ts';

const Q = (name: string) => sqlQuery('export/feed-baseline.sql', name);

/** Counts the versions the manifest's watermark covers, sets the feed's baseline in it, and returns the version id the feed starts after. */
export async function setFeedBaseline(client: PoolClient, manifest: ManifestHeader, before: ManifestHeader | undefined): Promise<number> {
  const counted = await client.query<{ n: number }>(Q('versions_up_to'), [manifest.watermark]);
  manifest.versions = counted.rows[0]!.n;
  const baseVersions = !before
    ? manifest.versions
    : before.versions === manifest.versions
      ? (before.changes_since_versions ?? 0)
      : (before.versions ?? 0);
  const since = await versionIdAt(client, baseVersions);
  manifest.changes_since = since;
  manifest.changes_since_versions = baseVersions;
  return since;
}

/** The id of the n-th staging version (0 for none): where a feed baseline counted in versions starts. */
async function versionIdAt(client: PoolClient, n: number): Promise<number> {
  if (n <= 0) return 0;
  const { rows } = await client.query<{ id: number }>(Q('version_id_at'), [n - 1]);
  return rows[0]?.id ?? 0;
}

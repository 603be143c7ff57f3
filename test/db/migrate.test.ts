// Migrations run on a connection of trawl's own, guarded and closed before migrateUp returns. The
// embedded server stops right after a short command: a session whose goodbye (Terminate) the server
// had not read yet got "terminating connection due to administrator command", as an unhandled error
// that crashed the command (seen in CI, under load). A proxy here holds the goodbye back to make that
// moment last.
import net, { type AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { migrateUp } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]); // 'X', length 4

const databases: TestDatabase[] = [];
const admin = new pg.Client({ connectionString: inject('adminUrl') });
beforeAll(() => admin.connect());
afterAll(async () => {
  await admin.end();
  for (const d of databases) await d.drop();
});

/** A TCP proxy to Postgres that passes everything but a client's Terminate and its end of the stream. */
async function goodbyeHoldingProxy(target: { host: string; port: number }): Promise<{ port: number; heldGoodbye: Promise<void>; close(): void }> {
  let held!: () => void;
  const heldGoodbye = new Promise<void>((resolve) => (held = resolve));
  const sockets = new Set<net.Socket>();
  // Half-open: the client's end of its stream must not close ours.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      const goodbye = chunk.length >= TERMINATE.length && chunk.subarray(-TERMINATE.length).equals(TERMINATE);
      upstream.write(goodbye ? chunk.subarray(0, -TERMINATE.length) : chunk);
      if (goodbye) held();
    });
    for (const s of [client, upstream]) s.on('error', () => undefined);
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    heldGoodbye,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

it('a server stopping as migrateUp says goodbye costs no crash, and migrateUp returns only once its session is gone', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  const url = new URL(db.url);
  const proxy = await goodbyeHoldingProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.host = `127.0.0.1:${proxy.port}`;
  let returned = false;
  const migrated = migrateUp(url.toString(), silentLogger).then((names) => {
    returned = true;
    return names;
  });
  try {
    await proxy.heldGoodbye;
    // The session is still there, and migrateUp waits for it to end.
    await new Promise((r) => setTimeout(r, 100));
    expect(returned).toBe(false);
    const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db.name]);
    expect(rows).toHaveLength(1);
    // What `pg_ctl stop -m fast` does to every session.
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    expect(await migrated).toEqual([]);
    expect((await admin.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1', [db.name])).rowCount).toBe(0);
  } finally {
    proxy.close();
  }
});

/**
 * run() closes the store it opened: an in-process caller (these tests, anything embedding the CLI)
 * is not left with PostgreSQL connections that outlive the run.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { NOW } from '../helpers/protime.js';

/** This process's pooled connections to the store (run locks have an application name of their own). */
async function poolConnections(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where application_name like $1 and pid <> pg_backend_pid()',
      [`protime-hooks pid ${process.pid} %`],
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

forEachBackend(
  'run() and the store',
  (backend) => {
    it('leaves no pooled connection open once a run returns: succeeded, failed, or across --all-profiles', async () => {
      await backend.seed();
      // The test's own pool, which seeded the store, is not the CLI's.
      await (await backend.seed({ profile: 'staging' })).close?.();
      expect((await backend.run(['status', '--offline', '--json', '--config-dir', backend.dir], { now: NOW })).code).toBe(0);
      expect((await backend.run(['unsubscribe', 'ghost', '--yes', '--json', '--config-dir', backend.dir], { now: NOW })).code).toBe(2);
      // --all-profiles: the profiles' contexts share the one store, closed once by the run.
      const fleet = await backend.run(['status', '--offline', '--all-profiles', '--json', '--config-dir', backend.dir], { now: NOW });
      expect(fleet.code, fleet.stderr).toBe(0);
      expect(fleet.json().profiles.map((p: { profile: string }) => p.profile)).toEqual(['default', 'staging']);
      const url = backend.env.PROTIME_HOOKS_STORE!;
      // A connection closed by the client leaves the server's list a moment later; one left open never does.
      let open = await poolConnections(url);
      for (let tries = 0; open > 0 && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        open = await poolConnections(url);
      }
      expect(open).toBe(0);
    });
  },
  ['postgres'],
);

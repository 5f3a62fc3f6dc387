/**
 * Vitest global setup: one throwaway PostgreSQL cluster for the whole run, so the test files that
 * run on both backends (backends.ts) each make a database on it instead of a cluster of their own
 * (a cluster per file cost about two seconds each). Skipped where the binaries are missing.
 */
import type { TestProject } from 'vitest/node';
import { postgresSkip, startPostgres } from './postgres.js';

export interface SharedPostgres {
  /** The superuser's URL, to create each file's database. */
  superuserUrl: string;
  /** The application role's URL to its own database; backends.ts swaps the database name. */
  url: string;
  user: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: SharedPostgres | null;
  }
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (postgresSkip) {
    project.provide('postgres', null);
    return undefined;
  }
  const cluster = await startPostgres();
  project.provide('postgres', { superuserUrl: cluster.superuserUrl, url: cluster.url, user: cluster.user });
  return () => cluster.stop();
}

import type { Context } from '../context.js';
import { liveRecords } from '../lifecycle/subscriptions.js';
import { type Column, shortTime, table, type View } from '../shared/output.js';

export interface ProfileSummary {
  name: string;
  tenant: string;
  environment: string;
  clientId: string;
  apiUrl: string;
  loggedIn: boolean;
  /** When the cached token expires; null when none is cached. */
  tokenExpiresAt: string | null;
  subscriptions: number;
  /** The profile this run selected (--profile / PROTIME_PROFILE / default). */
  current: boolean;
}

export async function run(_options: unknown, ctx: Context): Promise<ProfileSummary[]> {
  const data = await ctx.store.read();
  return Object.entries(data.profiles)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => ({
      name,
      tenant: p.tenant,
      environment: p.environment,
      clientId: p.clientId,
      apiUrl: p.apiUrl,
      loggedIn: Boolean(p.clientSecret),
      tokenExpiresAt: p.token?.expiresAt ?? null,
      subscriptions: liveRecords(data.subscriptions[name]).length,
      current: name === ctx.globals.profile,
    }));
}

/** In a narrow terminal: the token expiry to the minute, then it and the environment go. */
const COLUMNS: Column[] = [
  { head: '' },
  { head: 'PROFILE' },
  { head: 'TENANT' },
  { head: 'ENVIRONMENT', drop: 2 },
  { head: 'LOGGED IN' },
  { head: 'TOKEN EXPIRES', short: shortTime, drop: 1 },
  { head: 'SUBSCRIPTIONS' },
];

export function render(result: ProfileSummary[], view: View): string {
  return table(
    view,
    COLUMNS,
    result.map((p) => [
      p.current ? '*' : '',
      p.name,
      p.tenant,
      p.environment,
      p.loggedIn ? 'yes' : 'no',
      p.tokenExpiresAt ?? '-',
      String(p.subscriptions),
    ]),
  );
}

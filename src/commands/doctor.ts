import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { type Check, check, configDirCheck, hooksCheck, keysFileCheck, stateFileCheck, storeHealthCheck } from '../lifecycle/health.js';
import { keysFileOf } from '../lifecycle/keys.js';
import type { ProtimeClient } from '../protime/client.js';
import { CliError, type ExitKind } from '../shared/errors.js';
import type { StoreData } from '../state/schemas.js';
import { parseStoreKey, STORE_KEY_VARIABLE } from '../state/seal.js';

export interface DoctorResult {
  profile: string;
  checks: Check[];
}

/** Past these, tokens look not yet valid or expired to the server, and renewals run late. */
const SKEW_WARN_S = 30;
const SKEW_FAIL_S = 300;

/** The message, and the hint that says what to do: doctor is read when something is wrong. */
const messageOf = (error: unknown) => {
  const hint = error instanceof CliError && error.hint ? ` ${error.hint}` : '';
  return `${(error as Error)?.message ?? String(error)}${hint}`;
};

/**
 * What a person runs when cron mails: every check reported, none stopping the others unless it
 * must (no config dir: nothing else to read). Network checks use the profile's own settings, so
 * they go the way `renew` goes.
 */
export async function run(_options: unknown, ctx: Context): Promise<DoctorResult> {
  const profile = ctx.globals.profile;
  const checks: Check[] = [];
  const result = { profile, checks };
  const dir = ctx.globals.configDir;
  const shared = ctx.globals.store !== undefined;
  if (shared) {
    // The state is in the database: a config dir (for hooks/deploy/ only) may well not exist.
    checks.push(dir && existsSync(dir) ? configDirCheck(dir) : check('config-dir', 'ok', 'none (not needed: the state is in PostgreSQL)'));
    const store = await storeCheck(ctx);
    checks.push(store.check);
    // Reading the state would upgrade the schema, or fail as the store check did: left out then.
    if (!store.readable) return result;
  } else {
    if (!dir) {
      checks.push(
        check('config-dir', 'fail', 'neither HOME nor XDG_CONFIG_HOME is set: pass --config-dir or set PROTIME_HOOKS_CONFIG_DIR'),
      );
      return result;
    }
    checks.push(configDirCheck(dir));
    if (checks[0]!.status === 'fail') return result;
    checks.push(stateFileCheck(join(dir, 'state.json')));
  }
  let data: StoreData;
  try {
    data = await ctx.store.read();
  } catch (error) {
    checks.push(check('state', 'fail', messageOf(error)));
    return result;
  }
  const records = Object.values(data.subscriptions[profile] ?? {});
  checks.push(check('state', 'ok', `${Object.keys(data.profiles).length} profile(s); ${records.length} record(s) for "${profile}"`));
  const entry = data.profiles[profile];
  if (entry?.clientSecret) {
    checks.push(check('login', 'ok', `profile "${profile}": tenant ${entry.tenant} (${entry.environment}), client ${entry.clientId}`));
    checks.push(...(await networkChecks(ctx)));
  } else {
    const why = entry ? 'is logged out' : 'does not exist';
    checks.push(
      check(
        'login',
        'fail',
        `profile "${profile}" ${why}: run \`protime-hooks login${profile === 'default' ? '' : ` --profile ${profile}`}\``,
      ),
    );
  }
  checks.push(hooksCheck(dir, records, ctx.env.PATH ?? ''));
  checks.push(keysFileCheck(keysFileOf(ctx, entry)));
  if (!shared) checks.push(check('store', 'ok', `file store at ${ctx.store.location}`));
  return result;
}

/**
 * The PostgreSQL store: reachable, its schema version, sealed or clear (see storeHealthCheck);
 * `readable`: the state can be read as it is, without upgrading it.
 */
async function storeCheck(ctx: Context): Promise<{ check: Check; readable: boolean }> {
  try {
    const store = ctx.store;
    const key = parseStoreKey(ctx.env[STORE_KEY_VARIABLE]);
    const health = await store.health!();
    const found = storeHealthCheck(store.location, health, key?.id);
    return { check: found, readable: found.status !== 'fail' && health.schemaVersion === health.currentVersion };
  } catch (error) {
    const code = error instanceof CliError && error.code ? `${error.code}: ` : '';
    return { check: check('store', 'fail', `${code}${messageOf(error)}`), readable: false };
  }
}

async function networkChecks(ctx: Context): Promise<Check[]> {
  let client: ProtimeClient;
  try {
    client = await ctx.client();
    await client.renewToken();
  } catch (error) {
    return [check('token', 'fail', messageOf(error))];
  }
  const checks = [check('token', 'ok', 'the token endpoint issued a new token')];
  const sent = ctx.now().getTime();
  let date: string | null;
  try {
    const response = await client.request({ method: 'GET', path: '/webhooks', retry: 'idempotent', purpose: 'listing webhooks' });
    const url = client.resolve('/webhooks');
    const proxy = ctx.http.proxyFor?.(new URL(url));
    const caFile = ctx.env.PROTIME_HOOKS_CA_FILE || (await ctx.profileEntry()).caFile;
    const route = [proxy ? `via proxy ${proxy}` : 'direct', ...(caFile ? [`trusting ${caFile}`] : [])].join(', ');
    checks.push(check('api', 'ok', `GET ${url} answered ${response.status} (${route})`));
    date = response.headers.get('date');
  } catch (error) {
    return [...checks, check('api', 'fail', messageOf(error))];
  }
  checks.push(clockCheck(date, (sent + ctx.now().getTime()) / 2));
  return checks;
}

/** The server's Date (whole seconds) against the middle of the request on this clock. */
function clockCheck(date: string | null, localMs: number): Check {
  const server = date ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(server)) return check('clock', 'warn', 'the API sent no readable Date header; the clock could not be compared');
  const skew = Math.round((localMs - server) / 1000);
  const said = skew === 0 ? 'within a second of the server' : `${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the server`;
  const status = Math.abs(skew) > SKEW_FAIL_S ? 'fail' : Math.abs(skew) > SKEW_WARN_S ? 'warn' : 'ok';
  return check('clock', status, status === 'ok' ? `this clock is ${said}` : `this clock is ${said}: set it right (NTP)`);
}

export function render(result: DoctorResult): string {
  return `${result.checks.map((c) => `${c.status} ${c.name}: ${c.detail}`).join('\n')}\n`;
}

export function exitKind(result: DoctorResult): ExitKind {
  if (result.checks.some((c) => c.status === 'fail')) return 'failure';
  return result.checks.some((c) => c.status === 'warn') ? 'attention' : 'ok';
}

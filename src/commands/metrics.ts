import type { Context } from '../context.js';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { CliError, failure } from '../shared/errors.js';
import { describeWriteError } from '../shared/fs-errors.js';
import type { RenewRun } from '../state/schemas.js';
import { type StatusEntry, run as status } from './status.js';

export interface MetricsOptions {
  offline: boolean;
  /** Written atomically (node_exporter's textfile collector reads it), instead of stdout. */
  output?: string;
  /** Handled by the CLI: every stored profile in one exposition. */
  allProfiles?: boolean;
}

/** What one profile contributes. */
interface ProfileMetrics {
  profile: string;
  tenant: string;
  /** 1 when the server answered (or --offline asked for local records only), 0 otherwise. */
  up: number;
  entries: StatusEntry[];
  runs: RenewRun | undefined;
}

export interface MetricsResult {
  /** The profile, or null for an --all-profiles exposition. */
  profile: string | null;
  /** Where the exposition was written; null when it is printed. */
  output: string | null;
  /** The profiles that could not be asked (profile_up 0). */
  down: string[];
  series: number;
  exposition: string;
}

/** Mode of the textfile: node_exporter runs as another user; it holds no secret (see destination). */
const OUTPUT_MODE = 0o644;

/** Per-profile data of a result, for --all-profiles to merge into one exposition. */
const collected = new WeakMap<MetricsResult, ProfileMetrics>();

/**
 * The Prometheus exposition of one profile: the same assessment as `status` (online unless
 * --offline; foreign webhooks left out) and the profile's last renew runs. A server that cannot be
 * reached is a metric (`protime_hooks_profile_up 0`, local records still exported), not an error:
 * an alert can only fire on what is written.
 */
export async function run(options: MetricsOptions, ctx: Context): Promise<MetricsResult> {
  const metrics = await collect(options, ctx);
  const result = await finish([metrics], options, ctx.globals.profile);
  collected.set(result, metrics);
  return result;
}

/** --all-profiles: one exposition (a metric's HELP and TYPE once) for every profile. */
export async function combine(
  outcomes: { profile: string; result?: unknown; error?: unknown }[],
  options: MetricsOptions,
): Promise<MetricsResult> {
  const profiles = outcomes.map(
    (o): ProfileMetrics =>
      (o.error ? undefined : collected.get(o.result as MetricsResult)) ?? {
        profile: o.profile,
        tenant: '',
        up: 0,
        entries: [],
        runs: undefined,
      },
  );
  return finish(profiles, options, null);
}

async function collect(options: MetricsOptions, ctx: Context): Promise<ProfileMetrics> {
  const profile = ctx.globals.profile;
  let up = 1;
  let result: Awaited<ReturnType<typeof status>>;
  try {
    result = await status({ offline: options.offline }, ctx);
  } catch (error) {
    if (options.offline || !(error instanceof CliError) || error.kind === 'usage') throw error;
    ctx.log.warn(`Protime could not be asked (${error.message}); exporting local records with protime_hooks_profile_up 0.`);
    up = 0;
    result = await status({ offline: true }, ctx);
  }
  const runs = (await ctx.store.read()).renewRuns?.[profile];
  return { profile, tenant: result.tenant, up, entries: result.subscriptions.filter((e) => e.state !== 'foreign'), runs };
}

async function finish(profiles: ProfileMetrics[], options: MetricsOptions, profile: string | null): Promise<MetricsResult> {
  const { text, series } = await expose(profiles);
  if (options.output) {
    try {
      await writeFileAtomic(options.output, text, OUTPUT_MODE);
    } catch (error) {
      throw failure('output-failed', `Could not write ${options.output}: ${describeWriteError(error)}.`, { cause: error });
    }
  }
  const down = profiles.filter((p) => p.up === 0).map((p) => p.profile);
  return { profile, output: options.output ?? null, down, series, exposition: text };
}

async function expose(profiles: ProfileMetrics[]): Promise<{ text: string; series: number }> {
  const [{ default: Registry }, { default: Gauge }] = await Promise.all([
    import('prom-client/lib/registry.js'),
    import('prom-client/lib/gauge.js'),
  ]);
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const hook = ['profile', 'tenant', 'collection', 'destination', 'id'];
  const validUntil = gauge('protime_hooks_webhook_valid_until_timestamp_seconds', 'When the webhook expires.', hook);
  const renewAfter = gauge('protime_hooks_webhook_renew_after_timestamp_seconds', 'When renew replaces the webhook.', hook);
  const state = gauge('protime_hooks_webhook_state', 'The state status reports for the webhook (1 for the state it is in).', [
    ...hook,
    'state',
  ]);
  const keyHeld = gauge('protime_hooks_webhook_key_held', 'Whether the webhook key is held (1) or not (0).', hook);
  const who = ['profile', 'tenant'];
  const lastRun = gauge('protime_hooks_renew_last_run_timestamp_seconds', 'When renew last ran for the profile.', who);
  const lastSuccess = gauge(
    'protime_hooks_renew_last_success_timestamp_seconds',
    'When renew last succeeded (exit 0) for the profile.',
    who,
  );
  const failures = gauge('protime_hooks_renew_consecutive_failures', 'Renew runs failed in a row since the last success.', who);
  const up = gauge('protime_hooks_profile_up', 'Whether Protime answered for the profile (1) or not (0).', who);
  let series = 0;
  for (const p of profiles) {
    for (const entry of p.entries) {
      const labels = {
        profile: p.profile,
        tenant: p.tenant,
        collection: entry.collection,
        destination: destinationLabel(entry.destinationUrl),
        id: entry.id,
      };
      validUntil.set(labels, seconds(entry.validUntil));
      renewAfter.set(labels, seconds(entry.renewAfter));
      state.set({ ...labels, state: entry.state }, 1);
      keyHeld.set(labels, entry.hasKey ? 1 : 0);
      series += 4;
    }
    const labels = { profile: p.profile, tenant: p.tenant };
    if (p.runs) {
      lastRun.set(labels, seconds(p.runs.lastRunAt));
      series++;
    }
    if (p.runs?.lastSuccessAt) {
      lastSuccess.set(labels, seconds(p.runs.lastSuccessAt));
      series++;
    }
    failures.set(labels, p.runs?.consecutiveFailures ?? 0);
    up.set(labels, p.up);
    series += 2;
  }
  return { text: await registry.metrics(), series };
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

/** Origin and path only: a query string or user info in a destination URL may carry a receiver's secret. */
function destinationLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split(/[?#]/)[0] ?? url;
  }
}

export function render(result: MetricsResult): string {
  return result.output ? '' : result.exposition;
}

export function summarize(result: MetricsResult): string {
  return result.output ? `${result.series} series written to ${result.output}.` : '';
}

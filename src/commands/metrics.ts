import type { Context } from '../context.js';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { CliError, failure } from '../shared/errors.js';
import { describeWriteError } from '../shared/fs-errors.js';
import { type StatusResult, run as status } from './status.js';

export interface MetricsOptions {
  offline: boolean;
  /** Written atomically (node_exporter's textfile collector reads it), instead of stdout. */
  output?: string;
}

export interface MetricsResult {
  profile: string;
  /** Where the exposition was written; null when it is printed. */
  output: string | null;
  /** 1 when the server answered (or --offline asked for local records only), 0 otherwise. */
  up: number;
  series: number;
  exposition: string;
}

/** Mode of the textfile: node_exporter runs as another user; it holds no secret (see destination). */
const OUTPUT_MODE = 0o644;

/**
 * The Prometheus exposition of one profile: the same assessment as `status` (online unless
 * --offline; foreign webhooks left out) and the profile's last renew runs. A server that cannot be
 * reached is a metric (`protime_hooks_profile_up 0`, local records still exported), not an error:
 * an alert can only fire on what is written.
 */
export async function run(options: MetricsOptions, ctx: Context): Promise<MetricsResult> {
  const profile = ctx.globals.profile;
  let up = 1;
  let result: StatusResult;
  try {
    result = await status({ offline: options.offline }, ctx);
  } catch (error) {
    if (options.offline || !(error instanceof CliError) || error.kind === 'usage') throw error;
    ctx.log.warn(`Protime could not be asked (${error.message}); exporting local records with protime_hooks_profile_up 0.`);
    up = 0;
    result = await status({ offline: true }, ctx);
  }
  const runs = (await ctx.store.read()).renewRuns?.[profile];
  const [{ default: Registry }, { default: Gauge }] = await Promise.all([
    import('prom-client/lib/registry.js'),
    import('prom-client/lib/gauge.js'),
  ]);
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const hookLabels = ['profile', 'tenant', 'collection', 'destination', 'id'];
  const validUntil = gauge('protime_hooks_webhook_valid_until_timestamp_seconds', 'When the webhook expires.', hookLabels);
  const renewAfter = gauge('protime_hooks_webhook_renew_after_timestamp_seconds', 'When renew replaces the webhook.', hookLabels);
  const state = gauge('protime_hooks_webhook_state', 'The state status reports for the webhook (1 for the state it is in).', [
    ...hookLabels,
    'state',
  ]);
  const keyHeld = gauge('protime_hooks_webhook_key_held', 'Whether the webhook key is held (1) or not (0).', hookLabels);
  let series = 0;
  for (const entry of result.subscriptions) {
    if (entry.state === 'foreign') continue;
    const labels = {
      profile,
      tenant: result.tenant,
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
  const profileLabels = { profile, tenant: result.tenant };
  const perProfile = (name: string, help: string, value: number | undefined) => {
    if (value === undefined || Number.isNaN(value)) return;
    gauge(name, help, ['profile', 'tenant']).set(profileLabels, value);
    series++;
  };
  perProfile('protime_hooks_renew_last_run_timestamp_seconds', 'When renew last ran for the profile.', runs && seconds(runs.lastRunAt));
  perProfile(
    'protime_hooks_renew_last_success_timestamp_seconds',
    'When renew last succeeded (exit 0) for the profile.',
    runs?.lastSuccessAt ? seconds(runs.lastSuccessAt) : undefined,
  );
  perProfile(
    'protime_hooks_renew_consecutive_failures',
    'Renew runs failed in a row since the last success.',
    runs?.consecutiveFailures ?? 0,
  );
  perProfile('protime_hooks_profile_up', 'Whether Protime answered for the profile (1) or not (0).', up);
  const exposition = await registry.metrics();
  if (options.output) {
    try {
      writeFileAtomic(options.output, exposition, OUTPUT_MODE);
    } catch (error) {
      throw failure('output-failed', `Could not write ${options.output}: ${describeWriteError(error)}.`, { cause: error });
    }
  }
  return { profile, output: options.output ?? null, up, series, exposition };
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

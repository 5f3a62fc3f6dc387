import type { Context } from '../context.js';
import { checkCollection } from '../lifecycle/subscriptions.js';
import { failure, temporary, usageError } from '../shared/errors.js';
import { fields, type View } from '../shared/output.js';

export interface TriggerOptions {
  collection: string;
  count: number;
  changeType: 'InsertOrUpdate' | 'Delete';
  emulatorUrl: string;
  /** Emit `count` events again every this many ms, for traffic while something else runs. */
  everyMs?: number;
  /** With everyMs: stop after this long (else at Ctrl-C). */
  forSeconds?: number;
}

export interface TriggerResult {
  collection: string;
  emitted: number;
  deliveries: number;
  /** How many times events were emitted (1 without --every). */
  batches: number;
  /** The changeVersions of the first and the last event emitted (they increase by one per event). */
  firstChangeVersion: string | null;
  lastChangeVersion: string | null;
}

/** Asks a running emulator to emit change events (and deliver them to its webhooks). */
export async function run(options: TriggerOptions, ctx: Context): Promise<TriggerResult> {
  const collection = checkCollection(options.collection);
  if (options.forSeconds !== undefined && options.everyMs === undefined) throw usageError('usage', '--for goes with --every.');
  const { emitEvents } = await import('../emulator/client.js');
  const total: TriggerResult = { collection, emitted: 0, deliveries: 0, batches: 0, firstChangeVersion: null, lastChangeVersion: null };
  const emit = async () => {
    const result = await emitEvents(options.emulatorUrl, collection, options.count, {
      changeType: options.changeType,
      fetch: ctx.http.fetch,
    });
    total.emitted += result.emitted;
    total.deliveries += result.deliveries;
    total.batches++;
    total.firstChangeVersion ??= result.changeVersions[0] ?? null;
    total.lastChangeVersion = result.changeVersions.at(-1) ?? total.lastChangeVersion;
  };
  try {
    if (options.everyMs === undefined) {
      await emit();
      return total;
    }
    let stopped = false;
    void ctx.untilInterrupted().then(() => (stopped = true));
    const started = Date.now();
    const end = options.forSeconds === undefined ? Number.POSITIVE_INFINITY : started + options.forSeconds * 1000;
    // Paced from the start, not from each answer, so a slow answer does not stretch the interval.
    for (let next = started; !stopped && next < end; next += options.everyMs) {
      await sleep(next - Date.now());
      if (!stopped) await emit();
    }
    return total;
  } catch (error) {
    if (error instanceof TypeError) {
      const proxy = URL.canParse(options.emulatorUrl) ? ctx.http.proxyFor?.(new URL(options.emulatorUrl)) : undefined;
      throw temporary(
        'emulator-unreachable',
        `No emulator answers at ${options.emulatorUrl}${proxy ? ` through the proxy ${proxy}` : ''}.`,
        {
          hint: 'Start one with `protime-hooks emulator`, or pass --emulator-url.',
        },
      );
    }
    throw failure('emulator-refused', (error as Error).message);
  }
}

export function render(result: TriggerResult, _view: View): string {
  return fields([
    ['collection', result.collection],
    ['emitted', String(result.emitted)],
    ['deliveries', String(result.deliveries)],
    ...(result.batches > 1 ? [['batches', String(result.batches)] as [string, string]] : []),
  ]);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

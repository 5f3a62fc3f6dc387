import type { Context } from '../context.js';
import { checkCollection } from '../lifecycle/subscriptions.js';
import { failure, temporary } from '../shared/errors.js';
import { fields, type View } from '../shared/output.js';

export interface TriggerOptions {
  collection: string;
  count: number;
  changeType: 'InsertOrUpdate' | 'Delete';
  emulatorUrl: string;
}

export interface TriggerResult {
  collection: string;
  emitted: number;
  deliveries: number;
}

/** Asks a running emulator to emit change events (and deliver them to its webhooks). */
export async function run(options: TriggerOptions, _ctx: Context): Promise<TriggerResult> {
  const collection = checkCollection(options.collection);
  const { emitEvents } = await import('../emulator/client.js');
  try {
    const result = await emitEvents(options.emulatorUrl, collection, options.count, { changeType: options.changeType });
    return { collection, ...result };
  } catch (error) {
    if (error instanceof TypeError) {
      throw temporary('emulator-unreachable', `No emulator answers at ${options.emulatorUrl}.`, {
        hint: 'Start one with `protime-hooks emulator`, or pass --emulator-url.',
      });
    }
    throw failure('emulator-refused', (error as Error).message);
  }
}

export function render(result: TriggerResult, _view: View): string {
  return fields([
    ['collection', result.collection],
    ['emitted', String(result.emitted)],
    ['deliveries', String(result.deliveries)],
  ]);
}

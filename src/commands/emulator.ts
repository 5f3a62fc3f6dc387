import type { Context } from '../context.js';
import type { RunningEmulator } from '../emulator/index.js';
import { bindError } from '../shared/bind-error.js';
import { failure } from '../shared/errors.js';
import { fields, type View } from '../shared/output.js';

export interface EmulatorCommandOptions {
  port: number;
  tenant: string;
  clientId: string;
  clientSecret: string;
  validitySeconds: number;
  tokenTtlSeconds: number;
  pageSize: number;
  maxFailures: number;
  stateFile?: string;
}

/** What to pass to `login`; printed on stdout as soon as the emulator listens. */
export type EmulatorInfo = Omit<RunningEmulator, 'close'>;

/** Serves until SIGINT/SIGTERM, then shuts down cleanly (exit 0). */
export async function run(options: EmulatorCommandOptions, ctx: Context): Promise<EmulatorInfo> {
  const { startEmulator } = await import('../emulator/index.js');
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({
      port: options.port,
      tenant: options.tenant,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      validitySeconds: options.validitySeconds,
      tokenTtlSeconds: options.tokenTtlSeconds,
      pageSize: options.pageSize,
      maxFailures: options.maxFailures,
      stateFile: options.stateFile,
      log: (line) => ctx.log.info(line),
    });
  } catch (error) {
    throw (
      bindError(error, '127.0.0.1', options.port) ?? failure('emulator-start', `The emulator could not start: ${(error as Error).message}`)
    );
  }
  const info: EmulatorInfo = {
    url: emulator.url,
    apiUrl: emulator.apiUrl,
    tokenUrl: emulator.tokenUrl,
    tenant: emulator.tenant,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
  };
  // Streamed at once (one JSON line under --json) so a script can read it while the server runs.
  ctx.io.stdout.write(ctx.globals.json ? `${JSON.stringify(info)}\n` : render(info));
  ctx.log.info(
    `Protime emulator on ${info.url}. Log in with:\n  protime-hooks login --tenant ${info.tenant} --client-id ${info.clientId} --api-url ${info.apiUrl} --token-url ${info.tokenUrl} --client-secret-stdin <<< ${info.clientSecret}\nCtrl-C to stop.`,
  );
  const signal = await ctx.untilInterrupted();
  ctx.log.info(`${signal}: shutting down.`);
  await emulator.close();
  return info;
}

export const streaming = true;

export function render(info: EmulatorInfo, _view?: View): string {
  return fields([
    ['url', info.url],
    ['api url', info.apiUrl],
    ['token url', info.tokenUrl],
    ['tenant', info.tenant],
    ['client id', info.clientId],
    ['client secret', info.clientSecret],
  ]);
}

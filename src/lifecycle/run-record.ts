import type { Context } from '../context.js';

/**
 * Notes a renew of `profile` that got as far as holding its run lock: when, whether it succeeded
 * (exit 0), and how many have failed in a row since the last success. A run that could not take
 * the lock is not noted: another run was doing the work.
 */
export async function recordRun(ctx: Pick<Context, 'store' | 'now' | 'log'>, profile: string, succeeded: boolean): Promise<void> {
  const at = ctx.now().toISOString();
  try {
    await ctx.store.update((data) => {
      if (!data.profiles[profile]) return;
      const runs = data.renewRuns ?? {};
      const before = runs[profile];
      runs[profile] = {
        ...before,
        lastRunAt: at,
        lastSuccessAt: succeeded ? at : (before?.lastSuccessAt ?? null),
        consecutiveFailures: succeeded ? 0 : (before?.consecutiveFailures ?? 0) + 1,
      };
      data.renewRuns = runs;
    });
  } catch (error) {
    // The renewal itself is done and durable; only its bookkeeping was not written.
    ctx.log.warn(`Could not record this run for monitoring: ${(error as Error).message}`);
  }
}

import pLimit from 'p-limit';
import type { Context, ContextOverrides, createContext as CreateContext, Env, IO } from '../context.js';
import { renewalSlots } from '../lifecycle/slots.js';
import { authError, CliError, EXIT, errorDocument, failure, usageError } from '../shared/errors.js';
import type { View } from '../shared/output.js';
import { printedKeys, type SecretScrubber } from '../shared/redact.js';
import type { CommandModule, CommandName, Outcome } from './commands.js';

/** Worst first: what the fleet's exit code is, among its profiles' (the contract's order). */
const RANK: number[] = [EXIT.interrupted, EXIT.critical, EXIT.auth, EXIT.failure, EXIT.usage, EXIT.temporary, EXIT.attention, EXIT.ok];

interface Fleet {
  name: CommandName;
  module: CommandModule;
  options: object;
  ctx: Context;
  deps: { io: IO; env: Env; overrides?: ContextOverrides };
  scrubber: SecretScrubber;
  createContext: typeof CreateContext;
}

/**
 * Runs one command for every stored profile: each with its own context (token, run lock), all
 * sharing one store (one group-committed writer), the scrubber, and the per-origin backoff gate.
 * A profile that fails is reported in its entry and does not stop the others; the exit code is
 * the worst of theirs.
 */
export async function runAllProfiles(fleet: Fleet): Promise<number> {
  const { name, module, ctx, deps } = fleet;
  const options = { ...fleet.options } as Record<string, unknown>;
  if (name === 'keys' && options.output !== undefined) {
    throw usageError(
      'usage',
      "--output writes one profile's keys: use it with --profile, not --all-profiles.",
      "Run `protime-hooks keys --all-profiles --json` for every profile's keys in one document.",
    );
  }
  const profiles = Object.keys((await ctx.store.read()).profiles).sort();
  if (profiles.length === 0) {
    throw authError('not-logged-in', 'No profiles are stored.', { hint: 'Run `protime-hooks login` (with --profile for each tenant).' });
  }
  const concurrency = typeof options.concurrency === 'number' ? options.concurrency : 8;
  if (name === 'renew') {
    // One bound on the requests in flight across every profile; one random delay for the fleet.
    options.slots = renewalSlots(concurrency);
    const delay = options.randomDelaySeconds;
    if (typeof delay === 'number' && delay > 0) await ctx.http.sleep(Math.floor(ctx.http.random() * delay * 1000));
    options.randomDelaySeconds = undefined;
  }
  // metrics writes one file for the fleet, after every profile is in.
  const perProfile = name === 'metrics' ? { ...options, output: undefined } : options;
  const overrides = {
    ...deps.overrides,
    scrubber: fleet.scrubber,
    store: ctx.store,
    http: { ...deps.overrides?.http, gate: ctx.http.gate },
  };
  const contexts = new Map<string, Context>();
  const profileLimit = pLimit(concurrency);
  const outcomes = await Promise.all(
    profiles.map((profile) =>
      profileLimit(async (): Promise<Outcome> => {
        const own = await fleet.createContext({ ...ctx.globals, profile }, deps.io, deps.env, overrides);
        contexts.set(profile, own);
        try {
          return { profile, result: await fleet.module.run(perProfile as never, own) };
        } catch (error) {
          own.releaseHeld();
          const known =
            error instanceof CliError
              ? error
              : failure('internal-error', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, { cause: error });
          own.log.error(`Profile "${profile}": ${known.message}`);
          return { profile, error: known };
        }
      }),
    ),
  );
  const combined = module.combine ? await module.combine(outcomes, options as never, ctx) : undefined;
  print(fleet, outcomes, combined);
  const codes = outcomes.map((o) => {
    if (o.error) return o.error.exitCode;
    const kind = module.exitKind?.(o.result as never) ?? 'ok';
    const summary = module.summarize?.(o.result as never);
    const log = contexts.get(o.profile)!.log;
    if (summary)
      (kind === 'ok' ? log.info : kind === 'attention' || kind === 'temporary' ? log.warn : log.error)(
        `Profile "${o.profile}": ${summary}`,
      );
    if (kind !== 'ok') contexts.get(o.profile)!.releaseHeld();
    return EXIT[kind];
  });
  if (combined !== undefined) {
    const summary = module.summarize?.(combined as never);
    if (summary) ctx.log.info(summary);
  }
  return RANK.find((code) => codes.includes(code)) ?? EXIT.failure;
}

function print({ name, module, ctx, deps, scrubber }: Fleet, outcomes: Outcome[], combined: unknown): void {
  const { io } = deps;
  const write = (text: string, result: unknown) => io.stdout.write(scrubber.scrub(text, { printed: () => printedKeys(result) }));
  if (ctx.globals.json) {
    const entries = outcomes.map((o) => {
      if (o.error) return { profile: o.profile, ...errorDocument(o.error) };
      return name === 'keys' ? { profile: o.profile, keys: o.result } : o.result;
    });
    const doc = combined ?? (name === 'keys' ? { profiles: entries } : { checkedAt: ctx.now().toISOString(), profiles: entries });
    write(`${JSON.stringify(doc, null, 2)}\n`, doc);
    return;
  }
  const { stdoutIsTTY: tty, columns } = io;
  const view: View = { tty, color: ctx.globals.color && tty, now: ctx.now(), columns: tty ? columns : undefined };
  if (combined !== undefined) {
    const text = module.render(combined as never, view);
    if (text) write(text, combined);
    return;
  }
  for (const o of outcomes) {
    if (o.error) continue; // said on stderr as it happened
    const text = module.render(o.result as never, view);
    write(`== ${o.profile} ==\n${text || '(nothing)\n'}\n`, o.result);
  }
}

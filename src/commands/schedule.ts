import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Context } from '../context.js';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { usageError } from '../shared/errors.js';
import type { View } from '../shared/output.js';
import { crontab, type ScheduleValues, systemdUnits, UNIT_DIR, unitsText } from './schedule-templates.js';

export type ScheduleFormat = 'cron' | 'systemd';

export interface ScheduleOptions {
  format: ScheduleFormat;
  /** This machine's node (process.execPath) and the binary's real path, found by cli/. */
  node: string;
  binary: string;
  /** The systemd service's User= (default: the user running this). */
  user: string;
  mailto?: string;
  /** systemd: write the unit files into this folder instead of printing them. */
  outputDir?: string;
}

export interface ScheduleResult {
  format: ScheduleFormat;
  /** The crontab (one file, `crontab`) or the units, each named as it belongs in /etc/systemd/system. */
  files: Array<{ name: string; content: string }>;
  /** Where the files were written (--output-dir); empty when printed. */
  written: string[];
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

export async function run(options: ScheduleOptions, ctx: Context): Promise<ScheduleResult> {
  if (!ctx.globals.configDir) {
    throw usageError(
      'no-config-dir',
      'There is no home folder to put the state in, so the jobs would not find it.',
      'Pass --config-dir <path>.',
    );
  }
  const values: ScheduleValues = {
    path: jobPath(dirname(options.node)),
    command: options.binary,
    configDir: resolve(ctx.globals.configDir),
    profile: ctx.globals.profile,
    user: options.user,
    mailto: options.mailto,
    proxy: proxies(ctx),
  };
  if (options.format === 'cron') return { format: 'cron', files: [{ name: 'crontab', content: crontab(values) }], written: [] };
  const files = systemdUnits(values);
  if (options.outputDir === undefined) return { format: 'systemd', files, written: [] };
  mkdirSync(options.outputDir, { recursive: true });
  const written: string[] = [];
  for (const file of files) {
    const path = join(options.outputDir, file.name);
    await writeFileAtomic(path, file.content, 0o644);
    written.push(path);
  }
  ctx.log.info(
    `Wrote ${written.length} units to ${options.outputDir}; copy them to ${UNIT_DIR}, then: systemctl daemon-reload && systemctl enable --now protime-hooks-renew.timer`,
  );
  return { format: 'systemd', files, written };
}

/** The proxy variables set here, for the jobs' environment; a password in one is not printed. */
function proxies(ctx: Context): Array<[string, string]> {
  return PROXY_VARIABLES.filter((name) => ctx.env[name]).map((name) => {
    const value = ctx.env[name]!;
    try {
      const url = new URL(value);
      if (url.password) {
        url.password = 'PASSWORD';
        ctx.log.warn(`${name} holds a password, which is not printed: replace PASSWORD in the printed ${name} line.`);
        return [name, url.href.replace(/\/$/, value.endsWith('/') ? '/' : '')];
      }
    } catch {
      // NO_PROXY lists and bare host:port values are not URLs: printed as set.
    }
    return [name, value];
  });
}

/** cron's PATH plus /usr/local/bin, with node's folder first when it is none of those. */
function jobPath(nodeDir: string): string {
  const usual = ['/usr/local/bin', '/usr/bin', '/bin'];
  return (usual.includes(nodeDir) ? usual : [nodeDir, ...usual]).join(':');
}

export function render(result: ScheduleResult, _view: View): string {
  if (result.written.length > 0) return `${result.written.join('\n')}\n`;
  if (result.format === 'cron') return result.files[0]!.content;
  return unitsText(result.files);
}

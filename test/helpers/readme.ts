import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScheduleValues } from '../../src/commands/schedule-templates.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The fenced blocks of one README section (`## <title>`), with their info strings. */
export function readmeBlocks(title: string): Array<{ lang: string; text: string }> {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README has no section "## ${title}"`);
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

export const SCHEDULING = 'Renewing from cron or systemd';

/** The README's crontab block (the one ```cron block of the scheduling section). */
export function readmeCrontab(): string {
  const blocks = readmeBlocks(SCHEDULING).filter((b) => b.lang === 'cron');
  if (blocks.length !== 1) throw new Error(`expected one cron block in "${SCHEDULING}", found ${blocks.length}`);
  return blocks[0]!.text;
}

/** The README's systemd units: the ```ini block split at its `# /etc/systemd/system/<name>` lines. */
export function readmeUnits(): Array<{ name: string; content: string }> {
  const blocks = readmeBlocks(SCHEDULING).filter((b) => b.lang === 'ini');
  if (blocks.length !== 1) throw new Error(`expected one ini block in "${SCHEDULING}", found ${blocks.length}`);
  return blocks[0]!.text
    .split(/^# \/etc\/systemd\/system\/(\S+)\n/m)
    .slice(1)
    .reduce<Array<{ name: string; content: string }>>((units, part, i, parts) => {
      if (i % 2 === 0) units.push({ name: part, content: parts[i + 1]!.replace(/\n+$/, '\n') });
      return units;
    }, []);
}

/** The example values the README's blocks are printed with. */
export const README_VALUES: ScheduleValues = {
  path: '/usr/local/bin:/usr/bin:/bin',
  command: '/usr/local/bin/protime-hooks',
  configDir: '/var/lib/protime-hooks',
  profile: 'default',
  user: 'integrations',
  mailto: 'ops@acme.example',
  proxy: [],
};

import { expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { API_PATH, api, makeRecord, mockList, NOW, SECRET, TOKEN } from '../helpers/protime.js';
import { echoForms } from '../helpers/secrets.js';
import { dueRecord, mockCreate, serverOf } from './renew-helpers.js';

const OTHER_KEY = 'other-subscription-key-1234567890';

/** An error body that echoes the caller's credentials back in every encoding. */
function echo(): Record<string, unknown> {
  return {
    error: {
      code: 'BadRequest',
      message: `Rejected Authorization: Bearer ${TOKEN}; client_secret=${encodeURIComponent(SECRET)}`,
      reasons: [
        `secret b64 ${Buffer.from(SECRET).toString('base64')}`,
        `token b64url ${Buffer.from(TOKEN).toString('base64url')}`,
        `form ${new URLSearchParams({ s: SECRET }).toString()}`,
        `another key ${OTHER_KEY} and ${encodeURIComponent(OTHER_KEY)}`,
      ],
    },
  };
}

forEachBackend('one redaction layer on every output path', (backend) => {
  it.each([
    ['human', []],
    ['--json', ['--json']],
    ['--debug', ['--debug']],
    ['--json --debug', ['--json', '--debug']],
  ])(
    'renew (%s): a create and a delete that echo the token, the client secret and a held key leak none of them, in any encoding',
    async (_, flags) => {
      const { dir } = backend;
      const due = dueRecord();
      const other = makeRecord({ id: 'other-1', key: OTHER_KEY, destinationUrl: 'https://other.example/h' });
      const replaced = makeRecord({ id: 'replaced-1', replacedBy: 'other-1', destinationUrl: 'https://other.example/h' });
      await backend.seed({ records: [due, other, replaced] });
      mockList([serverOf(due), serverOf(other), serverOf(replaced)]);
      // The owed delete of the replaced webhook fails, echoing; then the create fails, echoing.
      api().delete(`${API_PATH}/webhooks/replaced-1`).reply(400, echo());
      mockCreate({ id: 'x', status: 400, body: echo() });
      const result = await backend.run(['renew', ...flags, '--config-dir', dir], { now: NOW });
      expect(result.code).toBe(1);
      const output = `${result.stdout}\n${result.stderr}`;
      for (const secret of [TOKEN, SECRET, OTHER_KEY]) {
        for (const form of echoForms(secret)) expect(output, `${secret} as ${form}`).not.toContain(form);
      }
      expect(output).toContain('[redacted]');
      // The failure is kept for status and the next run: scrubbed before it is stored.
      const stored = (await backend.read()).subscriptions.default!['replaced-1']!;
      expect(stored).toMatchObject({ deleteFailures: 1, lastDeleteError: expect.stringContaining('[redacted]') });
      for (const secret of [TOKEN, SECRET, OTHER_KEY]) {
        for (const form of echoForms(secret)) expect(stored.lastDeleteError, `${secret} as ${form}`).not.toContain(form);
      }
    },
  );

  it('the keys command still prints keys on stdout: they are its data', async () => {
    const { dir } = backend;
    await backend.seed({ records: [makeRecord({ id: 'k-1', key: OTHER_KEY })] });
    const result = await backend.run(['keys', '--json', '--config-dir', dir], { now: NOW });
    expect(result.json()[0].key).toBe(OTHER_KEY);
  });
});

import { describe, expect, it } from 'vitest';
import { keyNotStored } from '../../src/lifecycle/create.js';
import { CliError, failure, temporary } from '../../src/shared/errors.js';

const record = { id: 'wh-new', collection: 'contracts', destinationUrl: 'https://hooks.example.com/protime' };

describe('keyNotStored: a webhook created whose key the store did not take', () => {
  it('a store out of reach (a database restarting) stays temporary: exit 75, code key-not-stored, the webhook and the reason named', () => {
    const cause = temporary(
      'store-unreachable',
      'Cannot reach the PostgreSQL store (host db port 5432, database hooks): connection refused.',
    );
    const error = keyNotStored(record, 'wh-old', cause);
    expect(error).toBeInstanceOf(CliError);
    expect({ code: error.code, kind: error.kind, exit: error.exitCode }).toEqual({ code: 'key-not-stored', kind: 'temporary', exit: 75 });
    expect(error.message).toBe(
      'Webhook wh-new (contracts → https://hooks.example.com/protime) was created on Protime, but its key could not be stored: ' +
        'Cannot reach the PostgreSQL store (host db port 5432, database hooks): connection refused.',
    );
    expect(error.hint).toContain('wh-old keeps delivering until then');
    expect(error.cause).toBe(cause);
  });

  it('a store that refused the write (a full disk) needs a person: exit 1', () => {
    const error = keyNotStored(record, null, failure('store-write-failed', 'Could not write the state file: the disk is full (ENOSPC).'));
    expect({ code: error.code, kind: error.kind, exit: error.exitCode }).toEqual({ code: 'key-not-stored', kind: 'failure', exit: 1 });
    expect(error.hint).not.toContain('keeps delivering');
  });

  it('an unexpected error (not a CliError) is a failure too, not a temporary one', () => {
    expect(keyNotStored(record, null, new Error('boom')).exitCode).toBe(1);
  });
});

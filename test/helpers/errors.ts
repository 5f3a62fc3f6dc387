import { expect } from 'vitest';
import { CliError } from '../../src/shared/errors.js';

/** Runs `action` and returns the CliError it throws (fails the test if it throws anything else, or nothing). */
export async function cliErrorOf(action: () => unknown): Promise<CliError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a CliError, but nothing was thrown');
}

/** The contract's exit codes: the only table of them. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  attention: 3,
  auth: 4,
  critical: 5,
  temporary: 75,
  interrupted: 130,
} as const;

export type ExitKind = keyof typeof EXIT;

export interface CliErrorDetails {
  /** Stable machine-readable code, e.g. `not-logged-in`; scripts may match on it. */
  code: string;
  hint?: string;
  /** HTTP status when the error came from a server, else null. */
  status?: number | null;
  /** Protime's `reasons` / validation messages, when it sent any. */
  reasons?: string[];
  cause?: unknown;
}

/**
 * An error the user can act on. Everything thrown on purpose is one of these; anything else that
 * reaches the top is a bug and is reported as such.
 */
export class CliError extends Error {
  readonly kind: ExitKind;
  readonly code: string;
  readonly hint?: string;
  readonly status: number | null;
  readonly reasons: string[];

  constructor(kind: ExitKind, message: string, details: CliErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CliError';
    this.kind = kind;
    this.code = details.code;
    this.hint = details.hint;
    this.status = details.status ?? null;
    this.reasons = details.reasons ?? [];
  }

  get exitCode(): number {
    return EXIT[this.kind];
  }
}

export const usageError = (code: string, message: string, hint?: string) => new CliError('usage', message, { code, hint });

export const authError = (code: string, message: string, details: Omit<CliErrorDetails, 'code'> = {}) =>
  new CliError('auth', message, { code, ...details });

export const failure = (code: string, message: string, details: Omit<CliErrorDetails, 'code'> = {}) =>
  new CliError('failure', message, { code, ...details });

export const temporary = (code: string, message: string, details: Omit<CliErrorDetails, 'code'> = {}) =>
  new CliError('temporary', message, { code, ...details });

/** The JSON document printed for a failure under --json. */
export function errorDocument(error: CliError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      hint: error.hint ?? null,
      status: error.status,
      ...(error.reasons.length > 0 ? { reasons: error.reasons } : {}),
    },
  };
}

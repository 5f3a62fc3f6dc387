import { type CliError, usageError } from './errors.js';
import { printable } from './names.js';

/**
 * Why a server could not listen on --host/--port, as a usage error (exit 2): every one of these is
 * fixed by choosing another address, none is a bug. Undefined for an error this does not know.
 */
export function bindError(error: unknown, host: string, port: number): CliError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${printable(host)}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return usageError('port-in-use', `Port ${port} is already in use.`, 'Pick another with --port (0 = any free port).');
    case 'EADDRNOTAVAIL':
      return usageError('bad-host', `Cannot listen on ${where}: no network interface of this machine has that address.`, hostHint);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return usageError('bad-host', `Cannot listen on ${where}: the host name "${printable(host)}" does not resolve.`, hostHint);
    case 'EACCES':
    case 'EPERM':
      return usageError(
        'port-denied',
        `Not allowed to listen on ${where} (ports below 1024 need privileges).`,
        'Pick a port of 1024 or above with --port.',
      );
    default:
      return undefined;
  }
}

const hostHint = 'Use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).';

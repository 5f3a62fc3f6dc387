// A throwaway PostgreSQL cluster for `npm run bench` (the tests' own helper, test/helpers/postgres.ts):
// prints {"url": ...} on one line once it accepts connections, and removes it when stdin closes.
// Prints {"skip": reason} where the PostgreSQL binaries are not installed.
import { postgresSkip, startPostgres } from '../test/helpers/postgres.js';

if (postgresSkip) {
  process.stdout.write(`${JSON.stringify({ skip: postgresSkip })}\n`);
} else {
  const cluster = await startPostgres();
  const stop = () => {
    cluster.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ url: cluster.url })}\n`);
}

// Runs the CLI from source for development: `npm run dev -- status`.
import { main } from '../src/cli/main.js';

await main();

#!/bin/sh
':' //; exec node -- "$0" "$@"
// Node 20 reads `--env-file` anywhere in argv, even after the script (it exits 9 on a missing file
// and hangs on /dev/zero); behind `--` it is left to us. The line above runs this file again as
// `node -- <file> <args>` in sh, and is a no-op string and a comment to JavaScript.
import { main } from '../dist/cli.mjs';

await main();

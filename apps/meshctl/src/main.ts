#!/usr/bin/env node
import { run } from './cli';

// The only place that touches the real process: everything else receives its I/O from here.
void run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});

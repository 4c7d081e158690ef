#!/usr/bin/env node
// The ingot command line; its subcommands are filled in by the CLI work.
console.error("ingot: no subcommands yet");
process.exitCode = 2;

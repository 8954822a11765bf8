#!/usr/bin/env node
// The switchyard command. It runs the TypeScript sources directly (tsx), so it works right after `npm ci`.
require('tsx/cjs/api').register();
require('../cli/main')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`switchyard: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );

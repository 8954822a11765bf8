#!/usr/bin/env node
// Started by the emulator (moto_launcher.py) for each StartBuild: see build-executor.ts.
require('tsx/cjs/api').register();
require('./build-executor.ts')
  .main()
  .then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`build executor: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );

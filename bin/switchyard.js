#!/usr/bin/env node
// The switchyard command. It runs the TypeScript sources directly (tsx), so it works right after `npm ci`.
// Node 22+ is what Switchyard supports (package.json engines; Lambda runs nodejs22.x). An older Node still runs it,
// said in one line here instead of the AWS SDK's seven-line notice; scripts/node22.sh runs it on Node 22.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22 && !process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Said to a person at a terminal; scripts and tests reading the output get only the command's own.
  if (process.stderr.isTTY)
    process.stderr.write(
      `switchyard: Node ${process.version} is older than the supported 22+; run it on Node 22 with \`bash scripts/node22.sh npx switchyard ...\`\n`,
    );
}
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

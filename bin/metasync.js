#!/usr/bin/env node
const [major] = process.versions.node.split(".").map(Number);
if (major < 20) {
  process.stderr.write(`metasync needs Node.js 20 or newer (this is ${process.version}).\n`);
  process.exit(2); // ExitCode.usage (src/core/errors.ts): nothing of metasync is loaded yet
}
await import("../dist/src/cli/main.js");

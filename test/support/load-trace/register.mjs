// `node --import ./test/support/load-trace/register.mjs …` appends the URL of every module the
// program resolves to the file named by $METASYNC_LOAD_LOG, one per line. Used to check what
// `metasync --version` loads (test/e2e/startup.test.ts, bench/startup.mjs).
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);

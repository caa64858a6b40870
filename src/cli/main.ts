import { processIo } from "./io.js";
import { reportError } from "./report-error.js";
import { bugReportContext, runCli } from "./run-cli.js";

const io = processIo();

// What escapes every command's promise (an 'error' event nobody listens to, a promise nobody awaits)
// is a bug as well: the same report and exit code as one `runCli` catches.
process.on("uncaughtException", (error) => {
  io.exit(reportError(error, (text) => process.stderr.write(text), bugReportContext));
});

process.exitCode = await runCli(process.argv.slice(2), io);

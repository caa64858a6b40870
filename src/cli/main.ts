import { processIo } from "./io.js";
import { reportError } from "./report-error.js";
import { bugReportContext, runCli } from "./run-cli.js";

const io = processIo();

// What escapes every command's promise (an 'error' event nobody listens to, a promise nobody awaits)
// is a bug as well: the same report and exit code as one `runCli` catches.
process.on("uncaughtException", (error) => {
  io.exit(reportError(error, (text) => process.stderr.write(text), bugReportContext));
});

// A reader that goes away (`metasync help | head`, `metasync runs | head -1`) is no bug: what is left
// to print is dropped and the command ends as it would have. A run's own listener stops it as well.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE")
      io.exit(reportError(error, (text) => process.stderr.write(text), bugReportContext));
  });
}

process.exitCode = await runCli(process.argv.slice(2), io);

import type { Command } from "commander";
import { RUN_OPTIONS } from "../recipe/option-table.js";
import type { CliIo } from "./io.js";
import type { CommandOutcome } from "./program.js";
import { addOptions, givenOptions } from "./run-command.js";

/** `run`'s options a worker takes, with the same names and meanings. */
const WORKER_KEYS: ReadonlySet<string> = new Set([
  "coordinator",
  "coordinatorTimeout",
  "concurrency",
  "keys",
  "baseUrl",
  "progress",
]);

/** `metasync worker`: takes items of runs shared with `run --share`, through the same coordinator. */
export function registerWorkerCommand(program: Command, io: CliIo, outcome: CommandOutcome): void {
  const command = program
    .command("worker")
    .description("take items of runs shared with `run --share` (through --coordinator) and send them")
    .option("--run <id>", "only this shared run")
    .option("--once", "exit when the first run worked on is finished");
  addOptions(
    command,
    RUN_OPTIONS.filter((spec) => WORKER_KEYS.has(spec.key)),
  );
  command.addHelpText(
    "after",
    `
A worker sends each item with keys of its own (--keys, or OPENAI_API_KEY …) to the model and endpoint
its run names (--base-url overrides the endpoint), shares limits with every process on the same
coordinator, and sends each result back to the run's owner, which records it. Items a worker holds
are taken by others within 30 s if it dies.

Examples:
  $ metasync worker --coordinator redis://queue.internal:6379/0 -c 64
  $ metasync worker --coordinator unix:///run/redis/redis.sock --keys pool.yaml --once`,
  );
  command.action(async (_options: unknown, cmd: Command) => {
    const { workerCommand } = await import("./worker-action.js");
    outcome.exitCode = await workerCommand(
      {
        ...givenOptions(
          cmd,
          RUN_OPTIONS.filter((spec) => WORKER_KEYS.has(spec.key)),
        ),
        ...(cmd.getOptionValue("run") === undefined ? {} : { run: cmd.getOptionValue("run") as string }),
        once: cmd.getOptionValue("once") === true,
      },
      io,
    );
  });
}

import type { Command } from "commander";
import { ExitCode } from "../core/errors.js";
import type { CliIo } from "./io.js";
import type { CommandOutcome } from "./program.js";
import { stateOption, statePath } from "./state-path.js";

/**
 * `metasync eval compare <a> <b> [--fail-on-regression]`: two stored evals row by row. Prints the
 * comparison on stdout (`--json`: as JSON); exits 100 with `--fail-on-regression` when a prompt ×
 * provider's pass rate fell significantly.
 */
export function registerEvalCompareCommand(evalCommand: Command, io: CliIo, outcome: CommandOutcome): void {
  evalCommand
    .command("compare")
    .description(
      "compare two stored evals row by row: pass-rate changes with a paired McNemar test, flipped rows",
    )
    .argument("<a>", "the earlier eval (id, unique id prefix, or name)")
    .argument("<b>", "the later eval")
    .option(
      "--fail-on-regression",
      "exit 100 when a prompt × provider's pass rate fell significantly (p < 0.05)",
    )
    .option("--json", "print the comparison as JSON")
    .option(...stateOption)
    .action(
      async (
        a: string,
        b: string,
        flags: { failOnRegression?: boolean; json?: boolean; state?: string },
        cmd: Command,
      ) => {
        // `--state` before `compare` is read by `eval` itself.
        const state = flags.state ?? (cmd.parent?.getOptionValue("state") as string | undefined);
        const [{ compareEvals }, { renderComparison }, { StateStore }] = await Promise.all([
          import("../eval/compare/compare-evals.js"),
          import("../eval/compare/compare-text.js"),
          import("../store/state-store.js"),
        ]);
        const store = StateStore.open(statePath({ state }, io), Date.now);
        try {
          const comparison = compareEvals(store, a, b);
          io.stdout.write(
            flags.json ? `${JSON.stringify(comparison, null, 2)}\n` : renderComparison(comparison),
          );
          outcome.exitCode =
            flags.failOnRegression && comparison.regressed ? ExitCode.evalThreshold : ExitCode.ok;
        } finally {
          store.close();
        }
      },
    );
}

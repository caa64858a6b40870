import { writeFileAtomically } from "../../output/atomic-file.js";
import type { EvalRow } from "../eval-row.js";
import { Spool } from "./file-sinks.js";
import type { EvalOutputWriter } from "./writer.js";
import { xmlAttribute as attr, xmlText as text } from "./xml-text.js";

interface Suite {
  prompt: string;
  provider: string;
  /** Opened on the suite's first row; a promise so that rows arriving together share one. */
  spool: Promise<Spool>;
  tests: number;
  failures: number;
  errors: number;
  ms: number;
}

/**
 * `.xml`, JUnit as CI servers read it: a `<testsuite>` per prompt × provider, a `<testcase>` per row
 * (named by the test's description, else its index; a repeat after the first says which), `<failure>`
 * with the failing assertions' reasons, `<error>` with the error; `time` is a row's latency, and a
 * suite's the sum of its rows' (calls overlap, so it is not the wall time). The counts come first in
 * the file, so each suite's testcases are spooled to disk (a file per suite) until the end.
 */
export async function openJunitWriter(path: string, title: string): Promise<EvalOutputWriter> {
  const suites = new Map<string, Suite>();
  const removeAll = () =>
    Promise.all(
      [...suites.values()].map((suite) =>
        suite.spool.then(
          (spool) => spool.remove(),
          () => {},
        ),
      ),
    );
  return {
    async add(row: EvalRow) {
      const key = JSON.stringify([row.prompt, row.provider]);
      let suite = suites.get(key);
      if (!suite) {
        const spool = Spool.open(path);
        spool.catch(() => {}); // the error reaches the caller through the await below
        suite = {
          prompt: row.prompt,
          provider: row.provider,
          spool,
          tests: 0,
          failures: 0,
          errors: 0,
          ms: 0,
        };
        suites.set(key, suite);
      }
      suite.tests += 1;
      if (row.status === "fail") suite.failures += 1;
      if (row.status === "error") suite.errors += 1;
      suite.ms += row.latency_ms ?? 0;
      await (await suite.spool).write(testcase(row, suiteName(suite)));
    },
    async finish() {
      try {
        await writeFileAtomically(path, async (out) => {
          const all = [...suites.values()];
          const sum = (count: (suite: Suite) => number) => all.reduce((n, suite) => n + count(suite), 0);
          await out.write('<?xml version="1.0" encoding="UTF-8"?>\n');
          await out.write(
            `<testsuites name="${attr(title)}" tests="${sum((s) => s.tests)}" failures="${sum((s) => s.failures)}" errors="${sum((s) => s.errors)}" time="${seconds(sum((s) => s.ms))}">\n`,
          );
          for (const suite of all) {
            await out.write(
              `  <testsuite name="${attr(suiteName(suite))}" tests="${suite.tests}" failures="${suite.failures}" errors="${suite.errors}" skipped="0" time="${seconds(suite.ms)}">\n` +
                `    <properties>\n` +
                `      <property name="prompt" value="${attr(suite.prompt)}"/>\n` +
                `      <property name="provider" value="${attr(suite.provider)}"/>\n` +
                `    </properties>\n`,
            );
            await (await suite.spool).copyTo(out);
            await out.write("  </testsuite>\n");
          }
          await out.write("</testsuites>\n");
        });
      } finally {
        await removeAll();
      }
    },
    abort: async () => {
      await removeAll();
    },
  };
}

function suiteName(suite: Pick<Suite, "prompt" | "provider">): string {
  return `${suite.prompt} × ${suite.provider}`;
}

function testcase(row: EvalRow, classname: string): string {
  const name = `${row.description ?? `test ${row.test}`}${row.repeat > 0 ? ` (repeat ${row.repeat})` : ""}`;
  const open = `    <testcase name="${attr(name)}" classname="${attr(classname)}" time="${seconds(row.latency_ms ?? 0)}"`;
  if (row.status === "pass") return `${open}/>\n`;
  const body =
    row.status === "error"
      ? `      <error message="${attr(errorMessage(row))}" type="${attr(row.error?.type ?? "error")}"/>\n`
      : `      <failure message="${attr(row.reason)}" type="assertion">${text(failureDetail(row))}</failure>\n`;
  const output = row.output === null ? "" : `      <system-out>${text(row.output)}</system-out>\n`;
  return `${open}>\n${body}${output}    </testcase>\n`;
}

function errorMessage(row: EvalRow): string {
  return row.error ? `${row.error.type}: ${row.error.message}` : row.reason;
}

/** The assertions that failed, one a line; the row's reason when none did (a score under the test's threshold). */
function failureDetail(row: EvalRow): string {
  const failed = row.assertions.filter((a) => !a.pass);
  if (failed.length === 0) return row.reason;
  return failed.map((a) => `${a.type}: ${a.reason}`).join("\n");
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

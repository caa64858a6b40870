#!/usr/bin/env node
// `metasync optimize` on the offline task (issue 15): fixtures/optimize/tickets.csv, mock:instruct as
// the task model (its accuracy depends on what the instruction says), mock:reflect as the proposer.
// Arms, each over N seeds at the same dollar cap: reflect, GEPA's loop with GEPA's defaults (`gepa`:
// --no-race, every child that passes its minibatch scored on all of val, and GEPA's minibatch of 3),
// opro, ape, a paraphrase-only control
// (mock:paraphrase rewords the prompt and learns nothing) and a select-on-train control (reflect, with
// the winner picked on the proposer's own train rows). Prints, per arm, the held-out (sealed test)
// gain with a 95% interval across seeds, how many runs claimed a significant gain, rollouts and
// dollars and the val − test gap (how far the score that chose the winner overstates it); then
// reflect's gain minus each other arm's, paired by seed (every arm draws the same split from a
// seed), and the false-discovery rate of the paraphrase-only control (must be ≤ 5%).
// The source prompt already says "label only", so it scores by guessing (≈ 1/3): noise a lucky
// paraphrase can ride on val. --patience is out of reach: every arm stops at the cap (or a perfect
// val score), so the arms are compared at the same dollars. Needs a build (npm run build).
// Usage: node bench/optimize.mjs [seeds=10] [max-cost-usd=0.25] [proposer=large|same] [arms=all|a,b,…] [-- optimize flags…]
// `same` prices the proposer like the task model (the default --proposer is the first -m): then
// rollouts, not proposals, are most of the dollars.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Arguments after `--` are passed to every arm's command (e.g. `-- --minibatch 3`).
const dashes = process.argv.indexOf("--");
const extra = dashes < 0 ? [] : process.argv.slice(dashes + 1);
if (dashes >= 0) process.argv.splice(dashes);
const seeds = Number(process.argv[2] ?? 10);
const cap = String(process.argv[3] ?? 0.25);
const proposerPrice = process.argv[4] ?? "large";
const only =
  process.argv[5] === undefined || process.argv[5] === "all" ? undefined : process.argv[5].split(",");
const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "bin/metasync.js");
const dir = mkdtempSync(join(tmpdir(), "metasync-bench-optimize-"));
cpSync(join(root, "fixtures/optimize"), dir, { recursive: true });
if (proposerPrice === "same") {
  writeFileSync(join(dir, "prices.yaml"), '"mock:*": { input: 0.15, output: 0.6 }\n');
}
writeFileSync(
  join(dir, "source.yaml"),
  `model: mock:instruct
template: |-
  Classify the support ticket. Answer with one of: billing, account, shipping. Answer with the label only.
  Ticket: {{text}}
max_tokens: 16
`,
);

const ARMS = [
  { name: "reflect", args: ["--algo", "reflect", "--proposer", "mock:reflect"] },
  {
    name: "gepa",
    args: ["--algo", "reflect", "--proposer", "mock:reflect", "--no-race", "--minibatch", "3"],
  },
  { name: "opro", args: ["--algo", "opro", "--proposer", "mock:reflect"] },
  { name: "ape", args: ["--algo", "ape", "--proposer", "mock:reflect"] },
  { name: "paraphrase-only", args: ["--algo", "reflect", "--proposer", "mock:paraphrase"] },
  {
    name: "select-on-train",
    args: ["--algo", "reflect", "--proposer", "mock:reflect", "--select-on", "train"],
  },
];

function optimize(arm, seed) {
  const out = `${arm.name}-${seed}.yaml`;
  const result = spawnSync(
    process.execPath,
    [
      bin,
      "optimize",
      "tickets.csv",
      "-r",
      "source.yaml",
      "-m",
      `mock:instruct?seed=${seed}`,
      "--assert",
      "equals:{{label}}",
      "--prices",
      "prices.yaml",
      "--max-cost",
      cap,
      "--patience",
      "1000",
      "--seed",
      String(seed),
      "--progress",
      "none",
      "-o",
      out,
      ...arm.args,
      ...extra,
    ],
    { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH, NO_COLOR: "1" } },
  );
  if (result.status !== 0)
    throw new Error(`${arm.name} seed ${seed}: exit ${result.status}\n${result.stderr}`);
  const h = JSON.parse(readFileSync(join(dir, out.replace(/\.yaml$/, ".opt.json")), "utf8"));
  const dollars = Object.values(h.cost).reduce((sum, role) => sum + role.cost_usd, 0);
  return {
    gain: h.test.gain.value,
    significant: h.test.significant,
    rollouts: h.cost.task.calls,
    dollars,
    stop: h.stop_reason,
    gap: h.val_test_gap,
  };
}

/** Mean with a 95% interval (Student's t) across seeds. */
function meanInterval(values) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const t =
    [
      12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11,
      2.1, 2.09, 2.09, 2.08, 2.07, 2.07, 2.06, 2.06, 2.06, 2.05, 2.05, 2.05, 2.04,
    ][n - 2] ?? 1.96;
  return { mean, low: mean - (t * sd) / Math.sqrt(n), high: mean + (t * sd) / Math.sqrt(n) };
}

const pts = (x) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}`;
console.log(
  `metasync optimize benchmark: ${seeds} seeds per arm, --max-cost $${cap}, proposer priced ${proposerPrice === "same" ? "as the task model" : "as a large model"}, offline task (90 rows: 36 train, 27 val, 27 sealed test)`,
);
console.log(
  "arm              | test gain, pts [95% CI across seeds] | significant | rollouts (mean) | dollars (mean) | val − test gap (mean) | stop reasons",
);
const byArm = {};
const started = performance.now();
for (const arm of ARMS.filter((a) => only === undefined || only.includes(a.name))) {
  const runs = [];
  for (let seed = 1; seed <= seeds; seed++) runs.push(optimize(arm, seed));
  byArm[arm.name] = runs;
  const gain = meanInterval(runs.map((r) => r.gain));
  const stops = [...new Set(runs.map((r) => r.stop))].join(",");
  console.log(
    `${arm.name.padEnd(16)} | ${pts(gain.mean).padStart(6)} [${pts(gain.low)}, ${pts(gain.high)}]`.padEnd(
      56,
    ) +
      ` | ${String(runs.filter((r) => r.significant).length).padStart(2)}/${seeds}       | ${String(Math.round(runs.reduce((a, r) => a + r.rollouts, 0) / seeds)).padStart(15)} | ${(`$${(runs.reduce((a, r) => a + r.dollars, 0) / seeds).toFixed(4)}`).padStart(14)} | ${pts(runs.reduce((a, r) => a + r.gap, 0) / seeds).padStart(21)} | ${stops}`,
  );
}
// Each seed draws the same split for every arm: reflect's gain minus another arm's, seed by seed.
if (byArm.reflect) {
  for (const [name, runs] of Object.entries(byArm)) {
    if (name === "reflect") continue;
    const diff = meanInterval(runs.map((r, i) => byArm.reflect[i].gain - r.gain));
    console.log(
      `reflect − ${name}: ${pts(diff.mean)} pts [${pts(diff.low)}, ${pts(diff.high)}] (paired by seed)`,
    );
  }
}
if (byArm["paraphrase-only"]) {
  const fdr = byArm["paraphrase-only"].filter((r) => r.significant).length / seeds;
  console.log(
    `false-discovery rate of the paraphrase-only control: ${(fdr * 100).toFixed(1)}% (${byArm["paraphrase-only"].filter((r) => r.significant).length} of ${seeds} runs claimed a significant gain; goal ≤ 5%)`,
  );
}
console.log(`wall time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
rmSync(dir, { recursive: true, force: true });

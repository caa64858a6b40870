import { describe, expect, it } from "vitest";
import type { ItemRequest, ItemResult } from "../../src/core/types.js";
import { builtInPrices } from "../../src/cost/price-table.js";
import { compileTemplate } from "../../src/input/template.js";
import type { PromptParts } from "../../src/optimize/candidate-guards.js";
import type { DataRow } from "../../src/optimize/dataset.js";
import type { Instance, Rollout, Rollouts } from "../../src/optimize/rollouts.js";
import type { Scorer } from "../../src/optimize/scorer.js";
import { Search, type SearchSettings } from "../../src/optimize/search.js";
import { SpendPlan } from "../../src/optimize/spend-plan.js";

/**
 * A scripted task model: a prompt's score on a row is 1 when the prompt holds the word the row
 * needs ("even" rows need EVEN, odd rows ODD), and a scripted proposer that replies in turn.
 */
function scripted(replies: string[], options: { cap?: number; proposalUsd?: number } = {}) {
  const scored: { template: string; rows: number[] }[] = [];
  const plan = new SpendPlan(options.cap, builtInPrices(), () => 0);
  const costs = {
    task: { calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 },
    proposer: { calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 },
    judge: { calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 },
  };
  let turn = 0;
  const asked = () => turn;
  const rollouts = {
    plan,
    costs,
    hash: (request: ItemRequest) => JSON.stringify(request).length.toString(),
    worstOfInstances: () => 0,
    unknownCandidateUsd: () => 0,
    proposalUsd: () => options.proposalUsd ?? 0,
    async score(parts: PromptParts, instances: readonly Instance[]): Promise<Rollout[]> {
      scored.push({ template: parts.template, rows: instances.map((i) => i.row) });
      costs.task.calls += instances.length;
      return instances.map((i) => {
        // TRAINHACK answers the train rows (0-7) right and nothing else: better on a minibatch, not on val.
        const pass =
          parts.template.includes(i.row % 2 === 0 ? "EVEN" : "ODD") ||
          (parts.template.includes("TRAINHACK") && i.row < 8);
        return { score: pass ? 1 : 0, pass, reason: pass ? "ok" : "wrong", output: "x" };
      });
    },
    async propose(): Promise<ItemResult> {
      const text = replies[turn++] ?? "```\nsame {{text}}\n```";
      return {
        id: "p",
        status: "ok",
        output: text,
        model: "mock:reflect",
        usage: null,
        cost_usd: 0,
        latency_ms: 0,
        attempts: 1,
        finish_reason: "stop",
        error: null,
      };
    },
  } as unknown as Rollouts;
  return { rollouts, scored, asked };
}

const rows: DataRow[] = Array.from({ length: 20 }, (_, i) => ({
  index: i,
  line: i + 2,
  id: `r${i}`,
  raw: { kind: "json", line: i + 2, value: { text: `t${i}` } },
  vars: { text: `t${i}` },
}));
const scorer: Scorer = {
  fingerprint: "s",
  expected: () => "y",
  test: () => ({ assert: [] }),
  judgeModels: () => [],
  defaultGrader: undefined,
  grade: async () => ({ score: 1, pass: true, reason: "" }),
};

function settings(patience: number): SearchSettings {
  return {
    algo: "reflect",
    target: "template",
    seed: 1,
    across: "mean",
    minibatch: 4,
    proposals: 1,
    patience,
    maxRollouts: undefined,
    maxPromptTokens: 100,
    race: true,
    proposer: { provider: "mock", model: "reflect" },
    proposerParams: {},
    meta: compileTemplate("{{current_prompt}} {{examples}} {{variables}}"),
  };
}

const train = [0, 1, 2, 3, 4, 5, 6, 7];
const val: Instance[] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((row) => ({ row, model: 0 }));

/** A reflect search over the scripted models: train rows 0-7, val rows 8-19, one task model. */
function searchOver(rollouts: Rollouts, patience: number): Search {
  return new Search(
    settings(patience),
    rollouts,
    scorer,
    rows,
    [{ provider: "mock", model: "instruct" }],
    train,
    val,
    () => {},
  );
}

describe("Search (reflect) with scripted models", () => {
  it("spends nothing on a candidate the guards refuse, and keeps a child only when strictly better on its minibatch", async () => {
    const { rollouts, scored } = scripted([
      "```\nEVEN without the variable\n```", // drops {{text}}: refused before any rollout
      "```\nplain {{text}}\n```", // as good as its parent on the minibatch (0): refused, never raced
      "```\nEVEN {{text}}\n```", // better on the minibatch: raced on val, the new best
      "```\nEVEN ODD {{text}}\n```", // better still: the best
    ]);
    const search = searchOver(rollouts, 5);
    await search.start({ system: undefined, template: "plain start {{text}}" });
    const stop = await search.run();
    const [source, dropped, same, even, both] = search.pool;
    expect(source?.val_score).toBe(0);
    expect(dropped?.reason).toMatch(/drops \{\{text\}\} \(nothing spent on it\)/);
    expect(scored.some((s) => s.template === "EVEN without the variable")).toBe(false);
    expect(same?.reason).toMatch(/not better than its parent on the minibatch/);
    expect(
      scored
        .filter((s) => s.template === "plain {{text}}")
        .every((s) => s.rows.every((r) => train.includes(r))),
    ).toBe(true);
    expect(even?.decision).toBe("best");
    expect(both?.decision).toBe("best");
    expect(search.best.prompt.template).toBe("EVEN ODD {{text}}");
    expect(stop).toBe("perfect");
  });

  it("shows every train row once an epoch, a minibatch at a time, in an order drawn anew each epoch (GEPA's sampler)", async () => {
    const { rollouts, scored } = scripted(
      Array.from({ length: 6 }, (_, i) => `\`\`\`\nplain ${i} {{text}}\n\`\`\``),
    );
    const search = searchOver(rollouts, 6);
    await search.start({ system: undefined, template: "plain start {{text}}" });
    expect(await search.run()).toBe("patience");
    const minibatches = scored
      .filter((s) => s.template === "plain start {{text}}" && s.rows.every((r) => train.includes(r)))
      .map((s) => s.rows);
    expect(minibatches).toHaveLength(6);
    for (const batch of minibatches) expect(batch).toHaveLength(4);
    for (const epoch of [0, 1, 2]) {
      const shown = minibatches.slice(epoch * 2, epoch * 2 + 2).flat();
      expect([...shown].sort((a, b) => a - b)).toEqual(train);
    }
    expect(new Set(minibatches.map((b) => b.join())).size).toBeGreaterThan(2);
  });

  it("races a candidate on growing slices of val and stops scoring it once it cannot beat the best", async () => {
    const { rollouts, scored } = scripted(["```\nTRAINHACK {{text}}\n```"]);
    const search = searchOver(rollouts, 1);
    await search.start({ system: undefined, template: "EVEN start {{text}}" });
    expect(search.best.val_score).toBe(0.5);
    await search.run();
    const hack = search.pool[1];
    expect(hack?.minibatch?.score).toBeGreaterThan(hack?.minibatch?.parent_score ?? 99);
    expect(hack?.reason).toMatch(/cannot beat the best on val \(at most 0\.333 vs 0\.500 after 8 of 12\)/);
    const onVal = scored
      .filter((s) => s.template === "TRAINHACK {{text}}")
      .flatMap((s) => s.rows.filter((r) => r >= 8));
    expect(onVal).toHaveLength(8);
    expect(hack?.val_scores.filter((s) => s === null)).toHaveLength(4);
  });
});

describe("Search reserves each proposer call's own worst case before sending it", () => {
  it("stops on budget, without asking, when the proposal's exact request does not fit beside the test", async () => {
    const { rollouts, asked } = scripted(["```\nEVEN {{text}}\n```"], { cap: 1, proposalUsd: 0.8 });
    rollouts.plan.testReserveUsd = 0.3;
    const search = searchOver(rollouts, 5);
    await search.start({ template: "plain {{text}}", system: undefined });
    expect(await search.run()).toBe("budget");
    expect(asked()).toBe(0);
    expect(search.pool).toHaveLength(1);
  });
});

describe("SpendPlan", () => {
  it("reserves the sealed test first: a step fits only beside it", () => {
    let spent = 0.5;
    const plan = new SpendPlan(1, builtInPrices(), () => spent);
    plan.testReserveUsd = 0.3;
    expect(plan.fits(0.2)).toBe(true);
    expect(plan.fits(0.21)).toBe(false);
    spent = 0.6;
    expect(plan.fits(0.11)).toBe(false);
    expect(new SpendPlan(undefined, builtInPrices(), () => 99).fits(1e9)).toBe(true);
  });
});

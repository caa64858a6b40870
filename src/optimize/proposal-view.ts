import { type PromptParts, targetText } from "./candidate-guards.js";
import type { DataRow } from "./dataset.js";
import type { Scorer } from "./scorer.js";
import type { SearchSettings } from "./search.js";
import type { SpendPlan } from "./spend-plan.js";

/** What the proposer is shown of the task, and the most a proposer call can cost. */
export class ProposalView {
  private readonly fields: Set<string>;

  constructor(
    private readonly source: PromptParts,
    private readonly settings: Pick<
      SearchSettings,
      "algo" | "target" | "meta" | "proposer" | "proposerParams"
    >,
    private readonly rows: readonly DataRow[],
    private readonly scorer: Scorer,
    private readonly modelCount: number,
    private readonly plan: SpendPlan,
  ) {
    const { template, system } = source;
    this.fields = new Set(
      [...`${system ?? ""}\n${template}`.matchAll(/\{\{-?\s*([A-Za-z_]\w*)/g)].map((m) => m[1] as string),
    );
  }

  /** The fields the prompt uses: the input the proposer is shown (never the expected answer's column). */
  shownVars(vars: Readonly<Record<string, unknown>>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(vars).filter(([name]) => this.fields.has(name)));
  }

  /** The placeholders the new prompt must keep, as written in the source prompt. */
  variables(): string {
    const text = targetText(this.source, this.settings.target);
    const names = [...new Set([...text.matchAll(/\{\{[^}]*\}\}/g)].map((m) => m[0]))];
    return names.length > 0 ? names.join(", ") : "(none)";
  }

  /**
   * The most a proposer call can cost: the meta-prompt with the prompt to improve, these rows (with
   * their outputs and feedback, cut to 1,000 and 500 characters, for reflect) and `historyBytes` of
   * earlier prompts (opro).
   */
  proposerUsd(parent: PromptParts, rows: readonly number[], historyBytes = 0): number {
    const shown = this.settings.algo === "reflect" ? 200 + 1000 * 4 + 500 * 4 : 200;
    let bytes =
      Buffer.byteLength(this.settings.meta.source) +
      Buffer.byteLength(targetText(parent, this.settings.target));
    for (const row of rows) {
      const data = this.rows[row] as DataRow;
      bytes +=
        (Buffer.byteLength(JSON.stringify(data.vars)) +
          shown +
          Buffer.byteLength(this.scorer.expected(data))) *
        this.modelCount;
    }
    bytes += historyBytes;
    return this.plan.worstOfBytes(this.settings.proposer, bytes, this.settings.proposerParams.max_tokens);
  }
}

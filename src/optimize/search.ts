import type { ReporterSink } from "../core/events.js";
import type { ModelRef, RequestParams } from "../core/types.js";
import type { Template } from "../input/template.js";
import { type Across, aggregate } from "./aggregate-score.js";
import {
  candidateProblem,
  type FieldReader,
  lastFencedBlock,
  normalizedPrompt,
  type PromptParts,
  type Target,
  targetText,
  withTargetText,
} from "./candidate-guards.js";
import type { DataRow } from "./dataset.js";
import { paretoFront, pickParent } from "./pareto-front.js";
import { ProposalView } from "./proposal-view.js";
import {
  type Algo,
  formatExamples,
  type MetaValues,
  renderMeta,
  type ShownExample,
} from "./proposer-prompt.js";
import type { Instance, Rollout, Rollouts } from "./rollouts.js";
import type { Scorer } from "./scorer.js";
import { seededSample, seededShuffle } from "./seeded-random.js";

/** One candidate prompt, as `opt.json` records it. */
export interface Candidate {
  id: number;
  parent: number | null;
  step: number;
  origin: "source" | Algo;
  prompt: PromptParts;
  /** The proposer call that wrote it: its request hash (the journal's key). */
  proposer_request: string | null;
  minibatch: { rows: string[]; parent_score: number; score: number | null } | null;
  /** Per val instance (row × model, in val order): its score, or null where racing stopped it. */
  val_scores: (number | null)[];
  val_score: number | null;
  decision: "source" | "rejected" | "kept" | "best";
  reason: string;
}

/** One point of the search's path: after a decision, the best val score and what the search had used. */
export interface SearchPoint {
  step: number;
  best: number;
  best_val: number | null;
  rollouts: number;
  /** The logical dollars used so far (task, proposer and judge; each request once). */
  usd: number;
}

export type StopReason = "patience" | "max-rollouts" | "budget" | "perfect" | "no-train";

export interface SearchSettings {
  algo: Algo;
  target: Target;
  seed: number;
  across: Across;
  minibatch: number;
  proposals: number;
  patience: number;
  maxRollouts: number | undefined;
  maxPromptTokens: number;
  /** A prompt's variables, as its kind of template reads them (the guards). */
  fields?: FieldReader;
  /** Score every child on all of val at once, as GEPA does (`--no-race`: a benchmark baseline). */
  race: boolean;
  proposer: ModelRef;
  proposerParams: RequestParams;
  meta: Template;
}

/**
 * The search: a pool of candidates scored on val (the selection set), grown by the chosen
 * algorithm until a stopping rule holds. Every choice is drawn from the seed and the step, and
 * every figure is summed in instance order, so a rerun over the same answers makes the same pool.
 */
export class Search {
  readonly pool: Candidate[] = [];
  /** The best val score after each decision, against rollouts and dollars (the HTML report's plot). */
  readonly path: SearchPoint[] = [];
  private readonly tried = new Set<string>();
  private readonly raceOrder: number[];
  private readonly valModels: number[];
  private bestId = 0;
  private stale = 0;
  stopReason: StopReason | undefined;
  private viewOf: ProposalView | undefined;
  /** The worst case of the sealed test under a prompt (see `reserveTest`). */
  private testUsd: (parts: PromptParts) => number = () => 0;

  constructor(
    private readonly settings: SearchSettings,
    private readonly rollouts: Rollouts,
    private readonly scorer: Scorer,
    private readonly rows: readonly DataRow[],
    private readonly models: readonly ModelRef[],
    /** The rows the proposer learns from (train) and the instances that select (val). */
    private readonly train: readonly number[],
    private readonly val: readonly Instance[],
    private readonly emit: ReporterSink,
  ) {
    this.valModels = val.map((i) => i.model);
    this.raceOrder = seededShuffle(
      val.map((_, i) => i),
      (i) => `${(rows[(val[i] as Instance).row] as DataRow).id}\u0000${(val[i] as Instance).model}`,
      settings.seed,
      "race",
    );
  }

  /**
   * Keeps the test reserve of the plan right: the source's test and the best's. A candidate is
   * raced only when the cap also covers its own test (should it win), and becomes the reserve's
   * second half when it does.
   */
  reserveTest(testUsd: (parts: PromptParts) => number): void {
    this.testUsd = testUsd;
  }

  get best(): Candidate {
    return this.pool[this.bestId] as Candidate;
  }

  get source(): Candidate {
    return this.pool[0] as Candidate;
  }

  /** What the proposer is shown and what a proposal may cost (set once the source prompt is known). */
  private get view(): ProposalView {
    return this.viewOf as ProposalView;
  }

  private adoptSource(source: PromptParts): void {
    this.viewOf ??= new ProposalView(
      source,
      this.settings,
      this.rows,
      this.scorer,
      this.models.length,
      this.rollouts.plan,
    );
  }

  private get maxPromptBytes(): number {
    return this.settings.maxPromptTokens * 4;
  }

  /** The worst case of scoring the source prompt on all of val (what the search needs to start). */
  sourceValUsd(source: PromptParts): number {
    return this.rollouts.worstOfInstances(source, this.val);
  }

  /**
   * The worst case of one proposal (`--dry-run`), in the two parts the search reserves apart:
   * `propose`, what is reserved before the proposer call (reflect: the parent's minibatch, the
   * proposal, the child's minibatch; opro/ape: the proposal) and `race`, scoring the child on all of
   * val and, should it win, the sealed test — both for a child as long as `--max-prompt-tokens`.
   * `perStep` is how many proposals a step makes.
   */
  oneProposalUsd(source: PromptParts, testUsd: number): { propose: number; race: number; perStep: number } {
    this.adoptSource(source);
    const reflect = this.settings.algo === "reflect";
    const rows = this.train.slice(
      0,
      reflect ? this.settings.minibatch : this.settings.algo === "ape" ? 5 : 3,
    );
    const race = this.rollouts.unknownCandidateUsd(source, this.val, this.maxPromptBytes) + testUsd;
    if (reflect) {
      const batch = this.instancesOf(rows);
      return {
        propose:
          this.rollouts.worstOfInstances(source, batch) +
          this.view.proposerUsd(source, rows) +
          this.rollouts.unknownCandidateUsd(source, batch, this.maxPromptBytes),
        race,
        perStep: 1,
      };
    }
    return {
      propose: this.view.proposerUsd(source, rows, 8 * (this.maxPromptBytes + 64)),
      race,
      perStep: this.settings.proposals,
    };
  }

  /** Scores the source prompt on all of val: the first candidate, and the first best. */
  async start(source: PromptParts): Promise<void> {
    this.adoptSource(source);
    const scores = await this.rollouts.score(source, this.val);
    const val_scores = scores.map((r) => r.score);
    this.tried.add(normalizedPrompt(source));
    this.pool.push({
      id: 0,
      parent: null,
      step: 0,
      origin: "source",
      prompt: source,
      proposer_request: null,
      minibatch: null,
      val_scores,
      val_score: this.score(val_scores),
      decision: "source",
      reason: "the prompt given",
    });
    this.bestId = 0;
    this.mark(0);
  }

  private mark(step: number): void {
    const costs = this.rollouts.costs;
    this.path.push({
      step,
      best: this.bestId,
      best_val: this.best.val_score,
      rollouts: costs.task.calls,
      usd: costs.task.cost_usd + costs.proposer.cost_usd + costs.judge.cost_usd,
    });
  }

  /** Runs steps until a stopping rule holds. */
  async run(): Promise<StopReason> {
    for (let step = 1; ; step++) {
      const stop = this.stopBefore() ?? (await this.stepUnlessBudget(step));
      if (stop) {
        this.stopReason = stop;
        return stop;
      }
    }
  }

  /** One step; "budget" when the cap ended it, and the patience count kept. */
  private async stepUnlessBudget(step: number): Promise<StopReason | undefined> {
    const before = this.bestId;
    if ((await this.step(step)) === "budget") return "budget";
    this.stale = this.bestId === before ? this.stale + 1 : 0;
    return undefined;
  }

  private stopBefore(): StopReason | undefined {
    if ((this.best.val_score ?? 0) >= 1) return "perfect";
    if (this.stale >= this.settings.patience) return "patience";
    const max = this.settings.maxRollouts;
    if (max !== undefined && this.rollouts.costs.task.calls >= max) return "max-rollouts";
    if (this.train.length === 0) return "no-train";
    return undefined;
  }

  private step(step: number): Promise<"budget" | undefined> {
    if (this.settings.algo === "reflect") return this.reflectStep(step);
    return this.proposalStep(step);
  }

  /**
   * GEPA's step: a parent drawn from the per-instance Pareto front on val, a minibatch of train
   * rows it answers, a proposal from its failures there, the child on the same minibatch — kept
   * only if strictly better — and only then raced on val.
   */
  private async reflectStep(step: number): Promise<"budget" | undefined> {
    const full = this.pool.filter((c) => c.val_scores.every((s) => s !== null));
    const front = paretoFront(full.map((c) => ({ id: c.id, scores: c.val_scores.map((s) => s ?? 0) })));
    const parent = this.pool[pickParent(front, this.settings.seed, step)] as Candidate;
    const rows = this.minibatchRows(step);
    const batch = this.instancesOf(rows);
    // The parent's minibatch and the child's are reserved now; the proposal, once its request (with
    // the parent's actual answers) is known, reserves its own worst case before it is sent.
    const childUsd = this.rollouts.unknownCandidateUsd(this.source.prompt, batch, this.maxPromptBytes);
    const worst = this.rollouts.worstOfInstances(parent.prompt, batch) + childUsd;
    if (!this.fitsRollouts(batch.length * 2) || !this.rollouts.plan.fits(worst)) return "budget";
    const parentRuns = await this.rollouts.score(parent.prompt, batch);
    const parentSum = sum(parentRuns.map((r) => r.score));
    if (parentRuns.every((r) => r.score >= 1)) {
      this.event(step, undefined, parent.id, "skipped", "the parent answers the whole minibatch right");
      return undefined;
    }
    const examples: ShownExample[] = batch.map((instance, i) => {
      const run = parentRuns[i] as Rollout;
      const vars = (this.rows[instance.row] as DataRow).vars;
      return {
        vars: this.view.shownVars(vars),
        output: shorten(run.output ?? "(no answer)", 1000),
        expected: this.scorer.expected(this.rows[instance.row] as DataRow),
        feedback: shorten(run.reason, 500),
      };
    });
    const child = await this.propose(
      step,
      parent,
      { examples: formatExamples(examples), history: "", proposal: "1" },
      childUsd,
    );
    if (child === "budget" || !child) return child;
    const childRuns = await this.rollouts.score(child.prompt, batch);
    const childSum = sum(childRuns.map((r) => r.score));
    child.minibatch = {
      rows: rows.map((r) => (this.rows[r] as DataRow).id),
      parent_score: parentSum,
      score: childSum,
    };
    if (!(childSum > parentSum)) {
      return this.reject(
        step,
        child,
        `not better than its parent on the minibatch (${fmt(childSum)} vs ${fmt(parentSum)})`,
      );
    }
    return this.race(step, child);
  }

  /**
   * The train rows of a reflect step: train in a seeded order per epoch, taken a minibatch at a time
   * (GEPA's epoch-shuffled sampler), so every row is shown before any is shown again. An epoch's last
   * minibatch is filled from the start of its order.
   */
  private minibatchRows(step: number): number[] {
    const size = Math.min(this.settings.minibatch, this.train.length);
    const perEpoch = Math.ceil(this.train.length / size);
    const epoch = Math.floor((step - 1) / perEpoch);
    const at = ((step - 1) % perEpoch) * size;
    const order = seededShuffle(
      this.train,
      (r) => (this.rows[r] as DataRow).id,
      this.settings.seed,
      "epoch",
      epoch,
    );
    const chosen = new Set(order.slice(at, at + size));
    for (const row of order) if (chosen.size < size) chosen.add(row);
    return this.train.filter((row) => chosen.has(row));
  }

  private instancesOf(rows: readonly number[]): Instance[] {
    return rows.flatMap((row) => this.models.map((_, model) => ({ row, model })));
  }

  /**
   * OPRO's and APE's step: several proposals from the best prompts (OPRO: the top prompts with
   * their val scores, lowest first; APE: input/expected examples), each raced on val.
   */
  private async proposalStep(step: number): Promise<"budget" | undefined> {
    const best = this.best;
    const ranked = this.pool
      .filter((c) => c.val_score !== null && c.val_scores.every((s) => s !== null))
      .sort((a, b) => (a.val_score as number) - (b.val_score as number) || b.id - a.id)
      .slice(-8);
    const history = ranked
      .map(
        (c) =>
          `Score ${Math.round((c.val_score as number) * 100)}:\n\`\`\`\n${targetText(c.prompt, this.settings.target)}\n\`\`\``,
      )
      .join("\n\n");
    for (let k = 1; k <= this.settings.proposals; k++) {
      const count = this.settings.algo === "ape" ? 5 : 3;
      const rows = seededSample(
        this.train,
        count,
        (r) => (this.rows[r] as DataRow).id,
        this.settings.seed,
        "examples",
        step,
        k,
      );
      // The first slice of the race is reserved with the proposal, whose exact request reserves its
      // own worst case before it is sent.
      const sliceUsd = this.rollouts.unknownCandidateUsd(
        this.source.prompt,
        this.firstSliceInstances(),
        this.maxPromptBytes,
      );
      if (!this.fitsRollouts(Math.min(this.val.length, this.firstSlice()))) return "budget";
      const examples = rows.map((row) => {
        const vars = (this.rows[row] as DataRow).vars;
        return { vars: this.view.shownVars(vars), expected: this.scorer.expected(this.rows[row] as DataRow) };
      });
      const child = await this.propose(
        step,
        best,
        { examples: formatExamples(examples), history, proposal: String(k) },
        sliceUsd,
      );
      if (child === "budget") return "budget";
      if (!child) continue;
      if ((await this.race(step, child)) === "budget") return "budget";
    }
    return undefined;
  }

  /**
   * Asks the proposer for a child of `parent`; a reply the guards refuse is recorded and undefined
   * returned. The call's own worst case (its exact prompt, `max_tokens` out), with `thenUsd` of what
   * the step spends next on the child, is reserved before it is sent: "budget" when it does not fit.
   */
  private async propose(
    step: number,
    parent: Candidate,
    values: Omit<MetaValues, "current_prompt" | "variables">,
    thenUsd: number,
  ): Promise<Candidate | undefined | "budget"> {
    const text = renderMeta(this.settings.meta, {
      ...values,
      current_prompt: targetText(parent.prompt, this.settings.target),
      variables: this.view.variables(),
    });
    const request = {
      model: this.settings.proposer,
      messages: [{ role: "user" as const, content: text }],
      params: this.settings.proposerParams,
    };
    if (!this.rollouts.plan.fits(this.rollouts.proposalUsd(request) + thenUsd)) return "budget";
    const result = await this.rollouts.propose(request);
    const child: Candidate = {
      id: this.pool.length,
      parent: parent.id,
      step,
      origin: this.settings.algo,
      prompt: parent.prompt,
      proposer_request: this.rollouts.hash(request),
      minibatch: null,
      val_scores: this.val.map(() => null),
      val_score: null,
      decision: "rejected",
      reason: "",
    };
    this.pool.push(child);
    if (result.status !== "ok" || result.output === null) {
      this.reject(step, child, `the proposer failed: ${result.error?.message ?? "no answer"}`);
      return undefined;
    }
    const block = lastFencedBlock(result.output);
    if (block === undefined) {
      this.reject(step, child, "the reply has no fenced code block (```) holding the new prompt");
      return undefined;
    }
    const parts = withTargetText(parent.prompt, this.settings.target, block);
    if (!parts.ok) {
      this.reject(step, child, parts.reason);
      return undefined;
    }
    child.prompt = parts.parts;
    const problem = candidateProblem(
      parts.parts,
      this.source.prompt,
      this.tried,
      this.settings.maxPromptTokens,
    );
    this.tried.add(normalizedPrompt(parts.parts));
    if (problem) {
      this.reject(step, child, `${problem} (nothing spent on it)`);
      return undefined;
    }
    return child;
  }

  /**
   * Scores a candidate on growing slices of val (in a seeded order), and stops as soon as it can no
   * longer beat the best even if it answered every remaining instance right. Each slice reserves its
   * worst case first.
   */
  private async race(step: number, child: Candidate): Promise<"budget" | undefined> {
    const bestScore = this.best.val_score ?? 0;
    let done = 0;
    for (let size = this.firstSlice(); done < this.val.length; size = Math.min(this.val.length, size * 2)) {
      const slice = this.raceOrder.slice(done, size);
      const instances = slice.map((i) => this.val[i] as Instance);
      const ownTest = Math.max(0, this.testUsd(child.prompt) - this.testUsd(this.best.prompt));
      if (!this.rollouts.plan.fits(this.rollouts.worstOfInstances(child.prompt, instances) + ownTest)) {
        this.reject(
          step,
          child,
          `the cap leaves no room to score it on val (${done} of ${this.val.length} scored)`,
        );
        return "budget";
      }
      const runs = await this.rollouts.score(child.prompt, instances);
      slice.forEach((i, j) => {
        child.val_scores[i] = (runs[j] as Rollout).score;
      });
      done = size;
      const upper = aggregate(
        child.val_scores.map((s) => s ?? undefined),
        this.valModels,
        this.models.length,
        this.settings.across,
        1,
      );
      if (done < this.val.length && upper <= bestScore) {
        return this.reject(
          step,
          child,
          `cannot beat the best on val (at most ${fmt(upper)} vs ${fmt(bestScore)} after ${done} of ${this.val.length})`,
        );
      }
    }
    child.val_score = this.score(child.val_scores as number[]);
    if (child.val_score > bestScore) {
      child.decision = "best";
      child.reason = `better on val: ${fmt(child.val_score)} vs ${fmt(bestScore)}`;
      const plan = this.rollouts.plan;
      plan.testReserveUsd += this.testUsd(child.prompt) - this.testUsd(this.best.prompt);
      this.bestId = child.id;
    } else {
      child.decision = "kept";
      child.reason = `kept on the front: ${fmt(child.val_score)} on val vs the best's ${fmt(bestScore)}`;
    }
    this.event(step, child.id, child.parent ?? undefined, child.decision, child.reason);
    return undefined;
  }

  private firstSlice(): number {
    if (!this.settings.race) return this.val.length;
    return Math.min(this.val.length, Math.max(4, Math.ceil(this.val.length / 8)));
  }

  /** The instances of val a race scores first. */
  private firstSliceInstances(): Instance[] {
    return this.raceOrder.slice(0, this.firstSlice()).map((i) => this.val[i] as Instance);
  }

  private fitsRollouts(more: number): boolean {
    const max = this.settings.maxRollouts;
    return max === undefined || this.rollouts.costs.task.calls + more <= max;
  }

  private reject(step: number, child: Candidate, reason: string): undefined {
    child.decision = "rejected";
    child.reason = reason;
    this.event(step, child.id, child.parent ?? undefined, "rejected", reason);
    return undefined;
  }

  private score(scores: readonly (number | null)[]): number {
    return aggregate(
      scores.map((s) => s ?? undefined),
      this.valModels,
      this.models.length,
      this.settings.across,
    );
  }

  private event(
    step: number,
    candidate: number | undefined,
    parent: number | undefined,
    decision: string,
    reason: string,
  ): void {
    this.mark(step);
    this.emit({
      type: "optimize_step",
      step,
      ...(candidate !== undefined ? { candidate } : {}),
      ...(parent !== undefined ? { parent } : {}),
      decision,
      reason,
      best: this.bestId,
      best_val: this.best.val_score,
      rollouts: this.rollouts.costs.task.calls,
      spent_usd: this.rollouts.plan.spentUsd,
      cap_usd: this.rollouts.plan.capUsd ?? null,
    });
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function fmt(n: number): string {
  return n.toFixed(3);
}

function shorten(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}…` : text;
}

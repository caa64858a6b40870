import { createHash } from "node:crypto";
import type { AssertionSpec, EvalTest } from "./config/types.js";
import type { RowPlan } from "./eval-plan.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Assertion lists whose JSON is kept (tests often share one). */
const MAX_LISTS = 1_000;

const TAG = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
const ENV_USE = /\benv\b(?:\s*\.\s*([A-Za-z_$][\w$]*)|\s*\[\s*(["'])([^"']*)\2\s*\])?/g;

/**
 * A fingerprint of everything that shapes the eval's rows, so that a changed config starts a new
 * eval and an unchanged one resumes: the chosen tests (index, description, vars, assertions,
 * threshold), prompts (label and text), providers (label, model and parameters) and repeats, and the
 * environment variables the templates read. Taken from the config, without rendering a prompt, and
 * fed one test at a time (as the config is read, or from a plan).
 */
export class EvalFingerprint {
  private readonly hash = createHash("sha256");
  private readonly lists = new Map<AssertionSpec[], string>();
  private readonly env = new TemplateEnv();

  addTest(test: EvalTest): void {
    let assert = this.lists.get(test.assert);
    if (assert === undefined) {
      assert = JSON.stringify(test.assert);
      if (this.lists.size >= MAX_LISTS) this.lists.clear();
      this.lists.set(test.assert, assert);
    }
    this.hash.update(
      `${JSON.stringify([test.index, test.description ?? null, test.vars, test.threshold ?? null])}${assert}\n`,
    );
    for (const value of Object.values(test.vars)) if (typeof value === "string") this.env.scan(value);
  }

  /** The fingerprint, once every test of the plan was added. */
  digest(plan: Pick<RowPlan, "prompts" | "providers" | "repeat">, env: Env): string {
    for (const prompt of plan.prompts) this.env.scanDeep(prompt.raw);
    this.hash.update(
      JSON.stringify({
        fingerprint: "eval/2",
        prompts: plan.prompts.map((p) => [p.label, p.raw]),
        providers: plan.providers.map((p) => [p.label, p.model, p.params]),
        repeat: plan.repeat,
        env: this.env.values(env),
      }),
    );
    return this.hash.digest("hex");
  }
}

/** The fingerprint of a plan's rows (a pass over its tests). */
export function evalFingerprint(plan: RowPlan, env: Env): string {
  const fingerprint = new EvalFingerprint();
  for (let index = 0; index < plan.tests.length; index++)
    fingerprint.addTest(plan.tests.at(index) as EvalTest);
  return fingerprint.digest(plan, env);
}

/**
 * The environment variables templates (prompts, and var values that are templates) can read:
 * `{{ env.NAME }}` and `{{ env["NAME"] }}` name one; any other use of `env` may read any, so then
 * all of them.
 */
class TemplateEnv {
  private readonly names = new Set<string>();
  private all = false;

  scan(text: string): void {
    if (!text.includes("env") || !/\{\{|\{%/.test(text)) return;
    for (const tag of text.matchAll(TAG)) {
      for (const use of (tag[1] ?? tag[2] ?? "").matchAll(ENV_USE)) {
        const name = use[1] ?? use[3];
        if (name === undefined) this.all = true;
        else this.names.add(name);
      }
    }
  }

  scanDeep(value: unknown): void {
    if (typeof value === "string") this.scan(value);
    else if (Array.isArray(value)) for (const item of value) this.scanDeep(item);
    else if (value !== null && typeof value === "object")
      for (const item of Object.values(value)) this.scanDeep(item);
  }

  /** Name → value (null when unset), sorted by name. */
  values(env: Env): Array<[string, string | null]> {
    const chosen = this.all ? Object.keys(env) : [...this.names];
    return chosen.sort().map((name) => [name, env[name] ?? null]);
  }
}

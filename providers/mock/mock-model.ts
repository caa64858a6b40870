import { ERROR_TYPES, type ErrorType } from "../../src/core/errors.js";

/**
 * The offline mock's behaviour, read from its model name:
 * `echo`, or `echo?latency_ms=50&jitter_ms=20&fail_rate=0.1&fail_type=server&seed=7`; the same
 * options apply to `instruct` (a task model, with `noise`), `reflect` and `paraphrase` (proposers),
 * and `grader` (`grader?noise=0.2&seed=3`, the deterministic judge of `mock-judge.ts`).
 */
export interface MockModel {
  name: MockModelName;
  latencyMs: number;
  jitterMs: number;
  failRate: number;
  failType: ErrorType;
  seed: number | undefined;
  /**
   * `instruct`: the fraction of answers that are guesses even where a rule applies (default 0.05);
   * `grader`: the share of verdicts it turns around (default 0).
   */
  noise: number;
}

const MODELS = ["echo", "grader", "instruct", "reflect", "paraphrase"] as const;
export type MockModelName = (typeof MODELS)[number];

export function parseMockModel(spec: string): MockModel {
  const [name = "", query = ""] = spec.split("?", 2);
  if (!(MODELS as readonly string[]).includes(name)) {
    throw new Error(`unknown mock model "${name}" (known: ${MODELS.join(", ")})`);
  }
  const model: MockModel = {
    name: name as MockModelName,
    latencyMs: 0,
    jitterMs: 0,
    failRate: 0,
    failType: "server",
    seed: undefined,
    noise: name === "instruct" ? 0.05 : 0,
  };
  for (const [key, value] of new URLSearchParams(query)) {
    switch (key) {
      case "latency_ms":
        model.latencyMs = nonNegative(key, value);
        break;
      case "jitter_ms":
        model.jitterMs = nonNegative(key, value);
        break;
      case "fail_rate":
        model.failRate = nonNegative(key, value);
        if (model.failRate > 1)
          throw new Error(`mock option fail_rate must be between 0 and 1, got ${value}`);
        break;
      case "fail_type":
        if (!(ERROR_TYPES as readonly string[]).includes(value)) {
          throw new Error(`mock option fail_type must be one of ${ERROR_TYPES.join(", ")}, got "${value}"`);
        }
        model.failType = value as ErrorType;
        break;
      case "seed":
        model.seed = nonNegative(key, value);
        break;
      case "noise":
        model.noise = nonNegative(key, value);
        if (model.noise > 1) throw new Error(`mock option noise must be between 0 and 1, got ${value}`);
        break;
      default:
        throw new Error(
          `unknown mock option "${key}" (known: latency_ms, jitter_ms, fail_rate, fail_type, seed, noise)`,
        );
    }
  }
  return model;
}

/** The registry's model check: a problem message, or undefined. */
export function checkMockModel(spec: string): string | undefined {
  try {
    parseMockModel(spec);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function nonNegative(key: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new Error(`mock option ${key} must be a non-negative number, got "${value}"`);
  }
  return n;
}

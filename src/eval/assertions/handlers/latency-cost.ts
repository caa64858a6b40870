import { binary, type Handler } from "../handler.js";

/**
 * `latency` (promptfoo src/assertions/latency.ts): passes when the call took at most `threshold`
 * ms (0 is 0). Without a threshold it records the latency itself as the score of a named metric,
 * which then needs `metric` and cannot be negated.
 */
export const latency: Handler = ({ spec, ctx, inverse }) => {
  const ms = ctx.latencyMs;
  if (ms === undefined) {
    throw new Error("Latency assertion does not support cached results. Rerun the eval with --no-cache");
  }
  if (spec.threshold === undefined) {
    if (inverse) throw new Error("Latency assertion requires a threshold when using not-latency");
    if (!spec.metric) {
      throw new Error("Latency assertion without a threshold must set `metric` to record as a named metric");
    }
    return { pass: true, score: ms, reason: "Assertion passed", assertion: spec };
  }
  const within = ms <= spec.threshold;
  return binary(
    spec,
    within !== inverse,
    inverse
      ? `Latency ${ms}ms is less than or equal to threshold ${spec.threshold}ms`
      : `Latency ${ms}ms is greater than threshold ${spec.threshold}ms`,
  );
};

/**
 * `cost` (promptfoo src/assertions/cost.ts): passes when the call cost at most `threshold` USD.
 * An unknown, negative or non-finite cost cannot be checked. Without a threshold it records the
 * cost as the score of a named metric, as `latency` does.
 */
export const cost: Handler = ({ spec, ctx, inverse }) => {
  const usd = ctx.costUsd;
  if (usd === undefined || usd === null) {
    throw new Error("Cost assertion does not support providers that do not return cost");
  }
  if (!Number.isFinite(usd) || usd < 0) throw new Error(`Cost assertion got an invalid cost: ${usd}`);
  if (spec.threshold === undefined) {
    if (inverse) throw new Error("Cost assertion requires a threshold when using not-cost");
    if (!spec.metric) {
      throw new Error("Cost assertion without a threshold must set `metric` to record as a named metric");
    }
    return { pass: true, score: usd, reason: "Assertion passed", assertion: spec };
  }
  const within = usd <= spec.threshold;
  return binary(
    spec,
    within !== inverse,
    inverse
      ? `Cost ${usd.toPrecision(2)} is less than or equal to threshold ${spec.threshold}`
      : `Cost ${usd.toPrecision(2)} is greater than threshold ${spec.threshold}`,
  );
};

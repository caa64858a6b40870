import { describe, expect, it } from "vitest";
import { parseCoordinator } from "../../src/coordinate/coordinator-url.js";
import { UsageError } from "../../src/core/errors.js";
import { resolveRunSettings } from "../../src/run/run-settings.js";

describe("--coordinator", () => {
  it("takes redis://, rediss:// and unix:// sockets, and never shows a password", () => {
    expect(parseCoordinator("redis://queue:6379/2")).toEqual({
      url: "redis://queue:6379/2",
      shown: "redis://queue:6379/2",
    });
    expect(parseCoordinator("rediss://user:s3cret@queue:6380").shown).toBe("rediss://user:***@queue:6380");
    expect(parseCoordinator("unix:///run/redis/redis.sock?db=3")).toEqual({
      socketPath: "/run/redis/redis.sock",
      database: 3,
      shown: "unix:///run/redis/redis.sock?db=3",
    });
  });

  it("refuses what is not Redis, before anything is read or sent (exit 2)", () => {
    expect(() => parseCoordinator("queue:6379")).toThrow(/metasync coordinates through Redis/);
    expect(() => parseCoordinator("http://queue:6379")).toThrow(UsageError);
    expect(() => parseCoordinator("redis://queue/x")).toThrow(/the database must be a number, got "x"/);
    expect(() => parseCoordinator("nonsense")).toThrow(/not a URL/);
  });

  it("comes from METASYNC_COORDINATOR unless the flag gives one; --share and --coordinator-timeout need one", () => {
    const env = { METASYNC_COORDINATOR: "redis://from-env:6379" };
    expect(resolveRunSettings("in.jsonl", {}, undefined, "/tmp", env).coordinator?.address.url).toBe(
      "redis://from-env:6379",
    );
    const flag = resolveRunSettings(
      "in.jsonl",
      { coordinator: "redis://flag:1", coordinatorTimeout: 5 },
      undefined,
      "/tmp",
      env,
    );
    expect(flag.coordinator).toEqual({
      address: { url: "redis://flag:1", shown: "redis://flag:1" },
      timeoutMs: 5_000,
    });
    expect(() => resolveRunSettings("in.jsonl", { share: true }, undefined, "/tmp", {})).toThrow(
      /--share needs a coordinator/,
    );
    expect(() => resolveRunSettings("in.jsonl", { coordinatorTimeout: 5 }, undefined, "/tmp", {})).toThrow(
      /--coordinator-timeout goes with --coordinator/,
    );
    expect(() => resolveRunSettings("in.jsonl", { share: true, maxCost: 5 }, undefined, "/tmp", env)).toThrow(
      /--share cannot keep --max-cost/,
    );
  });
});

import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { buildPoolKeys, planKeys } from "../../src/keys/key-plan.js";
import type { KeySpec } from "../../src/keys/load-keys.js";
import { keyFingerprint } from "../../src/keys/pool-key.js";

const settings = { defaults: {}, baseUrl: () => undefined };

describe("buildPoolKeys", () => {
  it("gives each key from the environment its own scope, named by fingerprint", () => {
    const keys = buildPoolKeys(["openai"], [], { OPENAI_API_KEYS: "k1,k2" }, settings);
    expect(keys.map((k) => k.fingerprint)).toEqual([keyFingerprint("k1"), keyFingerprint("k2")]);
    expect(keys.map((k) => k.scope.name)).toEqual([
      `openai:${keyFingerprint("k1")}`,
      `openai:${keyFingerprint("k2")}`,
    ]);
    expect(keys[0]?.scope).not.toBe(keys[1]?.scope);
  });

  it("puts keys with one scope into one limit scope, per provider", () => {
    const specs: KeySpec[] = [
      { provider: "openai", value: "k1", scope: "team", limits: { requests: 100 }, weight: 1 },
      { provider: "openai", value: "k2", scope: "team", limits: { requests: 100 }, weight: 1 },
      { provider: "anthropic", value: "a1", scope: "team", limits: {}, weight: 1 },
    ];
    const keys = buildPoolKeys(["openai", "anthropic"], specs, {}, settings);
    expect(keys[0]?.scope).toBe(keys[1]?.scope);
    expect(keys[0]?.scope.name).toBe("openai:team");
    expect(keys[2]?.scope.name).toBe("anthropic:team");
    expect(keys[2]?.scope).not.toBe(keys[0]?.scope);
  });

  it("gives a scope whose keys name different limits the lowest of them", () => {
    const specs: KeySpec[] = [
      { provider: "openai", value: "k1", scope: "team", limits: { requests: 100 }, weight: 1 },
      { provider: "openai", value: "k2", scope: "team", limits: { requests: 50, tokens: 9_000 }, weight: 1 },
      { provider: "openai", value: "k3", scope: "team", limits: {}, weight: 1 },
    ];
    const keys = buildPoolKeys(["openai"], specs, {}, settings);
    expect(keys[0]?.scope.limits()).toEqual({ requests: 50, tokens: 9_000 });
  });

  it("applies --tpm/--rpm as defaults that a pool file's limits override", () => {
    const specs: KeySpec[] = [
      { provider: "openai", value: "k1", limits: { requests: 50 }, weight: 1 },
      { provider: "openai", value: "k2", limits: {}, weight: 1 },
    ];
    const keys = buildPoolKeys(
      ["openai"],
      specs,
      {},
      { ...settings, defaults: { requests: 500, tokens: 9_000 } },
    );
    expect(keys.map((k) => k.scope.limits())).toEqual([
      { requests: 50, tokens: 9_000 },
      { requests: 500, tokens: 9_000 },
    ]);
  });

  it("uses a key's own base_url, else the provider's", () => {
    const specs: KeySpec[] = [
      { provider: "openai", value: "k1", limits: {}, weight: 1, baseUrl: "http://a/v1" },
      { provider: "openai", value: "k2", limits: {}, weight: 1 },
    ];
    const keys = buildPoolKeys(["openai"], specs, {}, { ...settings, baseUrl: () => "http://default/v1" });
    expect(keys.map((k) => k.baseUrl)).toEqual(["http://a/v1", "http://default/v1"]);
  });

  it("refuses a provider without a key, naming the variables to set", () => {
    expect(() => buildPoolKeys(["anthropic"], [], { OPENAI_API_KEY: "k" }, settings)).toThrow(
      /no API key for anthropic: set ANTHROPIC_API_KEY \(or ANTHROPIC_API_KEYS/,
    );
  });

  it("needs no key for the offline mock provider", () => {
    const keys = buildPoolKeys(["mock"], [], {}, settings);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.value).toBeUndefined();
  });
});

describe("planKeys", () => {
  it("groups keys that name one scope into one budget with the lowest limit, and names providers without a key", () => {
    const specs: KeySpec[] = [
      { provider: "openai", value: "a", scope: "team", limits: { requests: 600 }, weight: 1 },
      { provider: "openai", value: "b", scope: "team", limits: { requests: 300 }, weight: 1 },
      { provider: "openai", value: "c", limits: {}, weight: 1 },
    ];
    const plan = planKeys(["openai", "anthropic"], specs, {}, { tokens: 1000 });
    expect(plan.scopes.map((s) => [s.name, s.limits, s.keys.length])).toEqual([
      ["openai:team", { tokens: 1000, requests: 300 }, 2],
      [`openai:${keyFingerprint("c")}`, { tokens: 1000 }, 1],
    ]);
    expect(plan.keys.map((k) => k.scope)).toEqual([
      "openai:team",
      "openai:team",
      `openai:${keyFingerprint("c")}`,
    ]);
    expect(plan.missing.map((m) => m.provider)).toEqual(["anthropic"]);
    expect(() => buildPoolKeys(["anthropic"], [], {}, settings)).toThrow(ConfigError);
  });
});

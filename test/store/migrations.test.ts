import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate, SCHEMA_VERSION } from "../../src/store/migrations.js";
import { StateError } from "../../src/store/state-db.js";
import { StateStore } from "../../src/store/state-store.js";

const tempDb = () => join(mkdtempSync(join(tmpdir(), "metasync-store-")), "state.db");

describe("migrations", () => {
  it("bring a version-1 database up to date and keep its runs and items", () => {
    const path = tempDb();
    const old = new Database(path);
    migrate(old, 1);
    old
      .prepare(
        `INSERT INTO runs (id, key, name, input_path, input_fingerprint, options_fingerprint, options_json, status, total, created_at, updated_at)
         VALUES ('old-run', 'k', NULL, '/in.jsonl', 'fp', 'ofp', '{"model":"mock:echo"}', 'open', 1, 1, 1)`,
      )
      .run();
    old
      .prepare(
        `INSERT INTO items (run_id, idx, id, line, provider, request, status) VALUES ('old-run', 0, 'a', 1, 'mock', '{}', 'pending')`,
      )
      .run();
    expect(old.pragma("user_version", { simple: true })).toBe(1);
    old.close();

    const store = StateStore.open(path);
    expect(store.findRun("old-run")?.options).toEqual({ model: "mock:echo" });
    expect(store.counts("old-run")).toEqual({ total: 1, ok: 0, failed: 0, pending: 1 });
    expect(store.applyCache("old-run")).toBe(0); // the version-2 cache table exists
    store.close();
    const upgraded = new Database(path, { readonly: true });
    expect(upgraded.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    upgraded.close();
  });

  it("let two processes opening a new database at once take turns: the second finds the schema made", () => {
    const path = tempDb();
    const first = new Database(path, { timeout: 5_000 });
    const second = new Database(path, { timeout: 5_000 });
    // The second process migrates the whole schema just after the first has read the version.
    let raced = false;
    const racing = new Proxy(first, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property !== "pragma") return value.bind(target);
        return (...args: Parameters<Database.Database["pragma"]>) => {
          const result = target.pragma(...args);
          if (!raced && args[0] === "user_version") {
            raced = true;
            migrate(second);
          }
          return result;
        };
      },
    });
    try {
      expect(() => migrate(racing)).not.toThrow();
      expect(raced).toBe(true);
      expect(first.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      first.close();
      second.close();
    }
  });

  it("drop cached answers written before endpoints were part of their key, and keep the runs", () => {
    const path = tempDb();
    const old = new Database(path);
    migrate(old, 3);
    old
      .prepare(
        `INSERT INTO runs (id, key, name, input_path, input_fingerprint, options_fingerprint, options_json, status, total, created_at, updated_at)
         VALUES ('old-run', 'k', NULL, '/in.jsonl', 'fp', 'ofp', '{"model":"mock:echo"}', 'finished', 1, 1, 1)`,
      )
      .run();
    old
      .prepare(
        `INSERT INTO items (run_id, idx, id, line, provider, request, status, result, request_hash)
         VALUES ('old-run', 0, 'a', 1, 'mock', '{}', 'ok', '{"id":"a","output":"from a mock"}', 'h')`,
      )
      .run();
    old.prepare("INSERT INTO response_cache VALUES ('h', '{\"output\":\"from a mock\"}', 1)").run();
    old.close();

    const store = StateStore.open(path);
    try {
      expect(store.counts("old-run")).toEqual({ total: 1, ok: 1, failed: 0, pending: 0 });
      expect([...store.entries("old-run")][0]?.result).toMatchObject({ output: "from a mock" });
    } finally {
      store.close();
    }
    const upgraded = new Database(path, { readonly: true });
    expect(upgraded.prepare("SELECT count(*) AS n FROM response_cache").get()).toEqual({ n: 0 });
    upgraded.close();
  });

  it("refuse a database written by a newer metasync", () => {
    const path = tempDb();
    const newer = new Database(path);
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    expect(() => StateStore.open(path)).toThrow(/written by a newer metasync/);
  });

  it("name a corrupt file as such", () => {
    const path = tempDb();
    writeFileSync(path, "garbage".repeat(1000));
    expect(() => StateStore.open(path)).toThrow(StateError);
    expect(() => StateStore.open(path)).toThrow(/not a metasync state database, or it is corrupt/);
  });
});

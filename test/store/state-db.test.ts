import { chmodSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateStore } from "../../src/store/state-store.js";

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("a new state database", () => {
  it("is private: the database, its WAL files and the directory made for it (it holds prompts and answers)", () => {
    const cwd = mkdtempSync(join(tmpdir(), "metasync-private-"));
    const path = join(cwd, ".metasync", "state.db");
    const store = StateStore.open(path);
    try {
      store.createRun({
        key: "k",
        name: null,
        slug: "s",
        inputPath: "/x",
        optionsFingerprint: "o",
        options: {},
      });
      expect(modeOf(join(cwd, ".metasync"))).toBe(0o700);
      expect(modeOf(path)).toBe(0o600);
      expect(modeOf(`${path}-wal`)).toBe(0o600);
    } finally {
      store.close();
    }
  });

  it("leaves an existing directory's mode alone", () => {
    const cwd = mkdtempSync(join(tmpdir(), "metasync-private-"));
    mkdirSync(join(cwd, "shared"));
    chmodSync(join(cwd, "shared"), 0o755);
    StateStore.open(join(cwd, "shared", "state.db")).close();
    expect(modeOf(join(cwd, "shared"))).toBe(0o755);
    expect(modeOf(join(cwd, "shared", "state.db"))).toBe(0o600);
  });
});

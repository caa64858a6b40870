import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EngineEvent } from "../../../src/core/events.js";
import { Dashboard } from "../../../src/ui/dashboard/Dashboard.js";
import type { DashboardView } from "../../../src/ui/dashboard/dashboard-view.js";
import type { ProgressState } from "../../../src/ui/progress-state.js";
import { failure, itemDone, itemStart, replay, result, runEvent, start, T0 } from "../events.js";

afterEach(cleanup);

/** Times of day depend on the time zone; the frames should not. */
function normalize(frame: string | undefined): string {
  return (frame ?? "").replace(/\b\d\d:\d\d:\d\d\b/g, "HH:MM:SS").replace(/[ \t]+$/gm, "");
}

function view(state: ProgressState, overrides: Partial<DashboardView> = {}): DashboardView {
  return {
    state,
    now: T0 + 30_000,
    notices: [],
    stopRequested: false,
    keyboard: true,
    finished: false,
    ...overrides,
  };
}

const busyRun = (): ProgressState => {
  const events: [number, EngineEvent][] = [
    [T0, runEvent()],
    [T0, { type: "scope_limits", scope: "team-a", rpm: 500, tpm: 200_000 }],
    [T0, { type: "key_state", key: "sk-…a1b2", provider: "openai", scope: "team-a", state: "active" }],
    [T0, { type: "key_state", key: "sk-…c3d4", provider: "openai", scope: "team-a", state: "active" }],
    [T0, start(1000, 1000, 8)],
  ];
  for (let i = 0; i < 240; i++) {
    const at = T0 + i * 125;
    events.push(
      [at, itemStart(`p${i}`)],
      [at, itemDone(result(`p${i}`, { latency_ms: 400 + (i % 10) * 100, cost_usd: 0.002 }), "team-a")],
    );
  }
  for (let i = 0; i < 8; i++) events.push([T0 + 29_000, itemStart(`q${i}`)]);
  events.push(
    [T0 + 20_000, { type: "rate_limited", key: "sk-…c3d4", scope: "team-a", retryAfterMs: 15_000 }],
    [T0 + 25_000, itemDone(failure("q7", "bad_request", "max_tokens is too large"))],
  );
  return replay(events);
};

describe("<Dashboard>", () => {
  it("shows progress, throughput against the budget, cost, latency, keys and errors", () => {
    const { lastFrame } = render(
      <Dashboard view={view(busyRun())} color={false} onStop={() => {}} onForceExit={() => {}} />,
    );
    const frame = normalize(lastFrame());
    expect(frame).toContain("metasync · run run-1 · running · 30s");
    expect(frame).toContain("q: stop");
    expect(frame).toMatch(/ 24% 241\/1,000/);
    expect(frame).toContain("240 ok · 1 failed · 7 in flight · 752 queued · ETA 1m 34s");
    expect(frame).toContain("throughput 482 req/min of 500 rpm   14k tok/min of 200k tpm");
    // The budget bars say what they stand for.
    expect(frame).toMatch(/requests [█░]{20} 482\/500 rpm \(96%\) {2}tokens [█░]{20} 14k\/200k tpm \(7%\)/);
    expect(frame).toMatch(
      /scope team-a: 480\/500 req\/min \S+ · 14k\/200k tok\/min \S+ · 1× 429 · cooling 5s/,
    );
    expect(frame).toContain("cost $0.480 so far · $2.00 projected");
    expect(frame).toContain("latency p50 800 ms · p95 1.3 s");
    expect(frame).toContain("sk-…a1b2 (openai · team-a) active");
    expect(frame).toContain("sk-…c3d4 (openai · team-a) cooling 5s · 1× 429");
    expect(frame).toContain("HH:MM:SS q7 bad_request (attempt 1, failed): max_tokens is too large");
    expect(frame).toMatchSnapshot();
  });

  it("before the start: no rates, no ETA, nothing about keys or errors", () => {
    const { lastFrame } = render(
      <Dashboard
        view={view(replay([[T0, runEvent()]]), { now: T0 })}
        color={false}
        onStop={() => {}}
        onForceExit={() => {}}
      />,
    );
    expect(normalize(lastFrame())).toMatchSnapshot();
  });

  it("a key disabled for good says why; a stopping run says so", () => {
    const state = replay([
      [T0, start(10)],
      [T0, { type: "key_disabled", key: "sk-…e5f6", provider: "anthropic", reason: "insufficient_quota" }],
      [
        T0 + 1,
        { type: "stopping", reason: "interrupted", message: "stopping: waiting for requests in flight" },
      ],
    ]);
    const frame = normalize(
      render(
        <Dashboard
          view={view(state, { stopRequested: true })}
          color={false}
          onStop={() => {}}
          onForceExit={() => {}}
        />,
      ).lastFrame(),
    );
    expect(frame).toContain("sk-…e5f6 (anthropic) disabled: insufficient_quota");
    expect(frame).toContain("stopping");
    expect(frame).toContain("q again: quit now");
    expect(frame).toContain("stopping: waiting for requests in flight");
  });

  it("prints notices once, above the live area, and keeps the live area's final frame when the run is over", () => {
    const state = replay([
      [T0, runEvent()],
      [T0, start(2)],
    ]);
    const ended = replay(
      [
        [T0 + 1_000, itemDone(result("a"))],
        [T0 + 2_000, itemDone(failure("b", "server", "openai: 500 boom (http://127.0.0.1:4000/v1)"))],
        [
          T0 + 2_000,
          {
            type: "end",
            reason: "completed",
            counts: { total: 2, ok: 1, failed: 1, previouslyDone: 0, inFlight: 0 },
            wallMs: 2_000,
          },
        ],
      ],
      state,
    );
    const notices = [{ id: 0, text: "metasync: run run-1" }];
    const { lastFrame, rerender } = render(
      <Dashboard view={view(state, { notices })} color={false} onStop={() => {}} onForceExit={() => {}} />,
    );
    expect(lastFrame()).toMatch(/^metasync: run run-1\n/);
    rerender(
      <Dashboard
        view={view(ended, {
          notices: [...notices, { id: 1, text: "[12:00:01] key k (openai) disabled: auth" }],
          finished: true,
        })}
        color={false}
        onStop={() => {}}
        onForceExit={() => {}}
      />,
    );
    const last = lastFrame() ?? "";
    expect(last.match(/metasync: run run-1/g)).toHaveLength(1);
    expect(last).toContain("key k (openai) disabled: auth");
    // The final frame: how the run ended, its numbers and its errors, and no key hint any more.
    expect(last).toContain("metasync · run run-1 · finished · 2s");
    expect(last).toMatch(/100% 2\/2/);
    expect(last).toContain("1 ok · 1 failed · 0 in flight · 0 queued · done");
    expect(last).toContain("throughput");
    expect(last).toContain("b server (attempt 1, failed): openai: 500 boom (http://127.0.0.1:4000/v1)");
    expect(last).not.toContain("q: stop");
  });

  it("q stops gracefully, a second q or Ctrl-C quits at once", async () => {
    const onStop = vi.fn();
    const onForceExit = vi.fn();
    const state = replay([[T0, start(2)]]);
    const { stdin } = render(
      <Dashboard view={view(state)} color={false} onStop={onStop} onForceExit={onForceExit} />,
    );
    await vi.waitFor(() => expect(stdin.listenerCount("readable")).toBeGreaterThan(0));
    stdin.write("x");
    stdin.write("q");
    await vi.waitFor(() => expect(onStop).toHaveBeenCalledTimes(1));
    expect(onForceExit).not.toHaveBeenCalled();
    stdin.write("\u0003");
    await vi.waitFor(() => expect(onForceExit).toHaveBeenCalledTimes(1));
    expect(onStop).toHaveBeenCalledTimes(1);
  });

  it("Ctrl-C alone stops gracefully; no keys are read when stdin is not a terminal of ours", async () => {
    const onStop = vi.fn();
    const state = replay([[T0, start(2)]]);
    const first = render(
      <Dashboard view={view(state)} color={false} onStop={onStop} onForceExit={() => {}} />,
    );
    await vi.waitFor(() => expect(first.stdin.listenerCount("readable")).toBeGreaterThan(0));
    first.stdin.write("\u0003");
    await vi.waitFor(() => expect(onStop).toHaveBeenCalledTimes(1));
    first.unmount();

    const offline = render(
      <Dashboard
        view={view(state, { keyboard: false })}
        color={false}
        onStop={onStop}
        onForceExit={() => {}}
      />,
    );
    expect(offline.stdin.listenerCount("readable")).toBe(0);
    expect(offline.lastFrame()).not.toContain("q: stop");
  });
});

import { useInput } from "ink";
import { useRef } from "react";

export interface StopKeyHandlers {
  /** First `q` or Ctrl-C: stop admitting work, let requests in flight finish. */
  onStop(): void;
  /** Second press: quit now (the run resumes later). */
  onForceExit(): void;
}

/**
 * `q` and Ctrl-C stop the run gracefully, a second press quits at once. In raw mode the terminal
 * sends no SIGINT for Ctrl-C, so this is the only way it reaches the run.
 */
export function useStopKeys(active: boolean, handlers: StopKeyHandlers): void {
  const presses = useRef(0);
  useInput(
    (input, key) => {
      if (input !== "q" && !(key.ctrl && input === "c")) return;
      presses.current++;
      if (presses.current === 1) handlers.onStop();
      else handlers.onForceExit();
    },
    { isActive: active },
  );
}

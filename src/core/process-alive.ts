/**
 * Whether a process of this host is still running (signal 0 tests without signalling): how a run's
 * claim and a leftover temporary file tell a live writer from a dead one. The one question the
 * library asks the operating system about another process.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

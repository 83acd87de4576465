/**
 * What the multi-process suites (test/network, test/console's network test) share: the small
 * scenario they run, in which the third loan defaults by the last month's close and the lead
 * takes it to arbitration, and a check that a node process is still running.
 */
export const NET_SCENARIO = { seed: "net-test", loans: 9, months: 7, partners: 3, maxCases: 1 };

/** Whether the process `pid` is alive (signal 0 probes without touching it). */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Coverage instruments the contracts, so gas ceilings and the contract-size limit do not hold under
// it: those suites call `skipUnderCoverage()` (test/helpers/coverage.ts), which reads this variable
// or the plugin's own flag. The simulation and multi-process network suites are left to `npm test`:
// they drive the clients at scale (raw transactions, anvil processes) and add no contract lines; so
// do the console suites (a browser and node processes over the same contracts).
process.env.COLEND_COVERAGE = "1";

module.exports = {
  skipFiles: ["test/"],
  // A test's timeout is 20 minutes here: on the shared machine the run gets a third of a core, and
  // a fixture that times out keeps running under the next tests (a 5-minute timeout made the first
  // lending fixture time out and 25 later tests fail on expired endorsements).
  mocha: { timeout: 1_200_000, grep: "^(sim|network|console): ", invert: true },
};

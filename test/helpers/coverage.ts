import hre from "hardhat";

/**
 * True while `npm run coverage` runs. solidity-coverage instruments every contract: each line and
 * branch gets an extra call, so gas is higher and bytecode larger than what colend ships. Gas
 * ceilings and the 22,000-byte size limit are about the shipped code; they are checked by
 * `npm test` and skipped under coverage (`skipUnderCoverage`). `.solcover.js` also sets
 * COLEND_COVERAGE, for runs where the plugin's flag is not on the runtime environment.
 */
export function underCoverage(): boolean {
  return (
    Boolean((hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING) ||
    process.env.COLEND_COVERAGE === "1"
  );
}

/** In a `describe` body: skips the suite under coverage (gas and size figures do not hold there). */
export function skipUnderCoverage(): void {
  before(function () {
    if (underCoverage()) this.skip();
  });
}

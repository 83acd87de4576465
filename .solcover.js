// Coverage instruments the contracts, so gas ceilings do not hold under it: suites and tests with
// "gas" in their title are left to `npm test`, as are the simulation and multi-process network
// suites, which drive the clients at scale (raw transactions, anvil processes).
module.exports = {
  skipFiles: ["test/"],
  mocha: { timeout: 300000, grep: "^(sim|network): |\\bgas\\b", invert: true },
};

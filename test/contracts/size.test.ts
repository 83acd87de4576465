import { expect } from "chai";
import { artifacts } from "hardhat";
import { skipUnderCoverage } from "../helpers/coverage";

/** Deployable bytecode above this fails the suite: room left under EIP-170's 24,576 bytes. */
const SIZE_LIMIT = 22_000;

/**
 * Every deployable contract and library of colend (test doubles under contracts/test excluded)
 * stays under SIZE_LIMIT bytes of runtime code, so features can be added without hitting EIP-170.
 */
describe("contract sizes", function () {
  skipUnderCoverage(); // instrumented bytecode is larger than what ships: the limit is checked by `npm test`
  it(`keeps every deployable contract under ${SIZE_LIMIT.toLocaleString("en-US")} bytes`, async function () {
    const names = (await artifacts.getAllFullyQualifiedNames()).filter(
      (n) => n.startsWith("contracts/") && !n.startsWith("contracts/test/"),
    );
    const sizes: [string, number][] = [];
    for (const name of names) {
      const a = await artifacts.readArtifact(name);
      const bytes = (a.deployedBytecode.length - 2) / 2;
      if (bytes > 0) sizes.push([a.contractName, bytes]);
    }
    expect(sizes.map(([n]) => n)).to.include.members(["EvidenceLedger", "LoanBook", "MembershipLib"]);
    const over = sizes.filter(([, b]) => b > SIZE_LIMIT);
    if (process.env.SIZE_TABLE) {
      for (const [n, b] of sizes.sort((x, y) => y[1] - x[1]))
        console.log(`      ${n.padEnd(20)} ${String(b).padStart(6)}`);
    }
    expect(over, `over ${SIZE_LIMIT} bytes: ${over.map(([n, b]) => `${n} ${b}`).join(", ")}`).to.deep.equal([]);
  });
});

import { expect } from "chai";
import { artifacts } from "hardhat";

/**
 * Every public or external function of a deployed colend contract is declared in one of its
 * interfaces (issue 11, the shape of the contracts), so clients and other modules can call it
 * through the interface. Left out: the contracts' public constants (UPPER_CASE), the ERC-20
 * metadata getters and OpenZeppelin's ERC-5267 `eip712Domain`.
 */
const INTERFACES: Record<string, string[]> = {
  EvidenceLedger: ["IEvidenceLedger", "IMembership"],
  LoanBook: ["ILoanBook", "ILedgerModule"],
  CreditRegistry: ["ICreditRegistry", "ILedgerModule"],
  LoanUseAccount: ["ILoanUseAccount", "ILedgerModule"],
  SettlementToken: ["ISettlementToken", "ILedgerModule"],
  ArbitrationCourt: ["IArbitrationCourt", "IAwardEnforcement", "ILedgerModule"],
  CycleSettlement: ["ICycleSettlement", "ILedgerModule"],
};
const EXEMPT = new Set(["name", "symbol", "decimals", "eip712Domain"]);

async function functionsOf(name: string): Promise<Set<string>> {
  const { abi } = await artifacts.readArtifact(name);
  return new Set((abi as { type: string; name?: string }[]).filter((e) => e.type === "function").map((e) => e.name!));
}

describe("contract interfaces", function () {
  it("declares every public function of each deployed contract in its interfaces", async function () {
    for (const [contract, interfaces] of Object.entries(INTERFACES)) {
      const declared = new Set<string>();
      for (const i of interfaces) for (const f of await functionsOf(i)) declared.add(f);
      const missing = [...(await functionsOf(contract))].filter(
        (f) => !declared.has(f) && !EXEMPT.has(f) && !/^[A-Z0-9_]+$/.test(f),
      );
      expect(missing, `${contract}: not in ${interfaces.join(", ")}`).to.deep.equal([]);
    }
  });

  it("covers every deployable contract (test doubles excluded)", async function () {
    const deployable: string[] = [];
    for (const fq of await artifacts.getAllFullyQualifiedNames()) {
      if (!fq.startsWith("contracts/") || fq.startsWith("contracts/test/")) continue;
      const a = await artifacts.readArtifact(fq);
      const isFunctionless = !(a.abi as { type: string }[]).some((e) => e.type === "function");
      // Deployable, not a library (libraries have no constructor and are linked, not called by clients).
      const hasCode = a.bytecode.length > 2;
      const isLibrary = hasCode && !(a.abi as { type: string }[]).some((e) => e.type === "constructor");
      if (hasCode && !isLibrary && !isFunctionless) deployable.push(a.contractName);
    }
    expect(deployable.sort()).to.deep.equal(Object.keys(INTERFACES).sort());
  });
});

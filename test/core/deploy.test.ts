import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployColend, FounderSpec } from "../../clients/deploy";
import { Kind, KindName, Role } from "../../clients/core/types";
import { ArbitrationCourt__factory, LoanBook__factory } from "../../typechain-types";
import { MODULE_KINDS, encryptionKeyFor } from "../helpers/consortium";

async function founders(): Promise<FounderSpec[]> {
  const signers = await ethers.getSigners();
  const roles = [Role.LeadBank, Role.PartnerBank, Role.PartnerBank, Role.PartnerBank, Role.Arbitrator];
  return roles.map((role, i) => ({
    name: `member ${i}`,
    role,
    signer: signers[i + 1],
    encryptionKey: encryptionKeyFor(signers[i + 1].address),
  }));
}

async function fullDeployment() {
  const [deployer] = await ethers.getSigners();
  return deployColend(deployer, await founders());
}

describe("deployColend", () => {
  it("deploys every module, wires the court into the loan book, and seals genesis", async () => {
    const { book, ledger } = await loadFixture(fullDeployment);
    for (const key of ["token", "registry", "loanBook", "loanUse", "court"] as const) {
      expect(book[key], key).to.match(/^0x[0-9a-fA-F]{40}$/);
      expect(await ledger.isModule(book[key]!), `${key} is a module`).to.equal(key !== "token");
    }
    const loanBook = LoanBook__factory.connect(book.loanBook!, ethers.provider);
    expect(await loanBook.court()).to.equal(book.court);
    const court = ArbitrationCourt__factory.connect(book.court!, ethers.provider);
    expect(await court.loanBook()).to.equal(book.loanBook);
    expect(await ledger.genesisAdmin()).to.equal(ethers.ZeroAddress);
    expect(book.members.map((m) => m.role)).to.deep.equal([1, 2, 2, 2, 3]);
  });

  it("gives each module kind to exactly one module, and Batch and Membership to none", async () => {
    const { book, ledger } = await loadFixture(fullDeployment);
    const owners: Record<string, KindName[]> = {
      registry: ["CreditDecision", "CreditClosed", "OutsideLoan", "DelinquencyListed", "DelinquencyCured"],
      loanBook: [
        "LoanContract",
        "LoanFunded",
        "FundingWithdrawn",
        "LoanDisbursed",
        "LoanCancelled",
        "Repayment",
        "Reminder",
        "DefaultNotice",
        "DefaultCured",
        "Classified",
        "CollectionStarted",
        "AwardSatisfied",
      ],
      loanUse: ["LoanSpend"],
      court: ["CaseOpened", "CaseStatement", "CaseResponse", "Disclosure", "CaseReassigned", "Award", "CaseClosed"],
    };
    const owned: string[] = [];
    for (const [key, names] of Object.entries(owners)) {
      const module = book[key as "registry" | "loanBook" | "loanUse" | "court"]!;
      for (const name of names) expect(await ledger.kindOwner(Kind[name]), `${name} by ${key}`).to.equal(module);
      owned.push(...names.map((n) => Kind[n]));
    }
    expect([...owned].sort()).to.deep.equal([...MODULE_KINDS].sort()); // every module kind, each once
    for (const name of ["Batch", "Membership", "Note", "RepaymentReceipt"] as const) {
      expect(await ledger.kindOwner(Kind[name]), name).to.equal(ethers.ZeroAddress);
    }
  });

  it("deploys the batched cycle's CycleSettlement on the ledger and the token, outside the modules", async () => {
    const { book, ledger, cycleSettlement } = await loadFixture(fullDeployment);
    expect(book.cycleSettlement).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(await cycleSettlement!.getAddress()).to.equal(book.cycleSettlement);
    expect(await cycleSettlement!.ledger()).to.equal(book.ledger);
    expect(await cycleSettlement!.token()).to.equal(book.token);
    // It moves only what banks approve it for and commits nothing: no module rights.
    expect(await ledger.isModule(book.cycleSettlement!)).to.equal(false);
  });

  it("deploys no CycleSettlement with cycle: false", async () => {
    const [deployer] = await ethers.getSigners();
    const { book, cycleSettlement } = await deployColend(deployer, await founders(), { cycle: false });
    expect(book.cycleSettlement).to.equal(undefined);
    expect(cycleSettlement).to.equal(undefined);
    expect(book.court).to.match(/^0x[0-9a-fA-F]{40}$/);
  });

  it("deploys the ledger alone when lending is off, and no court without a loan book", async () => {
    const [deployer] = await ethers.getSigners();
    const { book } = await deployColend(deployer, await founders(), { lending: false });
    expect(book.loanBook).to.equal(undefined);
    expect(book.court).to.equal(undefined);
    expect(book.cycleSettlement).to.equal(undefined);
  });

  it("refuses a founding set with too few banks, deploying nothing usable", async () => {
    const [deployer] = await ethers.getSigners();
    const two = (await founders()).slice(0, 2);
    let error: unknown;
    try {
      await deployColend(deployer, two);
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.contain("TooFewVotingMembers");
  });
});

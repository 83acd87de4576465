import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { toUtf8Bytes } from "ethers";
import { LoanStatus, Subject } from "../../clients/core/types";
import { cny } from "../../clients/lending";
import { DocumentStore } from "../../clients/store";
import { ArbitratorNode, discloseToArbitrator, openCase, respondToCase } from "../../clients/arbitration";
import { deployDefaultedLoan } from "./defaultedLoan";
import { admit, openLoan, standardTerms } from "../lending/fixtures";
import { encryptionPrivateKey } from "./fixture";

const SECRET = "0x" + "42".repeat(32);

/** A defaulted loan under the real lending modules and court (see `deployDefaultedLoan`). */
async function defaultedLoanFixture() {
  const { fx, arbitration, pseudonym, loanId } = await deployDefaultedLoan();
  return {
    ...fx,
    arbitrationCourt: arbitration.court,
    boundToLoanBook: arbitration.boundToLoanBook,
    pseudonym,
    loanId,
  };
}

describe("ArbitrationCourt with the real LoanBook", function () {
  it("is bound by the deploy step and takes a defaulted loan from case to award", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    expect(fx.boundToLoanBook).to.equal(true);
    expect(await fx.loanBook.court()).to.equal(await fx.arbitrationCourt.getAddress());
    expect(await fx.loanBook.loanStatus(fx.loanId)).to.equal(LoanStatus.Defaulted);
    expect(await fx.loanBook.isLender(fx.loanId, fx.partners[0].address)).to.equal(true);

    const store = DocumentStore.open(":memory:", SECRET);
    const loanHead = await fx.ledger.headOf(Subject.loan(fx.loanId));
    const filed = await openCase({
      bank: fx.partnerNodes[0],
      peers: [fx.lead, ...fx.partnerNodes.slice(1)],
      loanId: fx.loanId,
      arbitrator: fx.arbitrator.address,
      claim: toUtf8Bytes("partner 1 claims its share of the unpaid installments"),
      store,
    });
    expect(filed.frozenHead).to.equal(loanHead);
    expect(await fx.loanBook.loanStatus(fx.loanId)).to.equal(LoanStatus.InArbitration);

    const [borrower] = fx.borrowers;
    await respondToCase({
      borrower,
      court: fx.book.court!,
      caseId: filed.caseId,
      document: toUtf8Bytes("I was abroad"),
    });
    await discloseToArbitrator({
      bank: fx.partnerNodes[0],
      store,
      caseId: filed.caseId,
      contentHashes: [filed.claim.contentHash],
    }).then(async ({ package: pkg }) => {
      const arbitrator = new ArbitratorNode(
        "Arbitration Commission 1",
        fx.arbitrator,
        fx.book,
        DocumentStore.open(":memory:", SECRET),
        encryptionPrivateKey(fx.arbitrator.address),
      );
      const review = await arbitrator.receiveDisclosure(pkg);
      expect(review.verified).to.equal(true);
      const award = await arbitrator.issueAward(filed.caseId, toUtf8Bytes("award: 12,000 CNY"), cny(12_000));
      expect((await fx.arbitrationCourt.caseInfo(filed.caseId)).awardHash).to.equal(award.awardHash);
      console.log(`      gas with the real LoanBook: openCase ${filed.claim.gasUsed}, issueAward ${award.gasUsed}`);
    });

    expect(await fx.loanBook.loanStatus(fx.loanId)).to.equal(LoanStatus.Awarded);
    expect(await fx.registry.isDelinquent(fx.pseudonym)).to.equal(true);
    const loanChain = await fx.ledger.queryFilter(fx.ledger.filters.RecordCommitted(Subject.loan(fx.loanId)));
    const awardIndex = loanChain.findIndex((e) => e.args.proposer === fx.arbitrator.address);
    expect(awardIndex).to.be.greaterThan(loanChain.findIndex((e) => e.args.head === loanHead));
  });

  it("refuses a case on the loan while it still performs, and a case by a bank that did not fund it", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    await expect(
      fx.arbitrationCourt.connect(fx.partners[3]).openCase(
        fx.loanId,
        fx.arbitrator.address,
        {
          subject: Subject.arbitrationCase(1n),
          kind: "0x" + "11".repeat(32),
          contentHash: "0x" + "22".repeat(32),
          attrs: "0x" + "00".repeat(32),
          prev: "0x" + "00".repeat(32),
        },
        0n,
        0n,
        "0x",
      ),
    )
      .to.be.revertedWithCustomError(fx.arbitrationCourt, "NotLender")
      .withArgs(fx.loanId, fx.partners[3].address);
    const pseudonym = await admit(fx, 1);
    const { loanId } = await openLoan(fx, standardTerms(pseudonym));
    let refused: Error | undefined;
    try {
      await openCase({
        bank: fx.lead,
        peers: fx.partnerNodes,
        loanId,
        arbitrator: fx.arbitrator.address,
        claim: toUtf8Bytes("claim on a performing loan"),
      });
    } catch (e) {
      refused = e as Error;
    }
    expect(refused?.message).to.match(new RegExp(`quorum not reached.*loan ${loanId} is not in default`));
    expect(await fx.loanBook.loanStatus(loanId)).to.equal(LoanStatus.Active);
  });
});

/**
 * Borrower assent (issue 10): the borrower signs (EIP-712) its acceptance of the exact loan
 * contract with the key bound to its credit line at whitelisting; the loan book verifies it at
 * origination and keeps it as the LoanAssented event. Every failure changes nothing.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Kind } from "../../clients/core/types";
import { AssentRefused, BorrowerClient, assentDomain, assentSigner, loanContractAttrs } from "../../clients/lending";
import type { AssentRequest } from "../../clients/lending";
import { AdmittedFixture, admittedFixture, expectRejection, rawAssent, rawLoanRecord, standardTerms } from "./fixtures";

/** Raw origination parts for loan `loanId` to the fixture's borrower (the contract's own checks). */
async function rawContract(fx: AdmittedFixture, loanId = 1n, terms = standardTerms(fx.pseudonym)) {
  const r = await rawLoanRecord(fx, loanId, Kind.LoanContract, loanContractAttrs(loanId, fx.borrower.address, terms));
  await fx.token.connect(fx.leadBank).approve(await fx.loanBook.getAddress(), terms.principal);
  return { terms, ...r };
}

describe("Borrower assent at origination", function () {
  it("originates with the borrower's signed assent, kept on chain and recoverable offline", async function () {
    const fx = await loadFixture(admittedFixture);
    const o = await fx.lead.originate(
      { pseudonym: fx.pseudonym, principal: 1_200_000n, annualRateBps: 1_200, periods: 10, periodDays: 30 },
      fx.partnerNodes,
    );
    const [e] = await fx.loanBook.queryFilter(fx.loanBook.filters.LoanAssented(o.loanId));
    expect(e.args.borrower).to.equal(fx.borrower.address);
    expect(e.args.contractHash).to.equal(o.record.contentHash);
    expect(e.args.signature).to.equal(o.assent.signature);
    const record = (await fx.ledger.queryFilter(fx.ledger.filters.RecordCommitted())).find(
      (r) => r.args.contentHash === o.record.contentHash,
    )!;
    const domain = assentDomain(fx.chainId, await fx.loanBook.getAddress());
    expect(assentSigner(domain, record.args.attrs, o.record.contentHash, o.assent)).to.equal(fx.borrower.address);
  });

  it("refuses to originate without a way to ask the borrower, and commits nothing", async function () {
    const fx = await loadFixture(admittedFixture);
    const { LeadBankNode } = await import("../../clients/lending");
    const lonely = new LeadBankNode("W Bank (no borrower app)", fx.leadBank, fx.book);
    await expectRejection(
      lonely.originate(
        { pseudonym: fx.pseudonym, principal: 1_200_000n, annualRateBps: 1_200, periods: 10, periodDays: 30 },
        fx.partnerNodes,
      ),
      /no way to ask borrower .* for its assent/,
    );
    expect(await fx.loanBook.nextLoanId()).to.equal(1n);
  });

  it("rejects an assent signed by anyone but the borrower's bound account (a forged assent)", async function () {
    const fx = await loadFixture(admittedFixture);
    const { terms, record, issuedAt, deadline, signatures } = await rawContract(fx);
    for (const forger of [fx.borrowers[1], fx.leadBank, fx.partners[0]]) {
      const forged = await rawAssent(fx, record, forger);
      await expect(fx.loanBook.connect(fx.leadBank).originate(terms, record, issuedAt, deadline, signatures, forged))
        .to.be.revertedWithCustomError(fx.loanBook, "BadAssent")
        .withArgs(1n, forger.address);
    }
    expect(await fx.loanBook.nextLoanId()).to.equal(1n);
  });

  it("rejects a missing or malformed signature", async function () {
    const fx = await loadFixture(admittedFixture);
    const { terms, record, issuedAt, deadline, signatures } = await rawContract(fx);
    const good = await rawAssent(fx, record, fx.borrower);
    const malformed = ["0x", "0x" + "11".repeat(64), "0x" + "00".repeat(65), good.signature.slice(0, -2) + "1f"];
    for (const signature of malformed) {
      await expect(
        fx.loanBook
          .connect(fx.leadBank)
          .originate(terms, record, issuedAt, deadline, signatures, { deadline: good.deadline, signature }),
      )
        .to.be.revertedWithCustomError(fx.loanBook, "BadAssent")
        .withArgs(1n, "0x" + "00".repeat(20));
    }
  });

  it("rejects an assent to other terms, another contract document or another loan (no replay)", async function () {
    const fx = await loadFixture(admittedFixture);
    const { terms, record, issuedAt, deadline, signatures } = await rawContract(fx);
    const otherTerms = await rawAssent(fx, { ...record, attrs: "0x" + "12".repeat(32) }, fx.borrower);
    const otherDocument = await rawAssent(fx, { ...record, contentHash: "0x" + "34".repeat(32) }, fx.borrower);
    const laterDeadline = {
      ...(await rawAssent(fx, record, fx.borrower)),
      deadline: BigInt(await time.latest()) + 7_200n,
    };
    for (const assent of [otherTerms, otherDocument, laterDeadline]) {
      await expect(
        fx.loanBook.connect(fx.leadBank).originate(terms, record, issuedAt, deadline, signatures, assent),
      ).to.be.revertedWithCustomError(fx.loanBook, "BadAssent");
    }
    // A valid assent to loan 1 does not originate loan 2.
    const first = await rawAssent(fx, record, fx.borrower);
    await fx.loanBook.connect(fx.leadBank).originate(terms, record, issuedAt, deadline, signatures, first);
    const second = await rawContract(fx, 2n, { ...terms, principal: 100_000n });
    await expect(
      fx.loanBook
        .connect(fx.leadBank)
        .originate(second.terms, second.record, second.issuedAt, second.deadline, second.signatures, first),
    ).to.be.revertedWithCustomError(fx.loanBook, "BadAssent");
  });

  it("rejects an expired assent", async function () {
    const fx = await loadFixture(admittedFixture);
    const { terms, record, issuedAt, deadline, signatures } = await rawContract(fx);
    const now = BigInt(await time.latest());
    const assent = await rawAssent(fx, record, fx.borrower, now + 10n);
    await time.setNextBlockTimestamp(now + 11n);
    await expect(fx.loanBook.connect(fx.leadBank).originate(terms, record, issuedAt, deadline, signatures, assent))
      .to.be.revertedWithCustomError(fx.loanBook, "AssentExpired")
      .withArgs(1n, now + 10n);
  });

  it("has the borrower's client refuse to sign a contract that is not what it is shown", async function () {
    const fx = await loadFixture(admittedFixture);
    const client = new BorrowerClient(fx.borrower, fx.book);
    const shown: AssentRequest[] = [];
    const spy = {
      address: () => client.address(),
      assent: async (r: AssentRequest) => {
        shown.push(r);
        return client.assent({ ...r, terms: { ...r.terms, annualRateBps: r.terms.annualRateBps - 100n } });
      },
    };
    await expectRejection(
      fx.lead.originate(
        {
          pseudonym: fx.pseudonym,
          principal: 1_200_000n,
          annualRateBps: 1_200,
          periods: 10,
          periodDays: 30,
          borrower: spy,
        },
        fx.partnerNodes,
      ),
      /the contract says annualRateBps 1200, not 1100/,
      AssentRefused,
    );
    expect(await fx.loanBook.nextLoanId()).to.equal(1n);
    const r = shown[0];
    await expectRejection(client.assent({ ...r, salt: new Uint8Array(32) }), /does not hash/, AssentRefused);
    await expectRejection(client.assent({ ...r, loanBook: fx.leadBank.address }), /loan book/, AssentRefused);
    await expectRejection(
      client.assent({ ...r, termsHash: "0x" + "00".repeat(32) }),
      /attrs do not bind/,
      AssentRefused,
    );
    await expectRejection(
      new BorrowerClient(fx.borrowers[1], fx.book).assent(r),
      /the contract names .*, not/,
      AssentRefused,
    );
  });
});

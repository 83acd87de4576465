import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress } from "ethers";
import { LoanStatus, Subject, ZERO_HASH } from "../../clients/core/types";
import { attrsHash } from "../../clients/core/records";
import { BorrowerClient, DAY, cny, useCategory } from "../../clients/lending";
import { FACT_ATTR_TYPES } from "../../clients/lending/documents";
import { CATEGORY, admittedFixture, chainOf, chainKinds, openLoan, standardTerms } from "./fixtures";

const PURPOSE = "0x" + "5a".repeat(32);

async function restrictedFixture() {
  const fx = await loadFixture(admittedFixture);
  await fx.lead.approvePayee(fx.payee.address, CATEGORY);
  const { loanId, disbursedAt } = await openLoan(fx, standardTerms(fx.pseudonym, { useCategory: CATEGORY }));
  return { ...fx, loanId, disbursedAt };
}

describe("LoanUseAccount", function () {
  it("opens the loan's restricted account with the disbursed principal", async function () {
    const fx = await loadFixture(restrictedFixture);
    const account = await fx.loanUse.accountOf(fx.loanId);
    expect([account.balance, account.spent, account.returned]).to.deep.equal([cny(12_000), 0n, 0n]);
    const opened = await fx.loanUse.queryFilter(fx.loanUse.filters.AccountOpened(fx.loanId));
    expect(opened[0].args.amount).to.equal(cny(12_000));
  });

  it("lets the borrower pay an approved payee, recording the spend and its purpose on the loan's chain", async function () {
    const fx = await loadFixture(restrictedFixture);
    const client = new BorrowerClient(fx.borrower, fx.book);
    const spent = await client.spend(fx.loanId, fx.payee.address, cny(3_000), "invoice 2024-117: cement, 40 t");
    expect(spent.balance).to.equal(cny(9_000));
    expect(await fx.token.balanceOf(fx.payee.address)).to.equal(cny(3_000));
    const chain = await chainOf(fx, Subject.loan(fx.loanId));
    const last = chain.at(-1)!;
    expect(last.record.attrs).to.equal(
      attrsHash(FACT_ATTR_TYPES.LoanSpend, [fx.payee.address, cny(3_000), spent.purposeHash, CATEGORY]),
    );
    expect(last.proposer).to.equal(fx.borrower.address);
    expect(last.endorsers).to.deep.equal([await fx.loanUse.getAddress()]);
    const account = await fx.loanUse.accountOf(fx.loanId);
    expect([account.spent, account.spends]).to.deep.equal([cny(3_000), 1n]);
  });

  it("emits Spent with the purpose hash", async function () {
    const fx = await loadFixture(restrictedFixture);
    await expect(fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.payee.address, cny(1), PURPOSE))
      .to.emit(fx.loanUse, "Spent")
      .withArgs(fx.loanId, fx.payee.address, cny(1), PURPOSE);
  });

  it("refuses a payee the lead bank did not approve, or approved in another category", async function () {
    const fx = await loadFixture(restrictedFixture);
    await expect(fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.borrowers[2].address, cny(1), PURPOSE))
      .to.be.revertedWithCustomError(fx.loanUse, "PayeeNotApproved")
      .withArgs(fx.borrowers[2].address, CATEGORY);
    await fx.lead.approvePayee(fx.borrowers[3].address, useCategory("travel"));
    await expect(fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.borrowers[3].address, cny(1), PURPOSE))
      .to.be.revertedWithCustomError(fx.loanUse, "PayeeNotApproved")
      .withArgs(fx.borrowers[3].address, CATEGORY);
  });

  it("refuses a payee whose approval was revoked", async function () {
    const fx = await loadFixture(restrictedFixture);
    await fx.lead.approvePayee(fx.payee.address, ZERO_HASH);
    await expect(fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.payee.address, cny(1), PURPOSE))
      .to.be.revertedWithCustomError(fx.loanUse, "PayeeNotApproved")
      .withArgs(fx.payee.address, CATEGORY);
  });

  it("lets only the borrower spend, only what is there, never zero, always with a purpose", async function () {
    const fx = await loadFixture(restrictedFixture);
    for (const who of [fx.leadBank, fx.partners[0], fx.payee]) {
      await expect(fx.loanUse.connect(who).spend(fx.loanId, fx.payee.address, 1n, PURPOSE))
        .to.be.revertedWithCustomError(fx.loanUse, "NotAccountBorrower")
        .withArgs(fx.loanId, fx.borrower.address);
    }
    await expect(fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.payee.address, cny(12_000) + 1n, PURPOSE))
      .to.be.revertedWithCustomError(fx.loanUse, "InsufficientBalance")
      .withArgs(fx.loanId, cny(12_000) + 1n, cny(12_000));
    await expect(
      fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.payee.address, 0n, PURPOSE),
    ).to.be.revertedWithCustomError(fx.loanUse, "ZeroAmount");
    await expect(
      fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.payee.address, 1n, ZERO_HASH),
    ).to.be.revertedWithCustomError(fx.loanUse, "EmptyHash");
    await expect(fx.loanUse.connect(fx.borrower).spend(99n, fx.payee.address, 1n, PURPOSE))
      .to.be.revertedWithCustomError(fx.loanUse, "NoAccount")
      .withArgs(99n);
  });

  it("offers no way to withdraw or move the funds anywhere else", async function () {
    const fx = await loadFixture(restrictedFixture);
    const names: string[] = [];
    fx.loanUse.interface.forEachFunction((f) => names.push(f.name));
    expect(names.filter((n) => /withdraw|transfer|approve$|sweep|rescue/i.test(n))).to.deep.equal([]);
    const loanUseAddress = await fx.loanUse.getAddress();
    await expect(
      fx.token.connect(fx.borrower).transferFrom(loanUseAddress, fx.borrower.address, 1n),
    ).to.be.revertedWithCustomError(fx.token, "ERC20InsufficientAllowance");
    await expect(fx.loanUse.connect(fx.borrower).release(fx.loanId))
      .to.be.revertedWithCustomError(fx.loanUse, "AccountFrozen")
      .withArgs(fx.loanId, LoanStatus.Active);
    expect(await fx.token.balanceOf(loanUseAddress)).to.equal(cny(12_000));
  });

  it("lets payees be only outsiders: not members, modules, borrowers or zero", async function () {
    const fx = await loadFixture(restrictedFixture);
    for (const payee of [fx.partners[0].address, await fx.loanBook.getAddress(), fx.borrower.address, ZeroAddress]) {
      await expect(fx.lead.approvePayee(payee, CATEGORY))
        .to.be.revertedWithCustomError(fx.loanUse, "InvalidPayee")
        .withArgs(payee);
    }
  });

  it("lets only a lead bank approve payees", async function () {
    const fx = await loadFixture(restrictedFixture);
    await expect(fx.loanUse.connect(fx.partners[0]).approvePayee(fx.borrowers[2].address, CATEGORY))
      .to.be.revertedWithCustomError(fx.loanUse, "WrongRole")
      .withArgs(fx.partners[0].address, 1);
  });

  it("lets only the loan book open accounts", async function () {
    const fx = await loadFixture(restrictedFixture);
    await expect(
      fx.loanUse.connect(fx.leadBank).onDisbursed(9n, fx.borrower.address, fx.leadBank.address, CATEGORY, 1n),
    )
      .to.be.revertedWithCustomError(fx.loanUse, "NotLoanBook")
      .withArgs(fx.leadBank.address);
  });

  it("lets the borrower send unspent funds back to the lenders as a repayment", async function () {
    const fx = await loadFixture(restrictedFixture);
    const client = new BorrowerClient(fx.borrower, fx.book);
    const left = await client.returnToLenders(fx.loanId, cny(2_000));
    expect(left).to.equal(cny(10_000));
    const loan = await fx.loanBook.loanInfo(fx.loanId);
    expect(loan.totalRepaid).to.equal(cny(2_000));
    expect(await chainKinds(fx, Subject.loan(fx.loanId))).to.include("Repayment");
  });

  it("freezes spending once the loan defaults, and lets the lead bank return the funds to the lenders", async function () {
    const fx = await loadFixture(restrictedFixture);
    await time.setNextBlockTimestamp(fx.disbursedAt + 31n * DAY);
    const { remindedAt } = await fx.lead.remind(fx.loanId, "SMS");
    await time.increaseTo(remindedAt + 86_400n);
    await fx.lead.declareDefault(fx.loanId, fx.partnerNodes);
    await expect(fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.payee.address, 1n, PURPOSE))
      .to.be.revertedWithCustomError(fx.loanUse, "AccountFrozen")
      .withArgs(fx.loanId, LoanStatus.Defaulted);
    await expect(fx.loanUse.connect(fx.leadBank).returnToLenders(fx.loanId, cny(5_000)))
      .to.emit(fx.loanUse, "ReturnedToLenders")
      .withArgs(fx.loanId, fx.leadBank.address, cny(5_000));
    await expect(fx.loanUse.connect(fx.partners[0]).returnToLenders(fx.loanId, 1n))
      .to.be.revertedWithCustomError(fx.loanUse, "NotAccountBorrower")
      .withArgs(fx.loanId, fx.borrower.address);
  });

  it("refuses to return or release funds of a loan without an account, by another account, zero or too much", async function () {
    const fx = await loadFixture(restrictedFixture);
    const unknown = fx.loanId + 99n;
    // One call at a time: a rejected call must not be left unawaited while the other runs.
    for (const call of [
      () => fx.loanUse.connect(fx.borrower).returnToLenders(unknown, 1n),
      () => fx.loanUse.connect(fx.borrower).release(unknown),
    ]) {
      await expect(call()).to.be.revertedWithCustomError(fx.loanUse, "NoAccount").withArgs(unknown);
    }
    await expect(fx.loanUse.connect(fx.partners[0]).release(fx.loanId))
      .to.be.revertedWithCustomError(fx.loanUse, "NotAccountBorrower")
      .withArgs(fx.loanId, fx.borrower.address);
    await expect(fx.loanUse.connect(fx.borrower).returnToLenders(fx.loanId, 0n)).to.be.revertedWithCustomError(
      fx.loanUse,
      "ZeroAmount",
    );
    const { balance } = await fx.loanUse.accountOf(fx.loanId);
    await expect(fx.loanUse.connect(fx.borrower).returnToLenders(fx.loanId, balance + 1n))
      .to.be.revertedWithCustomError(fx.loanUse, "InsufficientBalance")
      .withArgs(fx.loanId, balance + 1n, balance);
    // A performing loan's account is not released.
    await expect(fx.loanUse.connect(fx.borrower).release(fx.loanId))
      .to.be.revertedWithCustomError(fx.loanUse, "AccountFrozen")
      .withArgs(fx.loanId, LoanStatus.Active);
    expect((await fx.loanUse.accountOf(fx.loanId)).balance).to.equal(balance);
  });

  it("refuses the lead bank returning funds of a performing loan", async function () {
    const fx = await loadFixture(restrictedFixture);
    await expect(fx.loanUse.connect(fx.leadBank).returnToLenders(fx.loanId, 1n))
      .to.be.revertedWithCustomError(fx.loanUse, "AccountFrozen")
      .withArgs(fx.loanId, LoanStatus.Active);
  });

  it("releases what is left to the borrower once the loan is repaid in full", async function () {
    const fx = await loadFixture(restrictedFixture);
    const client = new BorrowerClient(fx.borrower, fx.book);
    await client.spend(fx.loanId, fx.payee.address, cny(11_000), "machinery");
    await client.payOff(fx.loanId);
    const before = await client.balance();
    await expect(fx.loanUse.connect(fx.borrower).release(fx.loanId))
      .to.emit(fx.loanUse, "Released")
      .withArgs(fx.loanId, fx.borrower.address, cny(1_000));
    expect(await client.balance()).to.equal(before + cny(1_000));
    await expect(fx.loanUse.connect(fx.borrower).release(fx.loanId)).to.be.revertedWithCustomError(
      fx.loanUse,
      "ZeroAmount",
    );
  });

  it("keeps the payee inside the ledger's money: it can pay members but not outsiders", async function () {
    const fx = await loadFixture(restrictedFixture);
    await fx.loanUse.connect(fx.borrower).spend(fx.loanId, fx.payee.address, cny(10), PURPOSE);
    await fx.token.connect(fx.payee).transfer(fx.leadBank.address, cny(1));
    await expect(fx.token.connect(fx.payee).transfer(fx.outsider.address, cny(1)))
      .to.be.revertedWithCustomError(fx.token, "UnregisteredAccount")
      .withArgs(fx.outsider.address);
  });
});

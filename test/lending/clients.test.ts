/**
 * The typed clients over a consortium deployed by `deployColend`: the whole lifecycle driven by
 * the lead bank, partner banks and a borrower, and the partner checks that refuse wrong data.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { MaxUint256, Signer } from "ethers";
import { ethers } from "hardhat";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { deployColend } from "../../clients/deploy";
import { readAddressBook, writeAddressBook } from "../../clients/core/addressBook";
import { EndorsementRefused, Proposal } from "../../clients/core/node";
import { Kind, LoanClass, LoanStatus, Role, Subject, ZERO_HASH } from "../../clients/core/types";
import {
  BorrowerClient,
  DAY,
  LeadBankNode,
  PartnerBankNode,
  cny,
  encodeDocument,
  institutionId,
  loanContractAttrs,
  outsideLoanAttrs,
  pseudonymOf,
  schedule,
} from "../../clients/lending";
import { encryptionKeyFor } from "../helpers/consortium";
import { DEMO_PEOPLE, TEST_SECRET, expectRejection } from "./fixtures";

async function colendFixture() {
  const [deployer, lead, p1, p2, p3, arbitrator, borrower] = await ethers.getSigners();
  const founders = [
    { name: "W Bank", role: Role.LeadBank, signer: lead },
    { name: "Partner Bank 1", role: Role.PartnerBank, signer: p1 },
    { name: "Partner Bank 2", role: Role.PartnerBank, signer: p2 },
    { name: "Partner Bank 3", role: Role.PartnerBank, signer: p3 },
    { name: "Guangzhou Arbitration Commission", role: Role.Arbitrator, signer: arbitrator },
  ].map((f) => ({ ...f, encryptionKey: encryptionKeyFor(f.signer.address) }));
  const deployment = await deployColend(deployer, founders, { lending: { maxDrawdown: cny(30_000) } });
  const { book } = deployment;
  const leadNode = new LeadBankNode("W Bank", lead, book);
  const partners = [p1, p2, p3].map((s, i) => new PartnerBankNode(`Partner Bank ${i + 1}`, s, book));
  for (const bank of [leadNode, ...partners]) await bank.deposit(cny(1_000_000));
  await leadNode.connectBorrower(new BorrowerClient(borrower, book));
  const pseudonym = pseudonymOf(TEST_SECRET, DEMO_PEOPLE[0].idNumber);
  return { deployment, book, deployer, leadNode, partners, borrower, arbitrator, pseudonym };
}

/** The fixture's borrower whitelisted (score 820, 60,000 CNY asked) and holding 5,000 CNY, as a client. */
async function admittedBorrower(fx: Awaited<ReturnType<typeof colendFixture>>): Promise<BorrowerClient> {
  const { leadNode, partners, borrower, book, pseudonym } = fx;
  await leadNode.admit(
    { pseudonym, account: borrower.address, score: 820, onTimeMonths: 3, requestedLimit: cny(60_000) },
    partners,
  );
  await leadNode.deposit(cny(5_000), borrower.address);
  return new BorrowerClient(borrower, book);
}

describe("Lending clients over deployColend", function () {
  describe("deployment", function () {
    it("deploys the lending modules during genesis, enables them, and writes them to the address book", async function () {
      const { deployment, book } = await loadFixture(colendFixture);
      const { ledger, lending } = deployment;
      for (const key of ["token", "registry", "loanBook", "loanUse"] as const) expect(book[key], key).to.be.a("string");
      expect(await ledger.genesisAdmin()).to.equal(ethers.ZeroAddress);
      for (const m of [book.registry!, book.loanBook!, book.loanUse!]) expect(await ledger.isModule(m)).to.equal(true);
      expect(await lending!.registry.loanBook()).to.equal(book.loanBook);
      expect(await lending!.loanBook.loanUse()).to.equal(book.loanUse);
      expect((await lending!.loanBook.params()).maxDrawdown).to.equal(cny(30_000));
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "colend-")), "addresses.json");
      writeAddressBook(file, book);
      expect(readAddressBook(file)).to.deep.equal(book);
    });

    it("deploys the ledger alone when lending is switched off", async function () {
      const [deployer, a, b, c] = await ethers.getSigners();
      const founders = [a, b, c].map((s, i) => ({
        name: `Bank ${i}`,
        role: i === 0 ? Role.LeadBank : Role.PartnerBank,
        signer: s,
        encryptionKey: encryptionKeyFor(s.address),
      }));
      const { book, lending } = await deployColend(deployer, founders, { lending: false });
      expect(lending).to.equal(undefined);
      expect(book.loanBook).to.equal(undefined);
    });

    it("refuses to connect clients to an address book without the lending modules", async function () {
      const { book, leadNode } = await loadFixture(colendFixture);
      expect(() => new BorrowerClient(leadNode.signer, { ...book, loanBook: undefined })).to.throw(/no loanBook/);
    });
  });

  describe("the whole lifecycle", function () {
    it("admits, originates, funds, disburses, schedules, collects, classifies and pays everyone out", async function () {
      const { leadNode, partners, borrower, book, pseudonym } = await loadFixture(colendFixture);
      const admitted = await leadNode.admit(
        { pseudonym, account: borrower.address, score: 820, onTimeMonths: 3, requestedLimit: cny(60_000) },
        partners,
      );
      expect(admitted).to.deep.include({ limit: cny(60_000) });
      expect(admitted.record.endorsers).to.have.length(2);
      await leadNode.deposit(cny(5_000), borrower.address);

      const o = await leadNode.originate(
        { pseudonym, principal: cny(20_000), annualRateBps: 1_080, periods: 5, periodDays: 30 },
        partners,
      );
      expect(o.loanId).to.equal(1n);
      expect(o.borrower).to.equal(borrower.address);
      expect([o.leadAmount, o.partnersAmount]).to.deep.equal([cny(4_000), cny(16_000)]);
      expect(o.schedule).to.deep.equal(schedule(cny(20_000), 1_080, 5, 30));

      const f1 = await partners[0].commitFunding(o.loanId, cny(10_000));
      const f2 = await partners[1].commitFunding(o.loanId);
      expect([f1.remaining, f2.amount, f2.remaining]).to.deep.equal([cny(6_000), cny(6_000), 0n]);
      const d = await leadNode.disburse(o.loanId);
      expect([d.to, d.amount]).to.deep.equal([borrower.address, cny(20_000)]);

      const client = new BorrowerClient(borrower, book);
      const [mine] = await client.loans();
      expect(mine).to.deep.include({
        loanId: 1n,
        status: LoanStatus.Active,
        principal: cny(20_000),
        restricted: false,
      });
      const rows = await client.schedule(o.loanId);
      expect(rows.map((r) => [r.principal, r.interest])).to.deep.equal(
        o.schedule.map((r) => [r.principal, r.interest]),
      );
      expect(rows[0].dueDate).to.equal(d.firstDueDate);

      await time.increaseTo(d.firstDueDate + 3n * DAY);
      expect((await client.dues(o.loanId)).daysPastDue).to.equal(3n);
      expect(await leadNode.classify(o.loanId)).to.equal(LoanClass.SpecialMention);
      const paid = await client.payDue(o.loanId);
      expect(paid.allocation.overdueInterest).to.be.greaterThan(0n);
      expect(paid.allocation.surcharge).to.equal(paid.allocation.overdueInterest / 2n);
      expect((await client.dues(o.loanId)).daysPastDue).to.equal(0n);
      const early = await client.repay(o.loanId, cny(2_000));
      expect(early.allocation.prepaid).to.equal(cny(2_000));
      const off = await client.payOff(o.loanId);
      expect(off).to.deep.include({ settled: true, outstanding: 0n });

      const claimed = [];
      for (const bank of [leadNode, ...partners]) claimed.push(await bank.claim());
      const lent = [cny(4_000), cny(10_000), cny(6_000), 0n];
      const gains = claimed.map((c, i) => c - lent[i]);
      expect(gains[0] + gains[1] + gains[2]).to.be.greaterThan(0n);
      expect(gains[3]).to.equal(0n);
      for (const bank of [leadNode, ...partners]) {
        expect(await bank.position()).to.deep.equal({ escrow: 0n, outstanding: 0n, nonPerforming: 0n, claimable: 0n });
      }
      expect((await client.loans())[0].status).to.equal(LoanStatus.Repaid);
    });

    it("pays again after the loan book's allowance was lowered behind the client's back", async function () {
      // The clients remember an unlimited allowance instead of reading it before every payment; the
      // same key lowering it elsewhere must not leave them failing (a payment refused for want of
      // allowance is approved and sent once more), and the money moved is exactly what was asked.
      const fx = await loadFixture(colendFixture);
      const { leadNode, partners, borrower, pseudonym } = fx;
      const { lending } = leadNode;
      const client = await admittedBorrower(fx);
      const spender = await lending.loanBook.getAddress();
      const lowerAllowance = async (signer: Signer) =>
        (await lending.token.connect(signer).approve(spender, 0n)).wait();

      const first = await leadNode.originate(
        { pseudonym, principal: cny(1_000), annualRateBps: 1_080, periods: 5, periodDays: 30 },
        partners,
      );
      await partners[0].commitFunding(first.loanId);
      await leadNode.disburse(first.loanId);
      await client.repay(first.loanId, cny(100)); // the clients now remember an unlimited allowance

      for (const s of [leadNode.signer, partners[0].signer, borrower]) await lowerAllowance(s);
      const second = await leadNode.originate(
        { pseudonym, principal: cny(2_000), annualRateBps: 1_080, periods: 5, periodDays: 30 },
        partners,
      );
      expect(second.leadAmount).to.equal(cny(400));
      const before = await lending.token.balanceOf(partners[0].signer);
      const f = await partners[0].commitFunding(second.loanId);
      expect(f.amount).to.equal(cny(1_600));
      expect(before - (await lending.token.balanceOf(partners[0].signer))).to.equal(cny(1_600));
      const owed = (await client.dues(first.loanId)).outstanding;
      const paid = await client.repay(first.loanId, cny(50));
      const a = paid.allocation;
      expect(a.surcharge + a.overdueInterest + a.interest + a.principal + a.prepaid).to.equal(cny(50));
      expect((await client.dues(first.loanId)).outstanding).to.be.lessThan(owed);
      for (const s of [leadNode.signer, partners[0].signer, borrower]) {
        expect(await lending.token.allowance(s, spender)).to.equal(MaxUint256);
      }
    });

    it("does not retry a payment refused for anything but the allowance", async function () {
      const fx = await loadFixture(colendFixture);
      const { leadNode, borrower } = fx;
      const { lending } = leadNode;
      const client = await admittedBorrower(fx);
      const refusal = await client.repay(99n, cny(10)).then(
        () => "paid",
        (e: Error) => e.message,
      );
      expect(refusal).to.not.equal("paid");
      expect(refusal).to.not.match(/ERC20InsufficientAllowance/);
      expect(await lending.token.balanceOf(borrower)).to.equal(cny(5_000));
    });

    it("reports outside loans into the multi-head picture", async function () {
      const { leadNode, partners, pseudonym } = await loadFixture(colendFixture);
      const r = await partners[2].reportOutsideLoan(
        { pseudonym, institution: institutionId("Outside Bank A"), amount: cny(7_000), active: true },
        [leadNode, ...partners],
      );
      expect([r.institutions, r.exposure]).to.deep.equal([1n, cny(7_000)]);
      expect(r.record.kind).to.equal(Kind.OutsideLoan);
    });

    it("declines to admit a borrower the decision rule rejects", async function () {
      const { leadNode, partners, borrower, pseudonym } = await loadFixture(colendFixture);
      await expectRejection(
        leadNode.admit({ pseudonym, account: borrower.address, score: 300, requestedLimit: cny(1_000) }, partners),
        /credit declined/,
      );
    });
  });

  describe("partner checks", function () {
    async function loanProposal(
      fx: Awaited<ReturnType<typeof colendFixture>>,
      change: { doc?: Record<string, unknown>; attrs?: Record<string, unknown> } = {},
    ): Promise<Proposal> {
      const terms = {
        pseudonym: fx.pseudonym,
        principal: cny(10_000),
        annualRateBps: 1_200n,
        periods: 10n,
        periodDays: 30n,
        leadFundingBps: 2_000n,
        leadInterestBps: 3_000n,
        useCategory: ZERO_HASH,
      };
      const a = { ...terms, ...change.attrs } as typeof terms;
      return fx.leadNode.prepare({
        subject: Subject.loan(1n),
        kind: Kind.LoanContract,
        document: encodeDocument({
          type: "LoanContract",
          loanId: 1n,
          borrower: fx.borrower.address,
          ...terms,
          ...change.doc,
        }),
        attrs: loanContractAttrs(1n, fx.borrower.address, a),
      });
    }

    async function admittedColend() {
      const fx = await loadFixture(colendFixture);
      await fx.leadNode.admit(
        { pseudonym: fx.pseudonym, account: fx.borrower.address, score: 820, requestedLimit: cny(60_000) },
        fx.partners,
      );
      return fx;
    }

    it("endorses a loan contract that checks out", async function () {
      const fx = await loadFixture(admittedColend);
      const e = await fx.partners[0].review(await loanProposal(fx));
      expect(e.signer).to.equal(await fx.partners[0].address());
    });

    it("refuses a loan contract whose document differs from its attrs", async function () {
      const fx = await loadFixture(admittedColend);
      const p = await loanProposal(fx, { attrs: { principal: cny(11_000) } });
      await expectRejection(
        fx.partners[0].review(p),
        /document principal 1000000 != attrs 1100000/,
        EndorsementRefused,
      );
    });

    it("refuses terms outside the consortium's bounds", async function () {
      const fx = await loadFixture(admittedColend);
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ principal: cny(30_001) }, /principal 3000100 outside/],
        [{ periods: 12n }, /12 periods/],
        [{ annualRateBps: 2_500n }, /rate 2500 bps/],
        [{ leadFundingBps: 6_000n }, /lead funding share 6000 bps/],
        [{ leadInterestBps: 6_000n }, /lead interest share 6000 bps/],
      ];
      for (const [change, pattern] of cases) {
        const p = await loanProposal(fx, { doc: change, attrs: change });
        await expectRejection(fx.partners[1].review(p), pattern, EndorsementRefused);
      }
    });

    it("refuses a loan to a borrower who is not whitelisted", async function () {
      const fx = await loadFixture(colendFixture);
      await expectRejection(fx.partners[0].review(await loanProposal(fx)), /not whitelisted/, EndorsementRefused);
    });

    it("refuses to close an outside loan nobody reported", async function () {
      const fx = await loadFixture(colendFixture);
      const institution = institutionId("Nobody");
      const p = await fx.leadNode.prepare({
        subject: Subject.borrower(fx.pseudonym),
        kind: Kind.OutsideLoan,
        document: encodeDocument({
          type: "OutsideLoan",
          pseudonym: fx.pseudonym,
          institution,
          amount: 0n,
          active: false,
        }),
        attrs: outsideLoanAttrs(fx.pseudonym, institution, 0n, false),
      });
      await expectRejection(fx.partners[0].review(p), /not on record/, EndorsementRefused);
    });
  });
});

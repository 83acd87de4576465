import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress } from "ethers";
import { issuedAtFor } from "../helpers/consortium";
import { CreditRegistry__factory } from "../../typechain-types";
import { EndorsementRefused, collectEndorsements } from "../../clients/core/node";
import { Kind, Subject, ZERO_HASH, kindName } from "../../clients/core/types";
import {
  creditClosedAttrs,
  creditDecisionAttrs,
  cny,
  encodeDocument,
  institutionId,
  outsideLoanAttrs,
} from "../../clients/lending";
import {
  LendingFixture,
  admit,
  admittedFixture,
  chainKinds,
  chainOf,
  expectRejection,
  lendingFixture,
  loadCustomFixture,
  openLoan,
  pseudonym,
  rawSigned,
  standardTerms,
} from "./fixtures";

const bankA = institutionId("Outside Bank A");
const bankB = institutionId("Outside Lender B");

enum CreditState {
  None = 0,
  Active = 1,
  Closed = 2,
}

async function rawDecision(fx: LendingFixture, p: string, account: string, limit: bigint, proposer = fx.leadBank) {
  return rawSigned(fx, proposer, Subject.borrower(p), Kind.CreditDecision, creditDecisionAttrs(p, account, limit));
}

describe("CreditRegistry", function () {
  describe("whitelisting", function () {
    it("whitelists a borrower by an endorsed decision on its pseudonym's chain", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      const admitted = await fx.lead.admit(
        { pseudonym: p, account: fx.borrowers[0].address, score: 850, requestedLimit: cny(50_000) },
        fx.partnerNodes,
      );
      expect(admitted.limit).to.equal(cny(50_000));
      const line = await fx.registry.creditLine(p);
      expect(line.account).to.equal(fx.borrowers[0].address);
      expect(line.lead).to.equal(fx.leadBank.address);
      expect(line.limit).to.equal(cny(50_000));
      expect(line.state).to.equal(CreditState.Active);
      expect(await fx.registry.pseudonymOf(fx.borrowers[0].address)).to.equal(p);
      expect(await fx.registry.canBorrow(p)).to.equal(true);
      const chain = await chainOf(fx, Subject.borrower(p));
      expect(chain.map((e) => kindName(e.record.kind))).to.deep.equal(["CreditDecision"]);
      expect(chain[0].proposer).to.equal(fx.leadBank.address);
      expect(chain[0].endorsers).to.have.length(3);
    });

    it("emits CreditDecided with the limit", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(1);
      const { record, deadline, signatures } = await rawDecision(fx, p, fx.borrowers[1].address, cny(1_000));
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .whitelist(p, fx.borrowers[1].address, cny(1_000), record, issuedAtFor(deadline), deadline, signatures),
      )
        .to.emit(fx.registry, "CreditDecided")
        .withArgs(p, fx.borrowers[1].address, fx.leadBank.address, cny(1_000), 1n);
    });

    it("accepts limits exactly at both default bounds", async function () {
      const fx = await loadFixture(lendingFixture);
      expect(await fx.registry.limitBounds()).to.deep.equal([cny(500), cny(300_000)]);
      for (const [i, limit] of [cny(500), cny(300_000)].entries()) {
        const p = pseudonym(i);
        const r = await rawDecision(fx, p, fx.borrowers[i].address, limit);
        await fx.registry
          .connect(fx.leadBank)
          .whitelist(p, fx.borrowers[i].address, limit, r.record, r.issuedAt, r.deadline, r.signatures);
        expect((await fx.registry.creditLine(p)).limit).to.equal(limit);
      }
    });

    it("rejects limits outside the bounds", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      for (const limit of [cny(500) - 1n, cny(300_000) + 1n, 0n]) {
        const r = await rawDecision(fx, p, fx.borrowers[0].address, limit);
        await expect(
          fx.registry
            .connect(fx.leadBank)
            .whitelist(p, fx.borrowers[0].address, limit, r.record, r.issuedAt, r.deadline, r.signatures),
        )
          .to.be.revertedWithCustomError(fx.registry, "LimitOutOfBounds")
          .withArgs(limit, cny(500), cny(300_000));
      }
    });

    it("refuses a zero token or inconsistent limit bounds at deployment", async function () {
      const fx = await loadFixture(lendingFixture);
      const factory = new CreditRegistry__factory(fx.deployer);
      const [ledger, token] = [await fx.ledger.getAddress(), await fx.token.getAddress()];
      await expect(factory.deploy(ledger, ZeroAddress, 1n, 2n)).to.be.revertedWithCustomError(
        fx.registry,
        "ZeroAddress",
      );
      for (const [min, max] of [
        [0n, 10n],
        [11n, 10n],
        [1n, 2n ** 128n],
      ]) {
        await expect(factory.deploy(ledger, token, min, max))
          .to.be.revertedWithCustomError(fx.registry, "LimitOutOfBounds")
          .withArgs(min, 1n, max);
      }
    });

    it("applies the bounds configured at deployment", async function () {
      const fx = await loadCustomFixture({ params: { minCreditLimit: cny(1_000), maxCreditLimit: cny(3_000_000) } });
      expect(await fx.registry.limitBounds()).to.deep.equal([cny(1_000), cny(3_000_000)]);
      const p = pseudonym(0);
      const r = await rawDecision(fx, p, fx.borrowers[0].address, cny(3_000_000));
      await fx.registry
        .connect(fx.leadBank)
        .whitelist(p, fx.borrowers[0].address, cny(3_000_000), r.record, r.issuedAt, r.deadline, r.signatures);
      expect((await fx.registry.creditLine(p)).limit).to.equal(cny(3_000_000));
    });

    it("lets only a lead bank whitelist", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      for (const who of [fx.partners[0], fx.arbitrator, fx.outsider]) {
        const r = await rawDecision(fx, p, fx.borrowers[0].address, cny(1_000), fx.partners[0]);
        await expect(
          fx.registry
            .connect(who)
            .whitelist(p, fx.borrowers[0].address, cny(1_000), r.record, r.issuedAt, r.deadline, r.signatures),
        )
          .to.be.revertedWithCustomError(fx.registry, "WrongRole")
          .withArgs(who.address, 1);
      }
    });

    it("rejects a zero pseudonym, a zero account and a pseudonym already whitelisted", async function () {
      const fx = await loadFixture(admittedFixture);
      const r = await rawDecision(fx, ZERO_HASH, fx.borrowers[1].address, cny(1_000));
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .whitelist(ZERO_HASH, fx.borrowers[1].address, cny(1_000), r.record, r.issuedAt, r.deadline, r.signatures),
      ).to.be.revertedWithCustomError(fx.registry, "ZeroPseudonym");
      const p1 = pseudonym(1);
      const z = await rawDecision(fx, p1, ZeroAddress, cny(1_000));
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .whitelist(p1, ZeroAddress, cny(1_000), z.record, z.issuedAt, z.deadline, z.signatures),
      ).to.be.revertedWithCustomError(fx.registry, "ZeroAddress");
      const again = await rawDecision(fx, fx.pseudonym, fx.borrowers[1].address, cny(1_000));
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .whitelist(
            fx.pseudonym,
            fx.borrowers[1].address,
            cny(1_000),
            again.record,
            again.issuedAt,
            again.deadline,
            again.signatures,
          ),
      )
        .to.be.revertedWithCustomError(fx.registry, "AlreadyWhitelisted")
        .withArgs(fx.pseudonym);
    });

    it("rejects an account that belongs to another borrower or to a member", async function () {
      const fx = await loadFixture(admittedFixture);
      const p1 = pseudonym(1);
      for (const [account, owner] of [
        [fx.borrower.address, fx.pseudonym],
        [fx.partners[0].address, ZERO_HASH],
        [await fx.loanBook.getAddress(), ZERO_HASH],
      ]) {
        const r = await rawDecision(fx, p1, account, cny(1_000));
        await expect(
          fx.registry
            .connect(fx.leadBank)
            .whitelist(p1, account, cny(1_000), r.record, r.issuedAt, r.deadline, r.signatures),
        )
          .to.be.revertedWithCustomError(fx.registry, "AccountTaken")
          .withArgs(account, owner);
      }
    });

    it("rejects a decision whose attrs do not bind the arguments", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      const r = await rawDecision(fx, p, fx.borrowers[0].address, cny(1_000));
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .whitelist(p, fx.borrowers[0].address, cny(2_000), r.record, r.issuedAt, r.deadline, r.signatures),
      ).to.be.revertedWithCustomError(fx.registry, "AttrsMismatch");
    });

    it("rejects a record of another kind or on another subject", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      const attrs = creditDecisionAttrs(p, fx.borrowers[0].address, cny(1_000));
      const wrongKind = await rawSigned(fx, fx.leadBank, Subject.borrower(p), Kind.Note, attrs);
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .whitelist(
            p,
            fx.borrowers[0].address,
            cny(1_000),
            wrongKind.record,
            wrongKind.issuedAt,
            wrongKind.deadline,
            wrongKind.signatures,
          ),
      )
        .to.be.revertedWithCustomError(fx.registry, "RecordMismatch")
        .withArgs(Subject.borrower(p), Kind.CreditDecision, Subject.borrower(p), Kind.Note);
      const wrongSubject = await rawSigned(fx, fx.leadBank, Subject.borrower(pseudonym(1)), Kind.CreditDecision, attrs);
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .whitelist(
            p,
            fx.borrowers[0].address,
            cny(1_000),
            wrongSubject.record,
            wrongSubject.issuedAt,
            wrongSubject.deadline,
            wrongSubject.signatures,
          ),
      ).to.be.revertedWithCustomError(fx.registry, "RecordMismatch");
    });

    it("rejects a decision without a majority of endorsements", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      const r = await rawDecision(fx, p, fx.borrowers[0].address, cny(1_000));
      const two = r.signatures.slice(0, 2 + 2 * 64 * 2);
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .whitelist(p, fx.borrowers[0].address, cny(1_000), r.record, r.issuedAt, r.deadline, two),
      )
        .to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet")
        .withArgs(2, 3);
    });
  });

  describe("re-evaluation and closing", function () {
    it("re-evaluates a line with a new endorsed limit", async function () {
      const fx = await loadFixture(admittedFixture);
      await fx.lead.reevaluate(
        { pseudonym: fx.pseudonym, account: fx.borrower.address, score: 700, requestedLimit: cny(20_000) },
        fx.partnerNodes,
      );
      const line = await fx.registry.creditLine(fx.pseudonym);
      expect(line.limit).to.equal(cny(20_000));
      expect(line.decisionSeq).to.equal(2n);
      expect(await chainKinds(fx, Subject.borrower(fx.pseudonym))).to.deep.equal(["CreditDecision", "CreditDecision"]);
    });

    it("closes a line so the borrower can no longer draw down, and reopens it by re-evaluation", async function () {
      const fx = await loadFixture(admittedFixture);
      await fx.lead.closeLine(fx.pseudonym, "no longer qualifies", fx.partnerNodes);
      expect((await fx.registry.creditLine(fx.pseudonym)).state).to.equal(CreditState.Closed);
      expect(await fx.registry.canBorrow(fx.pseudonym)).to.equal(false);
      await fx.lead.reevaluate(
        { pseudonym: fx.pseudonym, account: fx.borrower.address, score: 800, requestedLimit: cny(5_000) },
        fx.partnerNodes,
      );
      expect((await fx.registry.creditLine(fx.pseudonym)).state).to.equal(CreditState.Active);
      expect(await fx.registry.canBorrow(fx.pseudonym)).to.equal(true);
    });

    it("emits CreditClosed and rejects closing a closed line", async function () {
      const fx = await loadFixture(admittedFixture);
      const attrs = creditClosedAttrs(fx.pseudonym);
      const r = await rawSigned(fx, fx.leadBank, Subject.borrower(fx.pseudonym), Kind.CreditClosed, attrs);
      await expect(fx.registry.connect(fx.leadBank).close(fx.pseudonym, r.record, r.issuedAt, r.deadline, r.signatures))
        .to.emit(fx.registry, "CreditClosed")
        .withArgs(fx.pseudonym, fx.leadBank.address, 2n);
      const again = await rawSigned(fx, fx.leadBank, Subject.borrower(fx.pseudonym), Kind.CreditClosed, attrs);
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .close(fx.pseudonym, again.record, again.issuedAt, again.deadline, again.signatures),
      )
        .to.be.revertedWithCustomError(fx.registry, "LineNotActive")
        .withArgs(fx.pseudonym);
    });

    it("lets only the lead bank holding the line re-evaluate or close it", async function () {
      const fx = await loadFixture(admittedFixture);
      const r = await rawDecision(fx, fx.pseudonym, fx.borrower.address, cny(1_000), fx.partners[0]);
      await expect(
        fx.registry
          .connect(fx.partners[0])
          .reevaluate(fx.pseudonym, cny(1_000), r.record, r.issuedAt, r.deadline, r.signatures),
      )
        .to.be.revertedWithCustomError(fx.registry, "NotLineHolder")
        .withArgs(fx.pseudonym, fx.leadBank.address);
      const c = await rawSigned(
        fx,
        fx.partners[0],
        Subject.borrower(fx.pseudonym),
        Kind.CreditClosed,
        creditClosedAttrs(fx.pseudonym),
      );
      await expect(
        fx.registry.connect(fx.partners[0]).close(fx.pseudonym, c.record, c.issuedAt, c.deadline, c.signatures),
      )
        .to.be.revertedWithCustomError(fx.registry, "NotLineHolder")
        .withArgs(fx.pseudonym, fx.leadBank.address);
    });

    it("rejects re-evaluating or closing an unknown borrower", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(2);
      const r = await rawDecision(fx, p, fx.borrowers[2].address, cny(1_000));
      await expect(
        fx.registry.connect(fx.leadBank).reevaluate(p, cny(1_000), r.record, r.issuedAt, r.deadline, r.signatures),
      )
        .to.be.revertedWithCustomError(fx.registry, "UnknownBorrower")
        .withArgs(p);
      const c = await rawSigned(fx, fx.leadBank, Subject.borrower(p), Kind.CreditClosed, creditClosedAttrs(p));
      await expect(fx.registry.connect(fx.leadBank).close(p, c.record, c.issuedAt, c.deadline, c.signatures))
        .to.be.revertedWithCustomError(fx.registry, "UnknownBorrower")
        .withArgs(p);
    });

    it("rejects a re-evaluation outside the limit bounds", async function () {
      const fx = await loadFixture(admittedFixture);
      const limit = cny(300_001);
      const r = await rawDecision(fx, fx.pseudonym, fx.borrower.address, limit);
      await expect(
        fx.registry
          .connect(fx.leadBank)
          .reevaluate(fx.pseudonym, limit, r.record, r.issuedAt, r.deadline, r.signatures),
      )
        .to.be.revertedWithCustomError(fx.registry, "LimitOutOfBounds")
        .withArgs(limit, cny(500), cny(300_000));
    });
  });

  describe("multi-head borrowing", function () {
    it("counts outside loans reported by any bank, with their exposure", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      const r1 = await fx.partnerNodes[0].reportOutsideLoan(
        { pseudonym: p, institution: bankA, amount: cny(8_000), active: true },
        [fx.lead, ...fx.partnerNodes],
      );
      expect([r1.institutions, r1.exposure]).to.deep.equal([1n, cny(8_000)]);
      const r2 = await fx.lead.reportOutsideLoan(
        { pseudonym: p, institution: bankB, amount: cny(2_000), active: true },
        fx.partnerNodes,
      );
      expect([r2.institutions, r2.exposure]).to.deep.equal([2n, cny(10_000)]);
      const r3 = await fx.lead.reportOutsideLoan(
        { pseudonym: p, institution: bankA, amount: cny(5_000), active: true },
        fx.partnerNodes,
      );
      expect([r3.institutions, r3.exposure]).to.deep.equal([2n, cny(7_000)]);
      const r4 = await fx.lead.reportOutsideLoan(
        { pseudonym: p, institution: bankB, amount: 0n, active: false },
        fx.partnerNodes,
      );
      expect([r4.institutions, r4.exposure]).to.deep.equal([1n, cny(5_000)]);
      const known = await fx.registry.outsideLoan(p, bankA);
      expect([known.amount, known.active, known.reporter]).to.deep.equal([cny(5_000), true, fx.leadBank.address]);
    });

    it("counts the consortium once per lead bank with an active loan, with its outstanding principal", async function () {
      const fx = await loadFixture(admittedFixture);
      await fx.lead.reportOutsideLoan(
        { pseudonym: fx.pseudonym, institution: bankA, amount: cny(3_000), active: true },
        fx.partnerNodes,
      );
      await openLoan(fx, standardTerms(fx.pseudonym, { principal: cny(10_000) }));
      await openLoan(fx, standardTerms(fx.pseudonym, { principal: cny(6_000) }));
      const m = await fx.registry.multiHead(fx.pseudonym);
      expect(m.consortiumLenders).to.equal(1n);
      expect(m.consortiumExposure).to.equal(cny(16_000));
      expect(m.outsideInstitutions).to.equal(1n);
      expect(m.institutions).to.equal(2n);
      expect(m.exposure).to.equal(cny(19_000));
    });

    it("rejects inconsistent outside-loan reports", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      const cases: [string, bigint, boolean][] = [
        [ZERO_HASH, cny(1), true],
        [bankA, 0n, true],
        [bankA, cny(1), false],
        [bankA, 0n, false],
      ];
      for (const [institution, amount, active] of cases) {
        const r = await rawSigned(
          fx,
          fx.leadBank,
          Subject.borrower(p),
          Kind.OutsideLoan,
          outsideLoanAttrs(p, institution, amount, active),
        );
        await expect(
          fx.registry
            .connect(fx.leadBank)
            .reportOutsideLoan(p, institution, amount, active, r.record, r.issuedAt, r.deadline, r.signatures),
        )
          .to.be.revertedWithCustomError(fx.registry, "InvalidOutsideLoan")
          .withArgs(institution, amount, active);
      }
    });

    it("lets only a bank report outside loans", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = pseudonym(0);
      const r = await rawSigned(
        fx,
        fx.leadBank,
        Subject.borrower(p),
        Kind.OutsideLoan,
        outsideLoanAttrs(p, bankA, 1n, true),
      );
      for (const who of [fx.arbitrator, fx.outsider]) {
        await expect(
          fx.registry
            .connect(who)
            .reportOutsideLoan(p, bankA, 1n, true, r.record, r.issuedAt, r.deadline, r.signatures),
        )
          .to.be.revertedWithCustomError(fx.registry, "NotBank")
          .withArgs(who.address);
      }
    });
  });

  describe("delinquency list and wiring", function () {
    it("lets only the loan book list a borrower", async function () {
      const fx = await loadFixture(admittedFixture);
      await expect(fx.registry.connect(fx.leadBank).listDelinquent(fx.pseudonym, 1n, fx.leadBank.address))
        .to.be.revertedWithCustomError(fx.registry, "NotLoanBook")
        .withArgs(fx.leadBank.address);
    });

    it("binds the loan book once, only by the genesis administrator before sealing", async function () {
      const fx = await loadFixture(lendingFixture);
      expect(await fx.registry.loanBook()).to.equal(await fx.loanBook.getAddress());
      await expect(fx.registry.connect(fx.deployer).bindLoanBook(fx.outsider.address))
        .to.be.revertedWithCustomError(fx.registry, "NotGenesisAdmin")
        .withArgs(fx.deployer.address);
    });
  });

  describe("partner banks check decisions before endorsing", function () {
    async function proposal(fx: LendingFixture, limit: bigint, inputs: Record<string, unknown>, attrsLimit = limit) {
      const p = pseudonym(1);
      return fx.lead.prepare({
        subject: Subject.borrower(p),
        kind: Kind.CreditDecision,
        document: encodeDocument({
          type: "CreditDecision",
          pseudonym: p,
          account: fx.borrowers[1].address,
          limit,
          inputs: {
            score: 850,
            onTimeMonths: 0,
            multiHeadCount: 0,
            outsideExposure: 0n,
            consortiumExposure: 0n,
            delinquent: false,
            ...inputs,
          },
        }),
        attrs: creditDecisionAttrs(p, fx.borrowers[1].address, attrsLimit),
      });
    }

    it("endorses a decision the rule supports", async function () {
      const fx = await loadFixture(lendingFixture);
      const got = await collectEndorsements(await proposal(fx, cny(50_000), {}), fx.partnerNodes, 3);
      expect(got.endorsers).to.have.length(3);
    });

    it("refuses a limit above what the decision rule allows", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = await proposal(fx, cny(300_000), { score: 650 });
      await expectRejection(fx.partnerNodes[0].review(p), /decision rule allows/, EndorsementRefused);
    });

    it("refuses a decision whose multi-head inputs differ from the registry", async function () {
      const fx = await loadFixture(lendingFixture);
      await fx.lead.reportOutsideLoan(
        { pseudonym: pseudonym(1), institution: bankA, amount: cny(9_000), active: true },
        fx.partnerNodes,
      );
      const p = await proposal(fx, cny(10_000), {});
      await expectRejection(fx.partnerNodes[0].review(p), /multi-head count/, EndorsementRefused);
    });

    it("refuses a decision whose document says another limit than the attrs", async function () {
      const fx = await loadFixture(lendingFixture);
      const p = await proposal(fx, cny(10_000), {}, cny(20_000));
      await expectRejection(fx.partnerNodes[0].review(p), /document limit/, EndorsementRefused);
    });

    it("declines an admission the decision rule rejects before asking anyone", async function () {
      const fx = await loadFixture(admittedFixture);
      const attempt = fx.lead.admit(
        { pseudonym: pseudonym(1), account: fx.borrowers[1].address, score: 500, requestedLimit: cny(1_000) },
        fx.partnerNodes,
      );
      await expectRejection(attempt, /credit declined: .*score 500 below 600/);
      expect(await fx.registry.canBorrow(pseudonym(1))).to.equal(false);
      await admit(fx, 2);
      expect(await fx.registry.canBorrow(pseudonym(2))).to.equal(true);
    });
  });
});

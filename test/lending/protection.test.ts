/**
 * Dynamic transaction protection (issue 10, DOMAIN.md "During the loan"): a drawdown from the
 * borrower's usual device, place and phone passes; a small deviation needs the one-time code sent
 * to the registered phone; a large one a biometric check. The outcome's hash is in the
 * disbursement record's document (kept in the lead's store, covered by the record's content
 * hash). A failed check disburses nothing and records nothing.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes } from "ethers";
import { contentHash } from "../../clients/core/records";
import { Kind, LoanStatus, Subject } from "../../clients/core/types";
import {
  BiometricService,
  DrawdownContext,
  DrawdownGuard,
  DrawdownResponder,
  ProtectionFailed,
  SmsGateway,
  contextPseudonyms,
  decodeDocument,
  protectionHash,
  protectionTier,
} from "../../clients/lending";
import { DocumentStore } from "../../clients/store";
import { TEST_SECRET, admittedFixture, chainKinds, expectRejection, openLoan, standardTerms } from "./fixtures";

const USUAL: DrawdownContext = { device: "phone-model-A/imei-1234", place: "Guangzhou", phone: "+86 138 0000 0001" };

/** The SMS gateway and the borrower's phone: codes sent to a phone pseudonym land in its inbox. */
class FakeSms implements SmsGateway {
  readonly inbox = new Map<string, string[]>();
  async send(phone: string, text: string): Promise<void> {
    this.inbox.set(phone, [...(this.inbox.get(phone) ?? []), text]);
  }
  lastCode(phone: string): string | undefined {
    return /is (\d{6})/.exec(this.inbox.get(phone)?.at(-1) ?? "")?.[1];
  }
}

/** Face recognition against the template enrolled for each pseudonym (a keyed hash of the sample). */
class FakeBiometrics implements BiometricService {
  readonly enrolled = new Map<string, string>();
  async matches(pseudonym: string, sample: Uint8Array): Promise<boolean> {
    return this.enrolled.get(pseudonym) === keccak256(sample);
  }
}

async function guardFixture() {
  const fx = await admittedFixture();
  const store = DocumentStore.open(":memory:", "0x" + "71".repeat(32));
  const sms = new FakeSms();
  const biometrics = new FakeBiometrics();
  biometrics.enrolled.set(fx.pseudonym, keccak256(toUtf8Bytes("face of borrower 0")));
  const guard = new DrawdownGuard(fx.lead, { secret: TEST_SECRET, store, sms, biometrics });
  guard.enroll(fx.pseudonym, USUAL);
  const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym), false);
  const registeredPhone = contextPseudonyms(TEST_SECRET, USUAL).phone;
  /** The borrower's app: reads the code off its registered phone, or types `code`; shows `face`. */
  const app = (o: { code?: string | null; face?: string | null } = {}): DrawdownResponder => ({
    oneTimeCode: async () => (o.code === null ? undefined : (o.code ?? sms.lastCode(registeredPhone))),
    biometricSample: async () => (o.face === null ? undefined : toUtf8Bytes(o.face ?? "face of borrower 0")),
  });
  return { ...fx, store, sms, biometrics, guard, loanId, app, registeredPhone };
}

type G = Awaited<ReturnType<typeof guardFixture>>;

/** Nothing moved: the loan waits for disbursement, the borrower has no more money, no record was added. */
async function expectNothingChanged(g: G, before: { balance: bigint; kinds: string[] }) {
  expect(Number((await g.loanBook.loanInfo(g.loanId)).status)).to.equal(LoanStatus.Funding);
  expect(await g.token.balanceOf(g.borrower.address)).to.equal(before.balance);
  expect(await chainKinds(g, Subject.loan(g.loanId))).to.deep.equal(before.kinds);
}

async function snapshot(g: G) {
  return { balance: await g.token.balanceOf(g.borrower.address), kinds: await chainKinds(g, Subject.loan(g.loanId)) };
}

describe("Dynamic transaction protection of drawdowns", function () {
  describe("tiers", function () {
    const usual = contextPseudonyms(TEST_SECRET, USUAL);
    const seen = (c: Partial<DrawdownContext>) => contextPseudonyms(TEST_SECRET, { ...USUAL, ...c });

    it("no deviation needs no check; a new device or place a one-time code; a new phone or two changes a biometric check", function () {
      expect(protectionTier(usual, seen({}))).to.include({ tier: "none", score: 0 });
      expect(protectionTier(usual, seen({ device: "new tablet" })).tier).to.equal("one-time code");
      expect(protectionTier(usual, seen({ place: "Shenzhen" })).deviations).to.deep.equal(["place"]);
      expect(protectionTier(usual, seen({ phone: "+86 139 0000 0002" })).tier).to.equal("biometric");
      expect(protectionTier(usual, seen({ device: "new tablet", place: "Shenzhen" })).tier).to.equal("biometric");
    });

    it("compares keyed pseudonyms, never the values in clear", function () {
      const p = seen({});
      for (const v of Object.values(USUAL)) expect(JSON.stringify(p)).not.to.contain(v);
      // Another consortium secret gives other pseudonyms: the values cannot be guessed by hashing.
      expect(contextPseudonyms("0x" + "aa".repeat(32), USUAL).phone).not.to.equal(p.phone);
    });

    it("refuses a drawdown that does not say where it comes from", function () {
      expect(() => contextPseudonyms(TEST_SECRET, { ...USUAL, place: " " })).to.throw(ProtectionFailed, "no place");
    });
  });

  it("a drawdown from the usual device, place and phone is disbursed, and its record carries the outcome", async function () {
    const g = await loadFixture(guardFixture);
    g.sms.inbox.clear();
    const d = await g.guard.disburse(g.loanId, USUAL, g.app(), g.partnerNodes);
    expect(d.outcome.tier).to.equal("none");
    expect(d.outcome.deviations).to.deep.equal([]);
    expect(g.sms.inbox.size).to.equal(0);
    expect(Number((await g.loanBook.loanInfo(g.loanId)).status)).to.equal(LoanStatus.Active);
    // The receipt record's content hash covers the document, which binds the outcome by its hash.
    const kinds = await chainKinds(g, Subject.loan(g.loanId));
    expect(kinds.slice(-2)).to.deep.equal(["LoanDisbursed", "DisbursementReceipt"]);
    const stored = g.store.get(d.record.contentHash)!;
    expect(contentHash(stored.document, stored.salt)).to.equal(d.record.contentHash);
    const doc = decodeDocument(stored.document, "DisbursementReceipt");
    expect(doc.protectionHash).to.equal(protectionHash(d.outcome));
    expect(doc.amount).to.equal(d.amount.toString());
    expect(JSON.stringify(doc)).not.to.contain(USUAL.phone);
    expect(d.record.endorsers.length).to.be.greaterThan(0);
  });

  it("a new device needs the one-time code sent to the registered phone", async function () {
    const g = await loadFixture(guardFixture);
    g.sms.inbox.clear();
    const d = await g.guard.disburse(g.loanId, { ...USUAL, device: "new tablet" }, g.app(), g.partnerNodes);
    expect(d.outcome.tier).to.equal("one-time code");
    expect(d.outcome.deviations).to.deep.equal(["device"]);
    expect(g.sms.inbox.get(g.registeredPhone)).to.have.length(1);
    expect(Number((await g.loanBook.loanInfo(g.loanId)).status)).to.equal(LoanStatus.Active);
  });

  it("a new phone needs a biometric check; the code would go nowhere safe", async function () {
    const g = await loadFixture(guardFixture);
    g.sms.inbox.clear();
    const d = await g.guard.disburse(g.loanId, { ...USUAL, phone: "+86 139 9999 9999" }, g.app(), g.partnerNodes);
    expect(d.outcome.tier).to.equal("biometric");
    expect(d.outcome.deviations).to.deep.equal(["phone"]);
    expect(g.sms.inbox.size).to.equal(0);
  });

  describe("failures disburse nothing and record nothing", function () {
    const cases: [string, Partial<DrawdownContext>, { code?: string | null; face?: string | null }, RegExp][] = [
      ["a missing one-time code", { place: "Shenzhen" }, { code: null }, /no one-time code given/],
      ["a wrong one-time code", { place: "Shenzhen" }, { code: "000000x" }, /wrong one-time code/],
      ["a failed biometric check", { phone: "+86 139 9999 9999" }, { face: "someone else" }, /biometric check failed/],
      ["a missing biometric sample", { device: "x", place: "y" }, { face: null }, /no biometric sample/],
    ];
    for (const [what, change, answers, message] of cases) {
      it(`refuses ${what}`, async function () {
        const g = await loadFixture(guardFixture);
        const before = await snapshot(g);
        await expectRejection(
          g.guard.disburse(g.loanId, { ...USUAL, ...change }, g.app(answers), g.partnerNodes),
          message,
          ProtectionFailed,
        );
        await expectNothingChanged(g, before);
      });
    }

    it("refuses an expired one-time code", async function () {
      const g = await loadFixture(guardFixture);
      const before = await snapshot(g);
      const slow: DrawdownResponder = {
        oneTimeCode: async () => {
          await time.increase(301);
          return g.sms.lastCode(g.registeredPhone);
        },
        biometricSample: async () => undefined,
      };
      await expectRejection(
        g.guard.disburse(g.loanId, { ...USUAL, device: "new tablet" }, slow, g.partnerNodes),
        /expired/,
        ProtectionFailed,
      );
      await expectNothingChanged(g, before);
    });

    it("refuses a borrower with no usual values on file", async function () {
      const g = await loadFixture(guardFixture);
      const other = new DrawdownGuard(g.lead, {
        secret: TEST_SECRET,
        store: DocumentStore.open(":memory:", "0x" + "72".repeat(32)),
        sms: g.sms,
        biometrics: g.biometrics,
      });
      const before = await snapshot(g);
      await expectRejection(
        other.disburse(g.loanId, USUAL, g.app(), g.partnerNodes),
        /no usual device/,
        ProtectionFailed,
      );
      await expectNothingChanged(g, before);
    });

    it("refuses a second drawdown of a loan already disbursed", async function () {
      const g = await loadFixture(guardFixture);
      await g.guard.disburse(g.loanId, { ...USUAL, device: "new tablet" }, g.app(), g.partnerNodes);
      await expectRejection(
        g.guard.disburse(g.loanId, { ...USUAL, device: "new tablet" }, g.app(), g.partnerNodes),
        /not waiting for disbursement/,
        ProtectionFailed,
      );
    });
  });

  describe("the partners' check of the receipt", function () {
    async function proposeReceipt(g: G, protection: Record<string, unknown>, hash?: string) {
      await g.lead.disburse(g.loanId);
      const loan = await g.loanBook.loanInfo(g.loanId);
      const outcome = {
        loanId: g.loanId,
        pseudonym: g.pseudonym,
        seen: contextPseudonyms(TEST_SECRET, USUAL),
        deviations: [],
        tier: "none",
        result: "passed",
        at: 1n,
        ...protection,
      };
      const { encodeDocument } = await import("../../clients/lending");
      const p = await g.lead.prepare({
        subject: Subject.loan(g.loanId),
        kind: Kind.DisbursementReceipt,
        document: encodeDocument({
          type: "DisbursementReceipt",
          loanId: g.loanId,
          to: g.borrower.address,
          amount: loan.principal,
          protection: { type: "DrawdownProtection", ...outcome },
          protectionHash: hash ?? protectionHash(outcome as never),
        }),
      });
      return g.partnerNodes[0].review(p);
    }

    it("endorses a consistent receipt", async function () {
      const g = await loadFixture(guardFixture);
      await proposeReceipt(g, {});
    });

    it("refuses a receipt whose tier is weaker than its deviations call for", async function () {
      const g = await loadFixture(guardFixture);
      await expectRejection(proposeReceipt(g, { deviations: ["phone"], tier: "one-time code" }), /need biometric/);
    });

    it("refuses a receipt whose protection hash does not match its outcome", async function () {
      const g = await loadFixture(guardFixture);
      await expectRejection(proposeReceipt(g, {}, keccak256(toUtf8Bytes("other"))), /protection hash does not match/);
    });

    it("refuses a receipt for a drawdown that failed", async function () {
      const g = await loadFixture(guardFixture);
      await expectRejection(proposeReceipt(g, { result: "failed" }), /did not pass protection/);
    });
  });
});

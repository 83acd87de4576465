import { ethers } from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { EvidenceTestModule__factory } from "../../typechain-types";
import type { EvidenceLedger } from "../../typechain-types";
import type { IMembership } from "../../typechain-types/contracts/ledger/EvidenceLedger";
import { evidenceLedgerFactory } from "../../clients/deploy";
import { AddressBook } from "../../clients/core/addressBook";
import { LedgerNode, proposeAndCommit } from "../../clients/core/node";
import {
  contentHash,
  ledgerDomain,
  membershipChangeData,
  newSalt,
  packSignatures,
  signMembershipChange,
} from "../../clients/core/records";
import { Kind, MembershipAction, Role, Subject, ZERO_HASH } from "../../clients/core/types";
import { EvidenceBundle, serializeBundle } from "../../clients/evidence/bundle";
import { EXIT, main } from "../../clients/evidence/cli";
import { consortiumAnchorFromChain, parseConsortium, serializeConsortium } from "../../clients/evidence/consortium";
import { exportLoanBundle } from "../../clients/evidence/export";
import { buildSyntheticBundle } from "../../clients/evidence/synthetic";
import { VerifyReport, verifyBundle } from "../../clients/evidence/verify";
import { BundleReadError } from "../../clients/evidence/bundle";
import { exportedCaseFixture, expectRejected, tampered } from "./helpers";
import { LOAN_ID } from "./fixture";

const DAY = 86_400;
const keyOf = (i: number): string =>
  new Wallet(keccak256(toUtf8Bytes(`colend.trust.key.${i}`))).signingKey.compressedPublicKey;

/**
 * A consortium whose every membership change was signed by the banks:
 *   founders: W Bank (lead), Partners 1-4, an arbitrator; a test module enabled at genesis
 *   loan 1:  0 LoanContract (signed)
 *            -- epoch 0: Partner 5 admitted (signed by 3 of 5 banks) --
 *            1 Reminder (signed, Partner 5 among the endorsers)
 *            -- epoch 1: Partner 4 removed (signed by 4 of 6 banks) --
 *            2 Repayment (fact of the borrower)
 *            -- epoch 2: Partner 6 admitted (signed by 3 of 5 banks) --
 *            3 DefaultNotice (signed)
 */
async function signedConsortiumFixture() {
  const [deployer, leadBank, p1, p2, p3, p4, p5, p6, arbitrator, borrower] = await ethers.getSigners();
  const banks = [leadBank, p1, p2, p3, p4];
  const founders: IMembership.FounderStruct[] = [
    ...banks.map((s, i) => ({
      account: s.address,
      role: i === 0 ? Role.LeadBank : Role.PartnerBank,
      name: i === 0 ? "W Bank" : `Partner ${i}`,
      encryptionKey: keyOf(i),
    })),
    { account: arbitrator.address, role: Role.Arbitrator, name: "Guangzhou Arbitration", encryptionKey: keyOf(99) },
  ];
  const ledger: EvidenceLedger = await (await evidenceLedgerFactory(deployer)).deploy(founders);
  const deployBlock = (await ledger.deploymentTransaction()!.wait())!.blockNumber;
  const ledgerAddress = await ledger.getAddress();
  const module = await new EvidenceTestModule__factory(deployer).deploy(ledgerAddress);
  await (await ledger.setModuleAtGenesis(await module.getAddress(), true)).wait();
  await (await ledger.sealGenesis()).wait();
  const { chainId } = await ethers.provider.getNetwork();
  const book: AddressBook = {
    version: 1,
    chainId: chainId.toString(),
    deployBlock,
    ledger: ledgerAddress,
    court: await module.getAddress(),
    members: founders.map((f) => ({ name: f.name, role: Number(f.role), address: String(f.account) })),
  };
  const node = (s: HardhatEthersSigner, name: string) => new LedgerNode(name, s, book);
  const lead = node(leadBank, "W Bank");
  const loan = Subject.loan(LOAN_ID);
  const domain = ledgerDomain(chainId, ledgerAddress);

  /** A membership change signed by `signers` at the current epoch, executed by the lead. */
  const change = async (
    signers: HardhatEthersSigner[],
    input: { action: number; account: string; role: number; name: string; encryptionKey: string },
  ) => {
    const epoch = await ledger.membershipEpoch();
    const now = BigInt(await time.latest());
    const [issuedAt, deadline] = [now, now + 3_600n];
    const data = membershipChangeData(input.action, input.name, input.encryptionKey);
    const message = { action: input.action, account: input.account, role: input.role, data, epoch, issuedAt, deadline };
    const packed = packSignatures(await Promise.all(signers.map((s) => signMembershipChange(s, domain, message))));
    await (await ledger.connect(leadBank).executeChange(input, epoch, issuedAt, deadline, packed)).wait();
  };
  // The loan's records are the loan book's kinds: the module commits them with the lead as proposer.
  const signed = (peers: LedgerNode[], kind: string, body: string) =>
    proposeAndCommit(lead, peers, { subject: loan, kind, document: toUtf8Bytes(body) }, async (p, sigs) =>
      (await module.connect(leadBank).commitVia(p.record, p.issuedAt, p.deadline, sigs)).wait(),
    );

  await signed([node(p1, "P1"), node(p2, "P2"), node(p3, "P3")], Kind.LoanContract, "Loan contract 1");
  await time.increase(DAY);
  await change([leadBank, p1, p2], {
    action: MembershipAction.Admit,
    account: p5.address,
    role: Role.PartnerBank,
    name: "Partner 5",
    encryptionKey: keyOf(5),
  });
  await time.increase(DAY);
  await signed([node(p5, "P5"), node(p1, "P1"), node(p2, "P2")], Kind.Reminder, "Reminder 1");
  await change([leadBank, p1, p2, p5], {
    action: MembershipAction.Remove,
    account: p4.address,
    role: Role.None,
    name: "",
    encryptionKey: "0x",
  });
  await time.increase(DAY);
  const repayment = contentHash(toUtf8Bytes("Installment 1"), newSalt());
  await (await module.connect(borrower).reportFact(loan, Kind.Repayment, repayment, ZERO_HASH)).wait();
  await change([leadBank, p1, p3], {
    action: MembershipAction.Admit,
    account: p6.address,
    role: Role.PartnerBank,
    name: "Partner 6",
    encryptionKey: keyOf(6),
  });
  await time.increase(DAY);
  await signed([node(p1, "P1"), node(p3, "P3"), node(p6, "P6")], Kind.DefaultNotice, "Default notice");

  const bundle = await exportLoanBundle(ethers.provider, book, LOAN_ID);
  const anchor = await consortiumAnchorFromChain(ethers.provider, book);
  return { bundle, anchor, book, ledger, leadBank, p4, p5, p6 };
}

function unprovenMatching(report: VerifyReport, pattern: RegExp): string[] {
  return report.unproven.filter((u) => pattern.test(u));
}

describe("Offline proof from a trust anchor (the consortium file)", function () {
  describe("a consortium whose changes the banks signed", function () {
    it("proves membership and times offline: only the bundle's completeness is left unproven", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      expect(bundle.changes.map((c) => c.epoch)).to.deep.equal([0, 1, 2]);
      const report = await verifyBundle(bundle, { trust: anchor });
      expect(report.errors).to.deep.equal([]);
      expect(report.anchor).to.equal("trust-file");
      expect(report.unproven).to.have.length(1);
      expect(report.unproven[0]).to.match(/^completeness: that the bundle holds every record .* up to block \d+/);
      expect(report.status).to.equal("unproven");
      // Every record's time is bound by majority signatures, the fact's through its neighbours.
      for (const r of report.records) expect(r.time.proven, `record ${r.index}`).to.equal(true);
      const fact = report.records[2];
      expect(fact.attestation).to.equal("Fact");
      expect(fact.time.from).to.equal(Number(bundle.subjects[0].records[1].issuedAt));
      expect(fact.time.to).to.equal(Number(bundle.subjects[0].records[3].deadline));
      // Against the live chain, nothing is left unproven.
      const live = await verifyBundle(bundle, { trust: anchor, rpc: ethers.provider });
      expect(live.status).to.equal("verified");
    });

    it("says the anchor is the bundle's own word without --trust", async function () {
      const { bundle } = await loadFixture(signedConsortiumFixture);
      const report = await verifyBundle(bundle);
      expect(report.errors).to.deep.equal([]);
      expect(report.anchor).to.equal("bundle");
      expect(report.status).to.equal("unproven");
      expect(report.unproven[0]).to.match(
        /^consortium: the chain id, the ledger address and the founding members are the bundle's own word/,
      );
    });

    it("rejects a record moved back one day, and every record moved back a year", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      const oneDay = tampered(bundle, (b) => {
        b.subjects[0].records[1].timestamp -= DAY;
      });
      await expectRejected(
        oneDay,
        [/^loan record 1 \(Reminder\): its block time .* is before .*, the earliest time the endorsers/],
        {
          trust: anchor,
        },
      );
      const aYear = tampered(bundle, (b) => {
        for (const r of b.subjects[0].records) r.timestamp -= 365 * DAY;
        for (const c of b.changes) c.timestamp -= 365 * DAY;
        b.exportedAt.timestamp -= 365 * DAY;
      });
      const report = await expectRejected(
        aYear,
        [/^loan record 0 \(LoanContract\): its block time/, /^loan record 3 \(DefaultNotice\): its block time/],
        {
          trust: anchor,
        },
      );
      expect(
        report.errors.some((e) =>
          /membership\[\d+\] \(MemberAdmitted .*\): its block time .* is outside the window/.test(e),
        ),
      ).to.equal(true);
      // Without the anchor the signed issuedAt still gives the shift away.
      await expectRejected(oneDay, [
        /^loan record 1 \(Reminder\): signatures issued at \d+, after the record's block time/,
      ]);
    });

    it("rejects a renamed member and a founder's changed key", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      const renamed = tampered(bundle, (b) => {
        b.membership[2].name = "Partner 2 (Shenzhen)";
      });
      await expectRejected(
        renamed,
        [
          /^membership\[2\]: 0x[0-9a-fA-F]+ is named "Partner 2 \(Shenzhen\)" here but "Partner 2" in the consortium file \(renamed member\)/,
        ],
        {
          trust: anchor,
        },
      );
      const admittedRenamed = tampered(bundle, (b) => {
        b.membership[6].name = "Partner Five";
      });
      await expectRejected(
        admittedRenamed,
        [/^membership\[6\] \(MemberAdmitted .*\): its signers signed another name or encryption key/],
        {
          trust: anchor,
        },
      );
    });

    it("reports an admission nobody signed as unproven, and one signed by strangers as forged", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      const intruder = Wallet.createRandom();
      // The exporter drops the admission's signatures: unproven offline, and the records that
      // need Partner 5 no longer reach a proven quorum.
      const unsigned = tampered(bundle, (b) => {
        b.changes[0].signatures = "0x";
      });
      const report = await verifyBundle(unsigned, { trust: anchor });
      expect(report.errors).to.deep.equal([]);
      expect(
        unprovenMatching(
          report,
          /^membership\[6\] \(MemberAdmitted .*\): no signatures of the banks carry it: unproven offline/,
        ),
      ).to.have.length(1);
      expect(
        unprovenMatching(
          report,
          /^loan record 1 \(Reminder\): 2 of its endorsers are banks proven from the consortium file; it needs 3/,
        ),
      ).to.have.length(1);

      // A forged admission signed by keys of one's own fails.
      const forged = tampered(bundle, (b) => {
        const c = b.changes[0];
        c.signatures = "0x" + intruder.signingKey.sign(keccak256("0x01")).compactSerialized.slice(2);
      });
      await expectRejected(
        forged,
        [/^membership\[6\] \(MemberAdmitted .*\): signature 0 is not a bank's: 0x[0-9a-fA-F]+ was never a member/],
        {
          trust: anchor,
        },
      );
    });

    it("rejects a hidden removal offline by the gap in the signed epochs, and with --rpc", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      const hidden = tampered(bundle, (b) => {
        const i = b.membership.findIndex((m) => m.type === "MemberRemoved");
        b.membership.splice(i, 1);
        b.membership.forEach((m, k) => (m.seq = k + 1));
        b.changes.splice(1, 1);
      });
      await expectRejected(hidden, [/^changes\[1\]: epoch 2, expected 1: a membership change is missing/], {
        trust: anchor,
      });
      await expectRejected(hidden, [/^live chain: .*membership/], { trust: anchor, rpc: ethers.provider });
    });

    it("rejects a cut tail with --rpc and, offline, never calls it complete", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      const cut = tampered(bundle, (b) => {
        const chain = b.subjects[0];
        chain.records.pop();
        chain.head = chain.records[chain.records.length - 1].head;
      });
      const offline = await verifyBundle(cut, { trust: anchor });
      expect(offline.errors).to.deep.equal([]);
      expect(offline.status).to.equal("unproven");
      expect(unprovenMatching(offline, /^completeness:/)).to.have.length(1);
      await expectRejected(
        cut,
        [
          /^live chain: loan chain .*: the bundle leaves out 1 record\(s\) committed at or before its export block \d+: DefaultNotice \(block \d+\)/,
        ],
        { trust: anchor, rpc: ethers.provider },
      );
    });
  });

  describe("a forged consortium", function () {
    it("fails a bundle built from keys of one's own with the real chain id, ledger address and names", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      const forged = buildSyntheticBundle({
        records: 4,
        members: 5,
        seed: "forger",
        chainId: bundle.chainId,
        ledger: bundle.ledger,
        names: anchor.founders.filter((f) => f.role.id !== Role.Arbitrator).map((f) => f.name),
      }).bundle;
      // Consistent in itself: without the anchor it is not failed, but it is not verified either.
      const alone = await verifyBundle(forged);
      expect(alone.errors).to.deep.equal([]);
      expect(alone.status).to.equal("unproven");
      const report = await expectRejected(
        forged,
        [/^membership\[0\]: founder 1 is 0x[0-9a-fA-F]+ \(W Bank\) in the consortium file, not 0x/],
        {
          trust: anchor,
        },
      );
      expect(report.status).to.equal("failed");
    });

    it("fails a bundle of another chain or ledger than the consortium file", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      await expectRejected(bundle, [/^the bundle is for chain \d+, the consortium file for chain 1$/], {
        trust: { ...anchor, chainId: "1" },
      });
      await expectRejected(bundle, [/^the bundle's ledger .* is not the consortium's ledger 0x1111/], {
        trust: { ...anchor, ledger: "0x" + "11".repeat(20) },
      });
    });
  });

  describe("the award of a case raised by a forger", function () {
    it("fails with the trust anchor and with --rpc names an award after a moved export point", async function () {
      const { bundle, book } = await loadFixture(exportedCaseFixture);
      const anchor = await consortiumAnchorFromChain(ethers.provider, book);
      const raised = tampered(bundle, (b) => {
        b.case!.award!.amountOwed = "9423698";
      });
      await expectRejected(raised, [/the award's amount was altered/], { trust: anchor });

      // The exporter moves the export point before the award and leaves it out everywhere.
      const cut = tampered(bundle, (b) => {
        const [loan, kase] = b.subjects;
        const award = loan.records.pop()!;
        loan.head = loan.records[loan.records.length - 1].head;
        kase.records.pop();
        kase.head = kase.records[kase.records.length - 1].head;
        delete b.case!.award;
        b.documents = b.documents.filter((d) => d.contentHash !== award.contentHash);
        const before = [...loan.records, ...kase.records].reduce((x, r) => (r.blockNumber > x.blockNumber ? r : x));
        b.exportedAt = { blockNumber: before.blockNumber, blockHash: before.blockHash, timestamp: before.timestamp };
        expect(award.kind.name).to.equal("Award");
      });
      const offline = await verifyBundle(cut, { trust: anchor });
      expect(offline.errors).to.deep.equal([]);
      expect(offline.status).to.equal("unproven");
      const live = await verifyBundle(cut, { trust: anchor, rpc: ethers.provider });
      const later = Object.values(live.rpc!.laterRecords).flat();
      expect(later.map((x) => x.kind)).to.include("Award");
    });
  });

  describe("the consortium file", function () {
    it("round-trips and refuses a malformed file with one line", async function () {
      const { anchor } = await loadFixture(signedConsortiumFixture);
      expect(parseConsortium(serializeConsortium(anchor))).to.deep.equal(anchor);
      const bad: [unknown, RegExp][] = [
        [{ ...anchor, format: "x" }, /format is not "colend-consortium"/],
        [{ ...anchor, chainId: "0x1" }, /chainId is not a decimal string/],
        [{ ...anchor, founders: [] }, /founders must list 1 to 256 members/],
        [{ ...anchor, founders: [anchor.founders[0], anchor.founders[0]] }, /is listed twice/],
        [{ ...anchor, founders: [{ ...anchor.founders[0], encryptionKey: "0x04" }] }, /encryptionKey is not a 33-byte/],
      ];
      for (const [value, pattern] of bad)
        expect(() => parseConsortium(JSON.stringify(value))).to.throw(BundleReadError, pattern);
    });

    it("is what `colend verify --trust` reads: exit 3 while completeness is unproven, 1 for a forgery", async function () {
      const { bundle, anchor } = await loadFixture(signedConsortiumFixture);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-trust-"));
      try {
        const file = (name: string, text: string) => (
          fs.writeFileSync(path.join(dir, name), text),
          path.join(dir, name)
        );
        const trust = file("consortium.json", serializeConsortium(anchor));
        const good = file("loan.json", serializeBundle(bundle));
        const renamed = file(
          "renamed.json",
          serializeBundle(tampered(bundle, (b: EvidenceBundle) => void (b.membership[1].name = "Partner One"))),
        );
        let out = "";
        const io = { out: (t: string) => (out += t), err: (t: string) => (out += t) };
        expect(await main(["verify", good, "--trust", trust], io)).to.equal(EXIT.unproven);
        expect(out).to.include("consortium: from the trust file");
        expect(out).to.match(/^UNPROVEN: nothing in the 4 records failed/m);
        expect(out).to.match(/^\s+0\s+LoanContract\s+\d+\s+\S+\s+signed\s+signatures/m);
        out = "";
        expect(await main(["verify", renamed, "--trust", trust], io)).to.equal(EXIT.failed);
        expect(out).to.include("(renamed member)");
        out = "";
        expect(await main(["verify", good, "--trust", path.join(dir, "missing.json")], io)).to.equal(EXIT.usage);
        expect(out).to.match(/cannot read consortium file .*missing\.json: ENOENT/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

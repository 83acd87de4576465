import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, toUtf8Bytes } from "ethers";
import { evidenceLedgerFactory } from "../../clients/deploy";
import { proposeAndCommit } from "../../clients/core/node";
import { contentHash, newSalt } from "../../clients/core/records";
import { Kind, LoanStatus, Subject } from "../../clients/core/types";
import { DocumentStore, buildDisclosure } from "../../clients/store";
import {
  ArbitratorNode,
  CaseState,
  deployArbitration,
  discloseToArbitrator,
  fileStatement,
  installCaseReviewers,
  openCase,
  respondToCase,
} from "../../clients/arbitration";
import { LOAN, PERFORMING_LOAN, courtFixture, encryptionPrivateKey } from "./fixture";

const SECRET = hexlify(new Uint8Array(32).fill(3));

/** Asserts that `promise` rejects with a message matching `expected`. */
async function rejects(promise: Promise<unknown>, expected: string | RegExp): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, "expected a rejection").to.be.instanceOf(Error);
  const message = (error as Error).message;
  if (typeof expected === "string") expect(message).to.include(expected);
  else expect(message).to.match(expected);
}

/** Reviewing peers on top of the court fixture (chain state, reverted between tests). */
async function flowFixture() {
  const fx = await courtFixture();
  for (const p of fx.partnerNodes) installCaseReviewers(p);
  return fx;
}

/** The fixture plus fresh document stores (not chain state, so made anew per test) and arbitrator nodes. */
async function setup() {
  const fx = await loadFixture(flowFixture);
  const leadStore = DocumentStore.open(":memory:", SECRET);
  for (const r of fx.loanRecords) {
    leadStore.put({ subject: r.subject, kind: r.kind, document: r.document, salt: r.salt, meta: { tx: r.txHash } });
  }
  const arbitratorStore = DocumentStore.open(":memory:", SECRET);
  const arbitratorNode = new ArbitratorNode(
    "Guangzhou Arbitration Commission",
    fx.arbitrator,
    fx.book,
    arbitratorStore,
    encryptionPrivateKey(fx.arbitrator.address),
  );
  const otherNode = new ArbitratorNode(
    "Shenzhen Court of International Arbitration",
    fx.otherArbitrator,
    fx.book,
    DocumentStore.open(":memory:", SECRET),
    encryptionPrivateKey(fx.otherArbitrator.address),
  );
  return { ...fx, leadStore, arbitratorStore, arbitratorNode, otherNode };
}

type FlowFixture = Awaited<ReturnType<typeof setup>>;

async function fileDefaultCase(fx: FlowFixture) {
  return openCase({
    bank: fx.lead,
    peers: fx.partnerNodes,
    loanId: LOAN,
    arbitrator: fx.arbitrator.address,
    claim: toUtf8Bytes("claim: borrower owes 10,000 CNY principal plus overdue interest"),
    store: fx.leadStore,
  });
}

describe("Arbitration flow (clients)", function () {
  it("opens a case through peers' endorsements; only its arbitrator finds it assigned", async function () {
    const fx = await setup();
    const filed = await fileDefaultCase(fx);
    expect(filed.caseId).to.equal(1n);
    expect(filed.claim.endorsers).to.have.length(4);
    expect(fx.leadStore.has(filed.claim.contentHash)).to.equal(true);
    const assigned = await fx.arbitratorNode.assignedCases();
    expect(assigned).to.have.length(1);
    expect(assigned[0]).to.include({
      caseId: 1n,
      loanId: LOAN,
      claimant: fx.leadBank.address,
      state: CaseState.Open,
      frozenHead: filed.frozenHead,
      claimHash: filed.claim.contentHash,
    });
    expect(await fx.otherNode.assignedCases()).to.deep.equal([]);
  });

  it("is refused by peers who find no arrears on a loan whose status still says Defaulted", async function () {
    const fx = await setup();
    await fx.loanBook.setDaysPastDue(LOAN, 0n);
    await rejects(fileDefaultCase(fx), `loan ${LOAN} has no arrears (0 days past due)`);
    expect(await fx.court.nextCaseId()).to.equal(1n);
  });

  it("is refused by peers when the claim is on a performing loan", async function () {
    const fx = await setup();
    await rejects(
      openCase({
        bank: fx.lead,
        peers: fx.partnerNodes,
        loanId: PERFORMING_LOAN,
        arbitrator: fx.arbitrator.address,
        claim: toUtf8Bytes("claim on a performing loan"),
      }),
      /quorum not reached: 0 of 4 .*loan 2 is not in default/,
    );
  });

  it("is refused by peers when the claim names a bank as arbitrator", async function () {
    const fx = await setup();
    await rejects(
      openCase({
        bank: fx.lead,
        peers: fx.partnerNodes,
        loanId: LOAN,
        arbitrator: fx.partners[5].address,
        claim: toUtf8Bytes("claim"),
      }),
      /is not an arbitrator/,
    );
  });

  it("runs a case from claim to award with every document verified by the arbitrator", async function () {
    const fx = await setup();
    const filed = await fileDefaultCase(fx);
    const statement = await fileStatement({
      bank: fx.partnerNodes[0],
      peers: [fx.lead, ...fx.partnerNodes.slice(1)],
      caseId: filed.caseId,
      document: toUtf8Bytes("partner 0: our 20% share is unpaid since period 3"),
      store: fx.leadStore,
    });
    const response = await respondToCase({
      borrower: fx.borrower,
      court: fx.book.court!,
      caseId: filed.caseId,
      document: toUtf8Bytes("borrower: I dispute the surcharge"),
    });
    expect((await fx.court.caseInfo(filed.caseId)).state).to.equal(BigInt(CaseState.Open));

    const hashes = [...fx.loanRecords.map((r) => r.contentHash), filed.claim.contentHash, statement.contentHash];
    const disclosed = await discloseToArbitrator({
      bank: fx.lead,
      store: fx.leadStore,
      caseId: filed.caseId,
      contentHashes: hashes,
    });
    const review = await fx.arbitratorNode.receiveDisclosure(JSON.parse(JSON.stringify(disclosed.package)));
    expect(review.manifestHash).to.equal(disclosed.manifestHash);
    expect(review.documents.map((d) => [d.kindName, d.verified, d.problem])).to.deep.equal([
      ["LoanContract", true, undefined],
      ["DefaultNotice", true, undefined],
      ["CaseOpened", true, undefined],
      ["CaseStatement", true, undefined],
    ]);
    expect(review.verified).to.equal(true);
    expect(review.documents[0].index).to.equal(0);
    expect(new TextDecoder().decode(fx.arbitratorStore.require(hashes[0]).document)).to.equal(
      "loan contract: 10,000 CNY, 10 periods",
    );

    const award = await fx.arbitratorNode.issueAward(
      filed.caseId,
      toUtf8Bytes("award: the borrower owes 10,500 CNY"),
      10_500n,
    );
    const info = await fx.court.caseInfo(filed.caseId);
    expect(info.state).to.equal(BigInt(CaseState.Awarded));
    expect(info.awardHash).to.equal(award.awardHash);
    expect(contentHash(fx.arbitratorStore.require(award.awardHash).document, award.salt)).to.equal(award.awardHash);
    expect(await fx.loanBook.loanStatus(LOAN)).to.equal(LoanStatus.Awarded);
    expect(response.contentHash).to.not.equal(award.awardHash);
    await rejects(fx.arbitratorNode.issueAward(filed.caseId, toUtf8Bytes("again"), 1n), "case 1 is not open");
  });

  it("flags a disclosed loan record committed after the case was filed", async function () {
    const fx = await setup();
    const filed = await fileDefaultCase(fx);
    const document = toUtf8Bytes("repayment receipt dated before the default, entered afterwards");
    const late = await proposeAndCommit(fx.lead, fx.partnerNodes, {
      subject: Subject.loan(LOAN),
      kind: Kind.Note,
      document,
    });
    fx.leadStore.put({ subject: late.subject, kind: late.kind, document, salt: late.salt });
    const { package: pkg } = await discloseToArbitrator({
      bank: fx.lead,
      store: fx.leadStore,
      caseId: filed.caseId,
      contentHashes: [fx.loanRecords[0].contentHash, late.contentHash],
    });
    const review = await fx.arbitratorNode.receiveDisclosure(pkg);
    expect(review.verified).to.equal(false);
    expect(review.documents[0].verified).to.equal(true);
    expect(review.documents[1]).to.include({ verified: false, problem: "recorded after the case was filed", index: 2 });
  });

  it("flags a disclosed document that no record stands for", async function () {
    const fx = await setup();
    const filed = await fileDefaultCase(fx);
    const document = toUtf8Bytes("a contract nobody endorsed");
    const hash = fx.leadStore.put({ subject: Subject.loan(LOAN), kind: Kind.LoanContract, document, salt: newSalt() });
    const { package: pkg } = await discloseToArbitrator({
      bank: fx.lead,
      store: fx.leadStore,
      caseId: filed.caseId,
      contentHashes: [hash],
    });
    const review = await fx.arbitratorNode.receiveDisclosure(pkg);
    expect(review.documents[0]).to.include({
      verified: false,
      problem: "no record with this content hash on its subject's chain",
    });
  });

  it("keeps a disclosure from any arbitrator but the assigned one", async function () {
    const fx = await setup();
    const filed = await fileDefaultCase(fx);
    const { package: pkg } = await discloseToArbitrator({
      bank: fx.lead,
      store: fx.leadStore,
      caseId: filed.caseId,
      contentHashes: [fx.loanRecords[0].contentHash],
    });
    await rejects(fx.otherNode.receiveDisclosure(pkg), /is addressed to 0x[0-9a-fA-F]{40}, not/);
    await rejects(
      fx.otherNode.receiveDisclosure({ ...pkg, arbitrator: fx.otherArbitrator.address }),
      `case 1 is assigned to ${fx.arbitrator.address}`,
    );
  });

  it("rejects a package whose manifest the claimant never recorded", async function () {
    const fx = await setup();
    const filed = await fileDefaultCase(fx);
    const pkg = buildDisclosure({
      store: fx.leadStore,
      chainId: BigInt(fx.book.chainId),
      ledger: fx.book.ledger,
      court: fx.book.court!,
      caseId: filed.caseId,
      arbitrator: fx.arbitrator.address,
      recipientKey: await fx.ledger.encryptionKeyOf(fx.arbitrator.address),
      contentHashes: [fx.loanRecords[0].contentHash],
    });
    await rejects(fx.arbitratorNode.receiveDisclosure(pkg), "was never recorded on chain");
  });

  it("refuses to disclose for a bank that is not the claimant", async function () {
    const fx = await setup();
    const filed = await fileDefaultCase(fx);
    await rejects(
      discloseToArbitrator({
        bank: fx.partnerNodes[0],
        store: fx.leadStore,
        caseId: filed.caseId,
        contentHashes: [fx.loanRecords[0].contentHash],
      }),
      "only the claimant",
    );
  });

  it("refuses to act with an encryption key that is not the registered one", async function () {
    const fx = await setup();
    const wrong = new ArbitratorNode(
      "impostor",
      fx.arbitrator,
      fx.book,
      fx.arbitratorStore,
      encryptionPrivateKey(fx.outsider.address),
    );
    await rejects(wrong.checkEncryptionKey(), "does not match the registered key");
  });

  describe("deployArbitration", function () {
    it("skips binding a loan book that has no bindCourt", async function () {
      const fx = await setup();
      const ledger = await (
        await evidenceLedgerFactory(fx.deployer)
      ).deploy(
        await Promise.all(
          [fx.leadBank, ...fx.partners.slice(0, 2)].map(async (s, i) => ({
            account: s.address,
            role: i === 0 ? 1 : 2,
            name: `bank ${i}`,
            encryptionKey: await fx.ledger.encryptionKeyOf(s.address),
          })),
        ),
      );
      const notALoanBook = await fx.ledger.getAddress();
      const deployed = await deployArbitration(fx.deployer, ledger, notALoanBook);
      expect(deployed.boundToLoanBook).to.equal(false);
      expect(await ledger.isModule(deployed.address)).to.equal(true);
    });

    it("refuses once genesis is sealed, or without a loan book", async function () {
      const fx = await setup();
      await rejects(
        deployArbitration(fx.deployer, fx.ledger, await fx.loanBook.getAddress()),
        "is not the ledger's genesis administrator",
      );
      const ledger = await (
        await evidenceLedgerFactory(fx.deployer)
      ).deploy(
        await Promise.all(
          [fx.leadBank, ...fx.partners.slice(0, 2)].map(async (s, i) => ({
            account: s.address,
            role: i === 0 ? 1 : 2,
            name: `bank ${i}`,
            encryptionKey: await fx.ledger.encryptionKeyOf(s.address),
          })),
        ),
      );
      await rejects(deployArbitration(fx.deployer, ledger, fx.outsider.address), "no contract at loan book");
      expect(await ethers.provider.getCode(fx.outsider.address)).to.equal("0x");
    });
  });
});

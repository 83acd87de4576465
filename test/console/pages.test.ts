import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { RunningConsole, startConsole } from "../../clients/console/server";
import { BankDesk, storedDecisions } from "../../clients/console/adapter";
import { ethers } from "hardhat";
import { LoanClass, Subject } from "../../clients/core/types";
import { Outcome } from "../../clients/arbitration";
import { PartnerBankNode, cny } from "../../clients/lending";
import { REVIEWS_STATE, loadState, saveState } from "../../clients/network/runtime";
import { DocumentStore } from "../../clients/store";
import { EncryptedDocument, exportCaseBundle, serializeBundle, verifyBundle } from "../../clients/evidence";
import { ConsoleClient } from "./client";
import { CLAIMED, SUBSTANDARD_BPS, consoleFixture } from "./fixture";

/** What the pages show, checked against the chain, the verifier and the node. */
describe("console: what the pages show", function () {
  let consoles: RunningConsole[] = [];

  afterEach(async function () {
    await Promise.all(consoles.map((c) => c.close()));
    consoles = [];
  });

  async function signedIn(desk: Parameters<typeof startConsole>[0]["desk"]) {
    const c = await startConsole({ desk });
    consoles.push(c);
    const client = new ConsoleClient(c);
    await client.login();
    return client;
  }

  it("the case view is the verifier's verdict on the full disclosure's bundle, record by record", async function () {
    const f = await loadFixture(consoleFixture);
    const view = await f.arbitratorDesk.caseView(f.caseId);
    const { bundle, report } = await f.arbitratorDesk.evidence(f.caseId);
    // The same verdict as the offline verifier gives the downloaded bundle without the key:
    // everything but the sealed documents verifies there.
    const offline = await verifyBundle(JSON.parse(f.arbitratorDesk.bundleJson(bundle)));
    expect(offline.documents.sealed).to.equal(f.disclosed.length);
    expect(offline.ok, offline.errors.join("; ")).to.equal(true);
    expect(report.ok).to.equal(false);
    expect(view.report.errors).to.deep.equal(report.errors);
    // The bundle is the case's full disclosure as the demo and the arbitrator process export it
    // (exportCaseBundle): the loan's, the case's and the borrower's credit chain, the receipts of
    // the loan's facts and the borrower's assent.
    const expected = await exportCaseBundle(ethers.provider, f.fx.book, f.caseId, {
      documents: bundle.documents.map((d) => ({
        contentHash: d.contentHash,
        encrypted: (d as EncryptedDocument).encrypted,
      })),
      disclosures: bundle.disclosures,
      toBlock: bundle.exportedAt.blockNumber,
    });
    expect(serializeBundle(bundle)).to.equal(serializeBundle(expected));
    expect(bundle.subjects.map((s) => s.role)).to.deep.equal(["loan", "case", "subject"]);
    expect(bundle.assent?.borrower).to.equal(f.fx.borrowers[0].address);
    const loanChain = bundle.subjects.find((s) => s.role === "loan")!;
    const caseChain = bundle.subjects.find((s) => s.role === "case")!;
    const creditChain = bundle.subjects.find((s) => s.subject === Subject.borrower(f.pseudonym).toLowerCase())!;
    expect(view.timeline.length).to.equal(
      loanChain.records.length + caseChain.records.length + creditChain.records.length,
    );
    const failed = view.timeline.filter((r) => !r.ok);
    expect(failed.map((r) => r.kind)).to.deep.equal(["Reminder"]);
    expect(failed[0].reasons.join()).to.contain("does not hash to its content hash");
    // Only the doctored notice fails: the full disclosure is otherwise complete and verified.
    expect(
      report.errors.every((e) => /Reminder/.test(e)),
      report.errors.join("; "),
    ).to.equal(true);
    // The borrower's assent is shown for the loan contract only, as the verifier reports it: the
    // bundle carries the assent, and the verifier checked it.
    const withAssent = view.timeline.filter((r) => r.assent !== null);
    expect(withAssent.map((r) => r.kind)).to.deep.equal(["LoanContract"]);
    expect(withAssent[0].assent!.ok).to.equal(true);
    // The credit decision behind the loan, a record of the borrower's chain, with its document.
    const credit = view.timeline.filter((r) => r.chain === "borrower");
    expect(credit.length).to.equal(creditChain.records.length);
    expect(credit.every((r) => r.ok)).to.equal(true);
    expect(credit.filter((r) => r.kind === "CreditDecision").map((r) => r.document)).to.deep.equal(["verified"]);
    // Endorsers: the recovered signers of a signed record are members, never the proposer.
    const signed = view.timeline.find((r) => r.kind === "LoanContract")!;
    expect(signed.endorsers.length).to.equal(signed.signers);
    expect(signed.endorsers.map((e) => e.address)).not.to.include(signed.proposer);
    // The frozen head is the last loan record before the filing; nothing came after it.
    expect(view.frozenIndex).to.equal(loanChain.records.length - 1);
    expect(view.postFiling).to.equal(0);
    expect(view.claimed).to.equal(CLAIMED);
    // The computed amount is the arbitrator node's own reckoning (ArbitratorNode.assess) on the
    // documents it received: the verified contract replayed with the money library.
    const a = view.assessment;
    const review = await f.arbitratorDesk.node.receiveDisclosure(
      JSON.parse(fs.readFileSync(path.join(f.inbox, "1-full-disclosure.json"), "utf8")),
    );
    const direct = await f.arbitratorDesk.node.assess(review, CLAIMED);
    expect(a.supported).to.equal(direct.supported);
    expect(a.outcome).to.equal(Outcome.PartlyUpheld);
    expect(a.amountOwed).to.equal(a.supported);
    expect(a.supported).to.be.greaterThan(cny(12_000)).and.lessThan(CLAIMED);
    // Every disclosed document, in the order of the evidence, each at its record: the reminder
    // notice at the loan book's Reminder fact whose receipt binds its hash (the doctored one fails).
    expect(view.documents.map((d) => [d.kind, d.record?.chain, d.verified])).to.deep.equal([
      ["LoanContract", "loan 1", true],
      ["Reminder", "loan 1", false],
      ["DefaultNotice", "loan 1", true],
      ["CollectionStarted", "loan 1", true],
      ["CaseOpened", "case 1", true],
      ["CaseStatement", "case 1", true],
      ["CreditDecision", "borrower", true],
    ]);
    const notice = view.documents.find((d) => d.kind === "Reminder")!;
    expect(view.timeline.find((r) => r.chain === "loan 1" && r.index === notice.record!.index)!.kind).to.equal(
      "Reminder",
    );
    // Nothing disclosed is left out: the only package set aside is the doctored one, refused by the node.
    expect(view.ignoredPackages.map((p) => p.file)).to.deep.equal(["2-reminder.json"]);
  });

  it("the case page shows the credit decision and the reminder notice at their records, none ignored", async function () {
    const f = await loadFixture(consoleFixture);
    const me = await signedIn(f.arbitratorDesk);
    const page = await me.page(`/cases/${f.caseId}`);
    expect(page.body).to.contain(`Disclosed documents (${f.disclosed.length})`);
    const { bundle } = await f.arbitratorDesk.evidence(f.caseId);
    const credit = bundle.subjects.find((c) => c.role === "subject")!.records;
    expect(page.body).to.contain(
      `Borrower&#39;s credit chain (credit decisions and listings): ${credit.length} records`,
    );
    expect(page.body).to.match(
      /CreditDecision\s*<span class="dim">on the borrower&#39;s credit chain, record 0<\/span>/,
    );
    expect(page.body).to.match(/Reminder\s*<span class="dim">on loan 1, record \d+<\/span>/);
    expect(page.body).not.to.match(/Ignored: document 0x/);
  });

  it("a package whose manifest was never recorded on chain is ignored, and the page says why", async function () {
    const f = await loadFixture(consoleFixture);
    const genuine = JSON.parse(fs.readFileSync(path.join(f.inbox, "1-full-disclosure.json"), "utf8"));
    const injected = path.join(f.inbox, "3-injected.json");
    fs.writeFileSync(injected, JSON.stringify({ ...genuine, items: genuine.items.slice(1) }));
    fs.writeFileSync(path.join(f.inbox, "4-garbage.json"), "{ not json");
    try {
      const me = await signedIn(f.arbitratorDesk);
      await f.fx.lead.deposit(1n); // a new block: the desk rebuilds the page
      const page = await me.page(`/cases/${f.caseId}`);
      expect(page.body).to.contain("3-injected.json: refused by the arbitrator node: manifest");
      expect(page.body).to.contain("was never recorded on chain");
      expect(page.body).to.contain("4-garbage.json");
      expect(page.body).to.contain(`Disclosed documents (${f.disclosed.length})`);
    } finally {
      fs.rmSync(injected);
      fs.rmSync(path.join(f.inbox, "4-garbage.json"));
    }
  });

  it("a request for more disclosure is kept and listed on the case page", async function () {
    const f = await loadFixture(consoleFixture);
    const me = await signedIn(f.arbitratorDesk);
    await me.page(`/cases/${f.caseId}`);
    const r = await me.post(`/cases/${f.caseId}/disclosure-request`, { text: "The reminder notice <sent by SMS>" });
    expect(r.status).to.equal(303);
    const page = await me.page(`/cases/${f.caseId}`);
    expect(page.body).to.contain("Request for more disclosure recorded");
    expect(page.body).to.contain("The reminder notice &#60;sent by SMS&#62;");
    expect(page.body).not.to.contain("<sent by SMS>");
  });

  it("the bank's book agrees with the loan book's own accounting", async function () {
    const f = await loadFixture(consoleFixture);
    const now = await f.bankDesk.snapshot();
    const position = await f.claimant.position();
    expect(now.balance).to.equal(position.outstanding);
    expect(now.nonPerforming).to.equal(position.nonPerforming);
    expect(now.nplBps).to.equal(await f.fx.loanBook.lenderNplRatioBps(await f.claimant.address()));
    // Provisions at the consortium's rates, as the loan book states them (30% substandard here).
    const book = await f.fx.loanBook.provisionsOf(await f.claimant.address());
    const substandard = now.classes[LoanClass.Substandard];
    expect(substandard.loans).to.equal(1);
    expect(substandard.rateBps).to.equal(BigInt(SUBSTANDARD_BPS));
    expect(substandard.provision).to.equal((substandard.balance * BigInt(SUBSTANDARD_BPS)) / 10_000n);
    expect(now.classes.map((c) => c.balance)).to.deep.equal([...book.balance]);
    expect(now.classes.map((c) => c.provision)).to.deep.equal([...book.provision]);
    expect(now.provisions).to.equal(book.total);
    expect(now.coverageBps).to.equal(book.coverageBps);
    const me = await signedIn(f.bankDesk);
    expect((await me.page("/")).body).to.contain("substandard 30%");
    const history = await f.bankDesk.history();
    expect(history[0].balance).to.equal(0n);
    expect(history.map((h) => h.blockNumber)).to.deep.equal(
      [...history.map((h) => h.blockNumber)].sort((a, b) => a - b),
    );
    expect(history[history.length - 1]).to.deep.equal(now);
    const arrears = await f.bankDesk.arrears();
    expect(arrears.map((l) => l.loanId)).to.deep.equal([f.loanId]);
    expect(arrears[0].stage).to.equal("in arbitration");
  });

  it("the node's review log shows what it signed and what it refused, with the reason", async function () {
    const f = await loadFixture(consoleFixture);
    const log = f.claimant.reviewDecisions();
    const refused = log.filter((d) => !d.signed);
    expect(refused).to.have.length(1);
    expect(refused[0].reason).to.equal("OutsideLoan: an active loan with no amount");
    expect(f.refusal).to.contain(refused[0].reason);
    expect(log.filter((d) => d.signed).length).to.be.greaterThan(3);
    const me = await signedIn(f.bankDesk);
    const page = await me.page("/");
    expect(page.body).to.contain("OutsideLoan: an active loan with no amount");
    expect(page.body).to.contain(`Endorsement requests (${log.length})`);
  });

  it("a network-mode bank's console reads the decisions its node process keeps in its store", async function () {
    const f = await loadFixture(consoleFixture);
    const store = DocumentStore.open(":memory:", "0x" + "42".repeat(32));
    try {
      // What node-main does after each decision, and on a restart.
      saveState(store, REVIEWS_STATE, f.claimant.reviewDecisions());
      const fromStore = await new BankDesk(f.claimant, storedDecisions(store)).decisions();
      expect(fromStore).to.deep.equal(await f.bankDesk.decisions());
      expect(fromStore[0].signed).to.equal(false);
      const restarted = new PartnerBankNode("Partner 1", f.fx.partners[0], f.fx.book);
      restarted.restoreReviewDecisions(loadState(store, REVIEWS_STATE, []));
      expect(restarted.reviewDecisions()).to.deep.equal(f.claimant.reviewDecisions());
      expect(
        await new BankDesk(
          f.claimant,
          storedDecisions(DocumentStore.open(":memory:", "0x" + "43".repeat(32))),
        ).decisions(),
      ).to.deep.equal([]);
    } finally {
      store.close();
    }
  });
});

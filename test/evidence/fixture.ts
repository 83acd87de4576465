import { ethers } from "hardhat";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Wallet, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import type { ContractTransactionReceipt } from "ethers";
import { EvidenceTestModule__factory } from "../../typechain-types";
import { evidenceLedgerFactory } from "../../clients/deploy";
import type { EvidenceLedger, EvidenceTestModule } from "../../typechain-types";
import type { IMembership } from "../../typechain-types/contracts/ledger/EvidenceLedger";
import { AddressBook } from "../../clients/core/addressBook";
import { LedgerNode, Proposal, proposeAndCommit } from "../../clients/core/node";
import { contentHash, newSalt, packSignatures, recordHash, signEndorsement } from "../../clients/core/records";
import { Kind, MembershipAction, Role, Subject, ZERO_HASH } from "../../clients/core/types";
import { AttrsInput, BatchProofInput, DocumentInput, batchProofsFromTree } from "../../clients/evidence/export";
import { BATCH_LEAF_TYPES } from "../../clients/evidence/bundle";
import { issuedAtFor } from "../helpers/consortium";

export const LOAN_ID = 1n;
export const CASE_ID = 1n;
export const AWARD_OWED = 10_450n;

const text = (s: string): Uint8Array => toUtf8Bytes(s);

/**
 * A consortium of seven banks (a lead and six partners) plus an arbitrator, with a test module
 * standing in for the loan book and the court, and a loan whose evidence chain holds records of
 * every kind of attestation, a batch, a membership change and an arbitration case:
 *
 *   loan 1:  0 LoanContract      signed (one tx), partner 6 among the signers
 *            1 LoanFunded        fact (actor partner 1, via the module)
 *            2 DisbursementReceipt voted (propose + 4 endorse transactions)
 *            3 Repayment         fact (actor the borrower)
 *            -- partner 6 removed by a majority --
 *            4 Reminder          signed, committed through the module (commitFor)
 *            -- a batch of 4 repayment receipts (2 for loan 1, 2 for loan 2) --
 *            5 DefaultNotice     signed
 *            -- case 1 opened: loan head frozen here --
 *            6 Note              signed (post-filing)
 *            7 Award             fact by the arbitrator (post-filing)
 *   case 1:  0 CaseOpened, 1 CaseStatement (signed, via the court), 2 CaseResponse (borrower's fact), 3 Award
 */
export async function evidenceChainFixture() {
  const [deployer, leadBank, p1, p2, p3, p4, p5, p6, arbitrator, borrower, outsider] = await ethers.getSigners();
  const partners = [p1, p2, p3, p4, p5, p6];
  const banks = [leadBank, ...partners];
  const keyOf = (i: number): string =>
    new Wallet(keccak256(text(`colend.test.key.${i}`))).signingKey.compressedPublicKey;
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
  const deployReceipt = await ledger.deploymentTransaction()!.wait();
  const ledgerAddress = await ledger.getAddress();
  const module: EvidenceTestModule = await new EvidenceTestModule__factory(deployer).deploy(ledgerAddress);
  const moduleAddress = await module.getAddress();
  await (await ledger.setModuleAtGenesis(moduleAddress, true)).wait();
  await (await ledger.sealGenesis()).wait();

  const { chainId } = await ethers.provider.getNetwork();
  const book: AddressBook = {
    version: 1,
    chainId: chainId.toString(),
    deployBlock: deployReceipt!.blockNumber,
    ledger: ledgerAddress,
    court: moduleAddress,
    members: founders.map((f) => ({ name: f.name, role: Number(f.role), address: String(f.account) })),
  };
  const nodes = banks.map((s, i) => new LedgerNode(i === 0 ? "W Bank" : `Partner ${i}`, s, book));
  const lead = nodes[0];
  const loan = Subject.loan(LOAN_ID);
  const caseSubject = Subject.arbitrationCase(CASE_ID);

  const documents: DocumentInput[] = [];
  const attrs: AttrsInput[] = [];
  const keep = (document: Uint8Array, salt: Uint8Array, a?: { types: string[]; values: unknown[] }): string => {
    const h = contentHash(document, salt);
    documents.push({ salt, document, contentHash: h });
    if (a) attrs.push({ contentHash: h, ...a });
    return h;
  };
  const viaModule = (signer: HardhatEthersSigner) => async (p: Proposal, sigs: string) =>
    (await module.connect(signer).commitVia(p.record, p.issuedAt, p.deadline, sigs)).wait();
  const signed = async (
    subject: string,
    kind: string,
    body: string,
    opts: {
      peers?: LedgerNode[];
      attrs?: { types: string[]; values: unknown[] };
      submit?: (p: Proposal, sigs: string) => Promise<ContractTransactionReceipt | null>;
    } = {},
  ) => {
    const document = text(body);
    const c = await proposeAndCommit(
      lead,
      opts.peers ?? nodes.slice(1),
      { subject, kind, document, attrs: opts.attrs },
      opts.submit,
    );
    keep(document, c.salt, opts.attrs);
    return c;
  };
  const fact = async (actor: HardhatEthersSigner, subject: string, kind: string, body: string) => {
    const document = text(body);
    const h = keep(document, newSalt());
    return (await module.connect(actor).reportFact(subject, kind, h, ZERO_HASH)).wait();
  };

  // 0: the loan contract, endorsed by partners 6, 5, 4, 3 (partner 6 is removed later), committed
  // through the module as the loan book does (the ledger takes a module's kinds from modules only).
  await signed(loan, Kind.LoanContract, "Loan contract 1: 10,000.00 CNY, 10 monthly installments, 6.5% APR", {
    peers: [...nodes.slice(1)].reverse(),
    attrs: { types: ["uint256", "uint8", "uint16"], values: [1_000_000n, 10, 650] },
    submit: viaModule(leadBank),
  });
  // 1: partner 1 funds its share (a fact reported by the loan book).
  await fact(p1, loan, Kind.LoanFunded, "Partner 1 funds 8,000.00 CNY of loan 1");
  // 2: the disbursement receipt, on the voting path (LoanDisbursed itself is the loan book's fact).
  const proposal = await lead.prepare({
    subject: loan,
    kind: Kind.DisbursementReceipt,
    document: text("Disbursed 10,000.00 CNY"),
  });
  keep(proposal.document, proposal.salt);
  await (await ledger.connect(leadBank).propose(proposal.record, proposal.deadline)).wait();
  const proposalId = recordHash(proposal.record, leadBank.address);
  for (const voter of [p1, p2, p3, p4]) await (await ledger.connect(voter).endorse(proposalId)).wait();
  // 3: the borrower repays the first installment.
  await fact(borrower, loan, Kind.Repayment, "Installment 1 of loan 1: 1,045.00 CNY");

  // Partner 6 leaves the consortium: proposed by the lead, approved by partners 1-3 (4 of 7).
  await (await ledger.connect(leadBank).proposeChange(MembershipAction.Remove, p6.address, Role.None, "", "0x")).wait();
  const changeId = await ledger.changeCount();
  for (const voter of [p1, p2, p3]) await (await ledger.connect(voter).voteChange(changeId, true)).wait();
  const removalBlock = await ethers.provider.getBlockNumber();
  const activePeers = nodes.slice(1, 6);

  // 4: a reminder, committed through the module on the lead's behalf.
  await signed(loan, Kind.Reminder, "Reminder: installment 2 of loan 1 is overdue", {
    peers: activePeers,
    submit: viaModule(leadBank),
  });

  // A batch of repayment receipts: two for loan 1, two for loan 2.
  const leafDocs = ["receipt 2 of loan 1", "receipt 3 of loan 1", "receipt 1 of loan 2", "receipt 2 of loan 2"];
  const leaves = leafDocs.map((body, i) => {
    const document = text(body);
    const salt = newSalt();
    const h = contentHash(document, salt);
    if (i < 2) documents.push({ salt, document, contentHash: h });
    const subject = i < 2 ? loan : Subject.loan(2);
    return [subject, Kind.RepaymentReceipt, h, ZERO_HASH];
  });
  const tree = StandardMerkleTree.of(leaves, [...BATCH_LEAF_TYPES]);
  const batchSubject = Subject.batch(leadBank.address, "2025-01-02");
  const batchDeadline = (await lead.now()) + 3_600n;
  const batchMessage = {
    subject: batchSubject,
    kind: Kind.Batch,
    contentHash: tree.root,
    attrs: toBeHex(leaves.length, 32),
    prev: ZERO_HASH,
    proposer: leadBank.address,
    issuedAt: issuedAtFor(batchDeadline),
    deadline: batchDeadline,
  };
  const batchSigs = packSignatures(
    await Promise.all([p1, p2, p3].map((s) => signEndorsement(s, lead.domain(), batchMessage))),
  );
  await (
    await ledger
      .connect(leadBank)
      .commitBatch(
        batchSubject,
        tree.root,
        leaves.length,
        ZERO_HASH,
        issuedAtFor(batchDeadline),
        batchDeadline,
        batchSigs,
      )
  ).wait();
  const batchProofs: BatchProofInput[] = batchProofsFromTree(batchSubject, tree, [loan]);

  // 5: the default notice; then the case is filed on it.
  await signed(loan, Kind.DefaultNotice, "Loan 1 in default: installments 2-3 unpaid after reminder", {
    peers: activePeers,
    submit: viaModule(leadBank),
  });
  const frozenHead = await ledger.headOf(loan);
  await signed(caseSubject, Kind.CaseOpened, "Claim: borrower of loan 1 owes 10,450.00 CNY", {
    peers: activePeers,
    attrs: { types: ["uint256", "address", "bytes32"], values: [LOAN_ID, arbitrator.address, frozenHead] },
    submit: async (p, sigs) =>
      (
        await module.connect(leadBank).openCase(LOAN_ID, arbitrator.address, p.record, p.issuedAt, p.deadline, sigs)
      ).wait(),
  });
  // 6: a note added to the loan after the filing.
  await signed(loan, Kind.Note, "Note: borrower contacted by phone after filing", { peers: activePeers });
  await signed(caseSubject, Kind.CaseStatement, "Statement: repayment schedule and reminders attached", {
    peers: activePeers,
    submit: async (p, sigs) =>
      (await module.connect(leadBank).fileStatement(CASE_ID, p.record, p.issuedAt, p.deadline, sigs)).wait(),
  });
  const response = text("Response: the borrower disputes the surcharge");
  const responseHash = keep(response, newSalt());
  await (await module.connect(borrower).respond(CASE_ID, responseHash)).wait();
  const award = text("Award: the borrower owes 10,450.00 CNY");
  const awardHash = keep(award, newSalt());
  await (await module.connect(arbitrator).issueAward(CASE_ID, awardHash, 1n /* Upheld */, AWARD_OWED)).wait();

  return {
    ledger,
    module,
    book,
    nodes,
    deployer,
    leadBank,
    partners,
    arbitrator,
    borrower,
    outsider,
    loan,
    caseSubject,
    frozenHead,
    removalBlock,
    documents,
    attrs,
    batchProofs,
    batchSubject,
    tree,
  };
}

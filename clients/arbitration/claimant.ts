import type { ContractTransactionReceipt, ContractTransactionResponse, Signer } from "ethers";
import { getAddress } from "ethers";
import {
  ArbitrationCourt,
  ArbitrationCourt__factory,
  ILoanBook__factory,
  ILoanCourtHooks__factory,
} from "../../typechain-types";
import { Committed, Endorser, LedgerNode, Proposal, proposeAndCommit } from "../core/node";
import { contentHash, newSalt } from "../core/records";
import { Kind, LoanStatus, Role, Subject } from "../core/types";
import { DisclosurePackage, DocumentStore, buildDisclosure, manifestHash } from "../store";
import { CYCLE_LOAN_ID_BASE, CycleLoanEvidence, decodeCycleLoanState, isCycleDefault } from "../evidence/cycle";
import type { IArbitrationCourt } from "../../typechain-types";

/** ABI types of a claim's `attrs`: the loan, the arbitrator, and the loan's head at filing. */
export const CLAIM_ATTR_TYPES = ["uint256", "address", "bytes32"] as const;
/** ABI types of a statement's `attrs`: the case it is filed in (a client convention; peers check it). */
export const STATEMENT_ATTR_TYPES = ["uint256"] as const;

/** The court as `node` sees it (connected with its signer). */
export function courtOf(node: { signer: Signer; book: { court?: string } }, court?: string): ArbitrationCourt {
  const address = court ?? node.book.court;
  if (!address) throw new Error("the address book has no arbitration court: deploy it first");
  return ArbitrationCourt__factory.connect(address, node.signer);
}

/** A case as filed. */
export interface FiledCase {
  caseId: bigint;
  loanId: bigint;
  arbitrator: string;
  frozenHead: string;
  /** The claim record on the case chain. */
  claim: Committed;
}

/**
 * A lender opens a case on defaulted loan `loanId`, naming `arbitrator`. The claim document becomes
 * the first record of the case chain, endorsed by a quorum of `peers` and committed by the court.
 * The claim is kept in `store` when one is given.
 */
export async function openCase(args: {
  bank: LedgerNode;
  peers: readonly Endorser[];
  loanId: bigint;
  arbitrator: string;
  claim: Uint8Array;
  store?: DocumentStore;
  court?: string;
}): Promise<FiledCase> {
  const court = courtOf(args.bank, args.court);
  const frozenHead = await args.bank.ledger.headOf(Subject.loan(args.loanId));
  return fileClaim(args, court, args.loanId, frozenHead, (arbitrator, p, signatures) =>
    court.openCase(args.loanId, arbitrator, p.record, p.issuedAt, p.deadline, signatures),
  );
}

/**
 * The claim of a case on loan `loanId` with `frozenHead`, kept in the claimant's store, endorsed by
 * a quorum of the peers and committed by the court through `submit` (one of the court's openers).
 */
async function fileClaim(
  args: { bank: LedgerNode; peers: readonly Endorser[]; arbitrator: string; claim: Uint8Array; store?: DocumentStore },
  court: ArbitrationCourt,
  loanId: bigint,
  frozenHead: string,
  submit: (arbitrator: string, p: Proposal, signatures: string) => Promise<ContractTransactionResponse>,
): Promise<FiledCase> {
  const caseId = await court.nextCaseId();
  const arbitrator = getAddress(args.arbitrator);
  const record = {
    subject: Subject.arbitrationCase(caseId),
    kind: Kind.CaseOpened,
    document: args.claim,
    salt: newSalt(),
  };
  args.store?.put({ ...record, meta: { caseId, loanId, role: "claim" } });
  let receipt: ContractTransactionReceipt | null = null;
  const claim = await proposeAndCommit(
    args.bank,
    args.peers,
    { ...record, attrs: { types: CLAIM_ATTR_TYPES, values: [loanId, arbitrator, frozenHead] } },
    async (p: Proposal, signatures: string) => {
      receipt = await (await submit(arbitrator, p, signatures)).wait();
      return receipt;
    },
  );
  const opened = caseOpenedIn(court, receipt!);
  return { caseId: opened.caseId, loanId, arbitrator, frozenHead: opened.frozenHead, claim };
}

/**
 * The court's proof of a batched-path loan's default, from the loan's evidence of the cycle that
 * committed it (`cycleLoanEvidence`): its state words with the state leaf's proof, and the close
 * leaf with its proof into the committed root (docs/CYCLE.md, "Cases on the batched path").
 */
export function cycleDefaultProof(e: CycleLoanEvidence): IArbitrationCourt.CycleDefaultProofStruct {
  return {
    cycleSubject: e.cycleSubject,
    root: e.close.root,
    closeContent: e.close.leaf[2],
    closeProof: [...e.close.proof],
    stateRoot: e.close.leaf[3],
    stateProof: [...e.state.proof],
    state: [...e.state.words],
  };
}

/**
 * A lender opens a case on a defaulted loan of the batched path. The claim is endorsed as for
 * `openCase`; its frozen head is the committed cycle root that holds the default (`e.close.root`),
 * and the court checks the default from `e` (`cycleDefaultProof`).
 */
export async function openCycleCase(args: {
  bank: LedgerNode;
  peers: readonly Endorser[];
  /** The loan's evidence from the cycle whose committed state says it is in default. */
  evidence: CycleLoanEvidence;
  arbitrator: string;
  claim: Uint8Array;
  store?: DocumentStore;
  court?: string;
}): Promise<FiledCase> {
  const court = courtOf(args.bank, args.court);
  const loanId = args.evidence.loanId;
  if (!isCycleDefault(decodeCycleLoanState(args.evidence.state.words)))
    throw new Error(`loan ${loanId} is not in default in cycle ${args.evidence.cycleSubject}`);
  const proof = cycleDefaultProof(args.evidence);
  return fileClaim(args, court, loanId, args.evidence.close.root, (arbitrator, p, signatures) =>
    court.openCycleCase(proof, arbitrator, p.record, p.issuedAt, p.deadline, signatures),
  );
}

/** What a bank knows of its batched-path loans, to review a claim on one: its cycle book's view. */
export interface CycleLoanView {
  /** The loan's status (`LoanStatus` values) and funders in the bank's book, or undefined if unknown. */
  loan(loanId: bigint): { status: number; funders: readonly string[] } | undefined;
}

/** A lender of the loan files an endorsed statement or document on case `caseId`. */
export async function fileStatement(args: {
  bank: LedgerNode;
  peers: readonly Endorser[];
  caseId: bigint;
  document: Uint8Array;
  store?: DocumentStore;
  court?: string;
}): Promise<Committed> {
  const court = courtOf(args.bank, args.court);
  const record = { subject: Subject.arbitrationCase(args.caseId), kind: Kind.CaseStatement, document: args.document };
  const salt = newSalt();
  args.store?.put({ ...record, salt, meta: { caseId: args.caseId, role: "statement" } });
  return proposeAndCommit(
    args.bank,
    args.peers,
    { ...record, salt, attrs: { types: STATEMENT_ATTR_TYPES, values: [args.caseId] } },
    async (p: Proposal, signatures: string) =>
      (await court.fileStatement(args.caseId, p.record, p.issuedAt, p.deadline, signatures)).wait(),
  );
}

/** A disclosure as sent: the package (for the arbitrator only) and its on-chain commitment. */
export interface Disclosed {
  package: DisclosurePackage;
  manifestHash: string;
  txHash: string;
  gasUsed: bigint;
}

/**
 * The claimant discloses documents from its store to the case's arbitrator: each document's key is
 * wrapped to the arbitrator's registered encryption key, and the package's manifest hash is
 * recorded on the case chain. Send `package` to the arbitrator by any channel: it is unreadable to others.
 */
export async function discloseToArbitrator(args: {
  bank: LedgerNode;
  store: DocumentStore;
  caseId: bigint;
  contentHashes: readonly string[];
  court?: string;
}): Promise<Disclosed> {
  const court = courtOf(args.bank, args.court);
  const info = await court.caseInfo(args.caseId);
  if (info.state !== 1n) throw new Error(`case ${args.caseId} is not open`);
  const me = await args.bank.address();
  if (info.claimant.toLowerCase() !== me.toLowerCase()) {
    throw new Error(`only the claimant ${info.claimant} discloses evidence in case ${args.caseId}`);
  }
  const recipientKey = await args.bank.ledger.encryptionKeyOf(info.arbitrator);
  const pkg = buildDisclosure({
    store: args.store,
    chainId: BigInt(args.bank.book.chainId),
    ledger: args.bank.book.ledger,
    court: await court.getAddress(),
    caseId: args.caseId,
    arbitrator: info.arbitrator,
    recipientKey,
    contentHashes: args.contentHashes,
  });
  const hash = manifestHash(pkg);
  const receipt = await (await court.recordDisclosure(args.caseId, hash)).wait();
  return { package: pkg, manifestHash: hash, txHash: receipt!.hash, gasUsed: receipt!.gasUsed };
}

/** The borrower's response to a case, as recorded. */
export interface Response {
  contentHash: string;
  salt: Uint8Array;
  txHash: string;
  gasUsed: bigint;
}

/** The borrower of the case's loan responds; only the salted hash of its document goes on chain. */
export async function respondToCase(args: {
  borrower: Signer;
  court: string;
  caseId: bigint;
  document: Uint8Array;
  store?: DocumentStore;
}): Promise<Response> {
  const court = ArbitrationCourt__factory.connect(args.court, args.borrower);
  const salt = newSalt();
  const hash = contentHash(args.document, salt);
  args.store?.put({
    subject: Subject.arbitrationCase(args.caseId),
    kind: Kind.CaseResponse,
    document: args.document,
    salt,
    meta: { caseId: args.caseId, role: "response" },
  });
  const receipt = await (await court.respond(args.caseId, hash)).wait();
  return { contentHash: hash, salt, txHash: receipt!.hash, gasUsed: receipt!.gasUsed };
}

/**
 * Teaches a bank node to review case records before it endorses them: a claim must be on the next
 * case's subject, for a defaulted loan the proposer lent to, name an active arbitrator, and freeze
 * the loan head as it stands; a statement must name an open case of a loan the proposer lent to.
 * A claim on a batched-path loan is checked against the bank's own cycle book (`cycleLoans`): in
 * default there, funded by the proposer, and no case yet; without a book such a claim is refused.
 */
export function installCaseReviewers(node: LedgerNode, court?: string, cycleLoans?: CycleLoanView): LedgerNode {
  const courtAt = () => courtOf(node, court);
  const loanBookOf = async (c: ArbitrationCourt) => ILoanCourtHooks__factory.connect(await c.loanBook(), node.signer);
  node.onReview(Kind.CaseOpened, async (p) => {
    const c = courtAt();
    const [loanId, arbitrator, frozenHead] = attrValues(p, CLAIM_ATTR_TYPES) as [bigint, string, string];
    const caseId = await c.nextCaseId();
    if (p.record.subject !== Subject.arbitrationCase(caseId))
      throw new Error(`claim is not on the next case ${caseId}`);
    if (loanId >= CYCLE_LOAN_ID_BASE) {
      const loan = cycleLoans?.loan(loanId);
      if (!loan) throw new Error(`loan ${loanId} is not a batched-path loan this bank knows`);
      if (loan.status !== LoanStatus.Defaulted) throw new Error(`loan ${loanId} is not in default`);
      if (!loan.funders.some((f) => f.toLowerCase() === p.proposer.toLowerCase()))
        throw new Error(`${p.proposer} did not lend to loan ${loanId}`);
      if ((await c.cycleCaseOf(loanId)) !== 0n) throw new Error(`loan ${loanId} has a case already`);
      if (Number(await node.ledger.roleOf(arbitrator)) !== Role.Arbitrator)
        throw new Error(`${arbitrator} is not an arbitrator`);
      return;
    }
    const loanBook = await loanBookOf(c);
    if (Number(await loanBook.loanStatus(loanId)) !== LoanStatus.Defaulted)
      throw new Error(`loan ${loanId} is not in default`);
    // The reviewer checks the arrears itself, not only the status the lead bank set.
    const dpd = await ILoanBook__factory.connect(await loanBook.getAddress(), node.signer).daysPastDue(loanId);
    if (dpd === 0n) throw new Error(`loan ${loanId} has no arrears (0 days past due)`);
    if (!(await loanBook.isLender(loanId, p.proposer))) throw new Error(`${p.proposer} did not lend to loan ${loanId}`);
    if (Number(await node.ledger.roleOf(arbitrator)) !== Role.Arbitrator)
      throw new Error(`${arbitrator} is not an arbitrator`);
    const head = await node.ledger.headOf(Subject.loan(loanId));
    if (head !== frozenHead) throw new Error(`claim freezes loan head ${frozenHead}, but the head is ${head}`);
  });
  node.onReview(Kind.CaseStatement, async (p) => {
    const c = courtAt();
    const [caseId] = attrValues(p, STATEMENT_ATTR_TYPES) as [bigint];
    if (p.record.subject !== Subject.arbitrationCase(caseId)) throw new Error(`statement is not on case ${caseId}`);
    const info = await c.caseInfo(caseId);
    if (info.state !== 1n) throw new Error(`case ${caseId} is not open`);
    if (info.loanId >= CYCLE_LOAN_ID_BASE) {
      const loan = cycleLoans?.loan(info.loanId);
      if (!loan?.funders.some((f) => f.toLowerCase() === p.proposer.toLowerCase()))
        throw new Error(`${p.proposer} did not lend to loan ${info.loanId}`);
      return;
    }
    const loanBook = await loanBookOf(c);
    if (!(await loanBook.isLender(info.loanId, p.proposer)))
      throw new Error(`${p.proposer} did not lend to loan ${info.loanId}`);
  });
  return node;
}

function attrValues(p: Proposal, types: readonly string[]): readonly unknown[] {
  if (!p.attrs || p.attrs.types.join() !== types.join()) throw new Error(`parameters must be (${types.join(", ")})`);
  return p.attrs.values;
}

function caseOpenedIn(
  court: ArbitrationCourt,
  receipt: ContractTransactionReceipt,
): { caseId: bigint; frozenHead: string } {
  const address = court.target.toString().toLowerCase();
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = court.interface.parseLog(log);
    if (parsed?.name === "CaseOpened") return { caseId: parsed.args.caseId, frozenHead: parsed.args.frozenHead };
  }
  throw new Error(`transaction ${receipt.hash} opened no case`);
}

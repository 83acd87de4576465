import { Interface, getAddress } from "ethers";
import type { Log, Provider } from "ethers";
import type { AddressBook } from "../core/addressBook";
import { Attestation, Kind, Subject } from "../core/types";
import { FACT_ATTR_TYPES } from "../lending/documents";
import { TOPIC, courtInterface, ledgerInterface } from "./abi";
import type { BundleAssent } from "./bundle";
import type { AttrsInput } from "./export";

/**
 * The loan book's events a loan's receipts are read from, written out so that the evidence
 * package needs no compiled artifacts.
 */
export const LOAN_BOOK_EVENTS = new Interface([
  "event LoanAssented(uint256 indexed loanId, address indexed borrower, bytes32 contractHash, uint64 deadline, bytes signature)",
  "event LoanFunded(uint256 indexed loanId, address indexed funder, uint256 amount, uint256 totalFunded)",
  "event LoanDisbursed(uint256 indexed loanId, address indexed to, uint256 amount, uint64 firstDueDate)",
  "event RepaymentApplied(uint256 indexed loanId, address indexed payer, uint256 amount, (uint256 surcharge, uint256 overdueInterest, uint256 interest, uint256 principal, uint256 prepaid) allocation, uint256 outstanding)",
  "event ReminderRecorded(uint256 indexed loanId, uint256 installment, bytes32 noticeHash, uint64 remindedAt)",
  "event LoanClassified(uint256 indexed loanId, uint8 from, uint8 to, uint256 daysPastDue)",
  "event LoanCured(uint256 indexed loanId, bytes32 indexed pseudonym, uint256 installment)",
  "event AwardSatisfied(uint256 indexed loanId, uint256 indexed caseId, uint256 paid, uint256 writtenOff)",
]);

/** The receipts of a loan's facts and the borrower's assent, as a full disclosure carries them. */
export interface LoanReceipts {
  /** Decoded attrs of every fact of the loan's chain that has a receipt (disbursement, repayments, ...). */
  attrs: AttrsInput[];
  /** The borrower's assent to the loan contract, from the `LoanAssented` event. */
  assent?: BundleAssent;
}

/** Which loan-book (or court) event states a fact kind's parameters, and how they are read. */
const RECEIPT_OF: Record<
  string,
  { event: string; values: (args: Record<string, unknown>, loanUse: string) => unknown[] }
> = {
  [Kind.LoanFunded]: { event: "LoanFunded", values: (a) => [a.funder, a.amount] },
  [Kind.LoanDisbursed]: {
    event: "LoanDisbursed",
    values: (a, loanUse) => [a.to, a.amount, String(a.to).toLowerCase() === loanUse],
  },
  [Kind.Repayment]: {
    event: "RepaymentApplied",
    values: (a) => {
      const x = a.allocation as Record<string, bigint>;
      return [a.payer, a.amount, x.surcharge, x.overdueInterest, x.interest, x.principal, x.prepaid];
    },
  },
  [Kind.Reminder]: { event: "ReminderRecorded", values: (a) => [a.installment, a.noticeHash] },
  [Kind.Classified]: { event: "LoanClassified", values: (a) => [a.from, a.to, a.daysPastDue] },
  [Kind.DefaultCured]: { event: "LoanCured", values: (a) => [a.loanId, a.installment] },
  [Kind.AwardSatisfied]: { event: "AwardSatisfied", values: (a) => [a.caseId, a.paid, a.writtenOff] },
};

const FACT_TYPES: Record<string, readonly string[]> = {
  [Kind.LoanFunded]: FACT_ATTR_TYPES.LoanFunded,
  [Kind.LoanDisbursed]: FACT_ATTR_TYPES.LoanDisbursed,
  [Kind.Repayment]: FACT_ATTR_TYPES.Repayment,
  [Kind.Reminder]: FACT_ATTR_TYPES.Reminder,
  [Kind.Classified]: FACT_ATTR_TYPES.Classified,
  [Kind.DefaultCured]: FACT_ATTR_TYPES.DefaultCured,
  [Kind.AwardSatisfied]: FACT_ATTR_TYPES.AwardSatisfied,
};

/** ABI types of an Award fact's attrs: (caseId, loanId, amountOwed). */
export const AWARD_ATTR_TYPES = ["uint256", "uint256", "uint256"] as const;

/**
 * Reads the receipts behind loan `loanId`'s facts from the chain: for each fact on the loan's
 * chain, the loan book's (or court's) event in the same transaction that states its parameters,
 * as the decoded attrs the exporter puts next to the record (the verifier checks they hash to
 * the record's attrs). Also the borrower's signed assent to the contract. Up to `toBlock`.
 */
export async function loanReceipts(
  provider: Provider,
  book: AddressBook,
  loanId: bigint,
  toBlock?: number,
): Promise<LoanReceipts> {
  if (!book.loanBook) throw new Error("the address book has no loan book");
  const loanBook = getAddress(book.loanBook).toLowerCase();
  const loanUse = (book.loanUse ?? "").toLowerCase();
  const range = { fromBlock: book.deployBlock, toBlock: toBlock ?? (await provider.getBlockNumber()) };
  const subject = Subject.loan(loanId);
  const records = await provider.getLogs({ address: book.ledger, topics: [TOPIC.RecordCommitted, subject], ...range });
  const attrs: AttrsInput[] = [];
  const receipts = new Map<string, readonly Log[]>();
  const logsOf = async (tx: string): Promise<readonly Log[]> => {
    let logs = receipts.get(tx);
    if (!logs) {
      const r = await provider.getTransactionReceipt(tx);
      if (!r) throw new Error(`transaction ${tx} has no receipt`);
      receipts.set(tx, (logs = r.logs));
    }
    return logs;
  };
  // Facts of one kind in one transaction pair with that transaction's events of the kind, in order.
  const used = new Map<string, number>();
  for (const log of records) {
    const e = ledgerInterface.parseLog(log)!;
    if (Number(e.args.attestation) !== Attestation.Fact) continue;
    const kind = String(e.args.kind).toLowerCase();
    if (kind === Kind.Award.toLowerCase()) {
      const award = (await logsOf(log.transactionHash)).find((l) => l.topics[0] === TOPIC.AwardIssued);
      if (award) {
        const a = courtInterface.parseLog(award)!;
        attrs.push({
          contentHash: e.args.contentHash,
          types: AWARD_ATTR_TYPES,
          values: [a.args.caseId, a.args.loanId, a.args.amountOwed],
        });
      }
      continue;
    }
    const spec = RECEIPT_OF[kind];
    if (!spec) continue;
    const topic = LOAN_BOOK_EVENTS.getEvent(spec.event)!.topicHash;
    const matching = (await logsOf(log.transactionHash)).filter(
      (l) => l.address.toLowerCase() === loanBook && l.topics[0] === topic && BigInt(l.topics[1]) === loanId,
    );
    const key = `${log.transactionHash}:${kind}`;
    const n = used.get(key) ?? 0;
    used.set(key, n + 1);
    if (!matching[n]) continue;
    const args = LOAN_BOOK_EVENTS.parseLog(matching[n])!.args.toObject(true) as Record<string, unknown>;
    attrs.push({ contentHash: e.args.contentHash, types: FACT_TYPES[kind], values: spec.values(args, loanUse) });
  }
  const assented = await provider.getLogs({
    address: book.loanBook,
    topics: [LOAN_BOOK_EVENTS.getEvent("LoanAssented")!.topicHash, "0x" + loanId.toString(16).padStart(64, "0")],
    ...range,
  });
  let assent: BundleAssent | undefined;
  if (assented[0]) {
    const a = LOAN_BOOK_EVENTS.parseLog(assented[0])!.args;
    assent = {
      loanBook: getAddress(book.loanBook),
      borrower: getAddress(a.borrower),
      deadline: BigInt(a.deadline).toString(),
      signature: String(a.signature).toLowerCase(),
    };
  }
  return { attrs, assent };
}

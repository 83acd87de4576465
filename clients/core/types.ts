import { AbiCoder, getBytes, toUtf8Bytes } from "ethers";
import { keccak256, uint256Hex } from "./bytes";

/** Mirror of `Role` in contracts/common/Types.sol. */
export enum Role {
  None = 0,
  LeadBank = 1,
  PartnerBank = 2,
  Arbitrator = 3,
  Regulator = 4,
}

/** Mirror of `Attestation` in contracts/common/Types.sol. */
export enum Attestation {
  Signatures = 0,
  Votes = 1,
  Fact = 2,
}

/** Mirror of `ProposalState` in contracts/common/Types.sol. */
export enum ProposalState {
  None = 0,
  Open = 1,
  Committed = 2,
  Rejected = 3,
}

/** Mirror of `LoanStatus` in contracts/common/Types.sol. */
export enum LoanStatus {
  None = 0,
  Funding = 1,
  Active = 2,
  Repaid = 3,
  Defaulted = 4,
  InArbitration = 5,
  Awarded = 6,
  Cancelled = 7,
  Closed = 8,
}

/** Mirror of `LoanClass` in contracts/common/Types.sol. */
export enum LoanClass {
  Normal = 0,
  SpecialMention = 1,
  Substandard = 2,
  Doubtful = 3,
  Loss = 4,
}

export const LOAN_CLASS_NAMES: Record<LoanClass, string> = {
  [LoanClass.Normal]: "normal",
  [LoanClass.SpecialMention]: "special mention",
  [LoanClass.Substandard]: "substandard",
  [LoanClass.Doubtful]: "doubtful",
  [LoanClass.Loss]: "loss",
};

/** Mirror of `IEvidenceLedger.RejectReason`. */
export enum RejectReason {
  QuorumUnreachable = 0,
  Expired = 1,
  ChainMoved = 2,
}

/** Mirror of `IMembership.Action`. */
export enum MembershipAction {
  Admit = 0,
  Remove = 1,
  EnableModule = 2,
  DisableModule = 3,
  ChangeRole = 4,
}

export const ROLE_NAMES: Record<Role, string> = {
  [Role.None]: "none",
  [Role.LeadBank]: "lead bank",
  [Role.PartnerBank]: "partner bank",
  [Role.Arbitrator]: "arbitrator",
  [Role.Regulator]: "regulator",
};

/** The fields of a record that endorsers sign (mirror of `RecordInput`). */
export interface RecordInput {
  subject: string;
  kind: string;
  contentHash: string;
  attrs: string;
  prev: string;
}

export const ZERO_HASH = "0x" + "00".repeat(32);

function kindId(name: string): string {
  return keccak256(toUtf8Bytes(`colend.kind.${name}.v1`));
}

/**
 * Record kinds (schemas). The names are the single source; ids are derived exactly as
 * `Kinds` in contracts/common/Types.sol derives them, and a test checks both agree.
 */
export const KIND_NAMES = [
  "Batch",
  "Membership",
  "CreditDecision",
  "CreditClosed",
  "OutsideLoan",
  "DefaultNotice",
  "LoanContract",
  "LoanFunded",
  "FundingWithdrawn",
  "LoanDisbursed",
  "Repayment",
  "Classified",
  "LoanSpend",
  "CaseOpened",
  "CaseStatement",
  "CaseResponse",
  "Award",
  "Reminder",
  "DelinquencyListed",
  "LoanCancelled",
  "Disclosure",
  "DefaultCured",
  "DelinquencyCured",
  "CaseReassigned",
  "CollectionStarted",
  "AwardSatisfied",
  "CaseClosed",
  // off-chain only kinds (never written by a contract itself)
  "RepaymentReceipt",
  "DisbursementReceipt",
  "Note",
  // leaves of a batched lending cycle (clients/cycle, docs/CYCLE.md); CycleClose is checked by CycleSettlement
  "CycleWhitelist",
  "CycleOrigination",
  "CycleFunding",
  "CycleDisbursement",
  "CycleRepayment",
  "CycleReminder",
  "CycleClassification",
  "CycleDefault",
  "CycleLoanState",
  "CycleClose",
] as const;
export type KindName = (typeof KIND_NAMES)[number];

export const Kind = Object.fromEntries(KIND_NAMES.map((n) => [n, kindId(n)])) as Record<KindName, string>;
const KIND_BY_ID = new Map<string, KindName>(KIND_NAMES.map((n) => [kindId(n), n]));

/** Name of a kind id, or the id itself if unknown. */
export function kindName(id: string): string {
  return KIND_BY_ID.get(id.toLowerCase()) ?? id;
}

const coder = AbiCoder.defaultAbiCoder();

/** Subject identifiers, mirrored from `Subjects` in contracts/common/Types.sol. */
/** abi.encode(["string", "uint256"], ["colend.loan", 0]): the id is the second 32-byte word. */
const LOAN_SUBJECT_WORDS = getBytes(coder.encode(["string", "uint256"], ["colend.loan", 0]));

export const Subject = {
  loan: (loanId: bigint | number): string => {
    // abi.encode("colend.loan", loanId) with the id written into its fixed word (hot in the cycle's leaves)
    const words = LOAN_SUBJECT_WORDS.slice();
    words.set(Buffer.from(uint256Hex(loanId), "hex"), 32);
    return keccak256(words);
  },
  /** A borrower's credit chain, keyed by its pseudonym. */
  borrower: (pseudonym: string): string =>
    keccak256(coder.encode(["string", "bytes32"], ["colend.borrower", pseudonym])),
  arbitrationCase: (caseId: bigint | number): string =>
    keccak256(coder.encode(["string", "uint256"], ["colend.case", caseId])),
  /** A batch chain: one per proposer and label (e.g. a day). */
  batch: (proposer: string, label: string): string =>
    keccak256(coder.encode(["string", "address", "string"], ["colend.batch", proposer, label])),
};

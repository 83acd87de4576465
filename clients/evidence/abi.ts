import { Interface } from "ethers";

/**
 * The few ledger and court fragments the exporter and verifier use, written out so that neither
 * needs Hardhat, TypeChain or compiled artifacts (a test checks they match the contracts).
 */
export const LEDGER_ABI = [
  "event RecordCommitted(bytes32 indexed subject, bytes32 indexed kind, address indexed proposer, bytes32 contentHash, bytes32 attrs, bytes32 prev, bytes32 head, uint8 attestation, uint64 issuedAt, uint64 deadline, bytes endorsements)",
  "event BatchCommitted(bytes32 indexed subject, bytes32 indexed root, uint256 leafCount)",
  "event RecordProposed(bytes32 indexed id, bytes32 indexed subject, address indexed proposer, bytes32 kind, bytes32 contentHash, bytes32 attrs, bytes32 prev, uint64 deadline, uint256 quorum)",
  "event RecordEndorsed(bytes32 indexed id, address indexed member)",
  "event MemberAdmitted(address indexed account, uint8 indexed role, string name, bytes encryptionKey, uint32 seq)",
  "event MemberRemoved(address indexed account, uint8 indexed role, uint32 seq)",
  "event ModuleSet(address indexed module, bool enabled)",
  "event GenesisSealed(address indexed admin)",
  "function headOf(bytes32 subject) view returns (bytes32)",
  "function propose((bytes32 subject, bytes32 kind, bytes32 contentHash, bytes32 attrs, bytes32 prev) record, uint64 deadline) returns (bytes32 id)",
  "function endorse(bytes32 id)",
];

export const COURT_ABI = [
  "event CaseOpened(uint256 indexed caseId, uint256 indexed loanId, address indexed arbitrator, address claimant, bytes32 frozenHead, bytes32 claimHash)",
  "event AwardIssued(uint256 indexed caseId, uint256 indexed loanId, bytes32 awardHash, uint256 amountOwed)",
];

export const ledgerInterface = new Interface(LEDGER_ABI);
export const courtInterface = new Interface(COURT_ABI);

export const TOPIC = {
  RecordCommitted: ledgerInterface.getEvent("RecordCommitted")!.topicHash,
  BatchCommitted: ledgerInterface.getEvent("BatchCommitted")!.topicHash,
  RecordProposed: ledgerInterface.getEvent("RecordProposed")!.topicHash,
  RecordEndorsed: ledgerInterface.getEvent("RecordEndorsed")!.topicHash,
  MemberAdmitted: ledgerInterface.getEvent("MemberAdmitted")!.topicHash,
  MemberRemoved: ledgerInterface.getEvent("MemberRemoved")!.topicHash,
  ModuleSet: ledgerInterface.getEvent("ModuleSet")!.topicHash,
  GenesisSealed: ledgerInterface.getEvent("GenesisSealed")!.topicHash,
  CaseOpened: courtInterface.getEvent("CaseOpened")!.topicHash,
  AwardIssued: courtInterface.getEvent("AwardIssued")!.topicHash,
};

/** 4-byte selectors of the calls a vote trail holds. */
export const SELECTOR = {
  propose: ledgerInterface.getFunction("propose")!.selector,
  endorse: ledgerInterface.getFunction("endorse")!.selector,
};

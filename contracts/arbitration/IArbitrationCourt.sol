// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ILoanCourtHooks} from "../lending/ILoanCourtHooks.sol";
import {RecordInput} from "../common/Types.sol";

/// @title Arbitration cases over defaulted loans
/// @notice A lender opens a case for a defaulted loan and names an arbitrator member; the case
///         freezes the loan's evidence-chain head at filing. Parties add endorsed statements, the
///         borrower may respond, and only the assigned arbitrator rules, once.
interface IArbitrationCourt {
    /// @notice Lifecycle of a case.
    enum CaseState {
        None, // no such case
        Open, // filed, awaiting the award
        Awarded, // the arbitrator ruled
        Closed // the award was satisfied: payments against it through the loan book reached it
    }

    /// @notice A case as stored.
    /// @notice How the arbitrator ruled on the claim.
    enum Outcome {
        None, // not ruled yet
        Upheld, // the claim as filed
        PartlyUpheld, // less than claimed: the evidence supports only part of it
        Dismissed // nothing owed: lists nobody
    }

    struct Case {
        uint256 loanId; // the disputed loan
        address claimant; // the lender that filed it
        address arbitrator; // the assigned arbitrator member
        CaseState state; // where it stands
        uint64 openedAt; // block timestamp of filing
        uint64 openedBlock; // block of filing
        bytes32 frozenHead; // the loan chain's head at filing: later records are not evidence of the past
        bytes32 awardHash; // salted hash of the award document (0 until awarded)
        uint256 amountOwed; // what the award says the borrower owes, in token units
        Outcome outcome; // how the arbitrator ruled (None until awarded)
    }

    /// @notice A batched-path loan's default as the cycle committed it (docs/CYCLE.md, "Cases on
    ///         the batched path"): the loan's state words, its state leaf's proof into the cycle's
    ///         state root, and the cycle's close leaf (binding that state root) with its proof into
    ///         a batch root committed on the cycle's subject by `commitBatch` (majority-endorsed).
    struct CycleDefaultProof {
        bytes32 cycleSubject; // the cycle's batch subject
        bytes32 root; // the batch root holding the close leaf
        bytes32 closeContent; // the close leaf's content: keccak256(abi.encode(settlementHash, chunksHash))
        bytes32[] closeProof; // the close leaf's inclusion proof into `root`
        bytes32 stateRoot; // the close leaf's attrs: the state commitment
        bytes32[] stateProof; // the loan's state leaf's inclusion proof into `stateRoot`
        bytes32[] state; // the loan's state words (CycleLoanState, clients/evidence/cycle.ts)
    }

    /// @notice Emitted when a case is filed.
    event CaseOpened(
        uint256 indexed caseId,
        uint256 indexed loanId,
        address indexed arbitrator,
        address claimant,
        bytes32 frozenHead,
        bytes32 claimHash
    );
    /// @notice Emitted when a lender files an endorsed statement or document on a case.
    event StatementFiled(uint256 indexed caseId, address indexed party, bytes32 contentHash);
    /// @notice Emitted when the borrower responds.
    event ResponseFiled(uint256 indexed caseId, address indexed borrower, bytes32 contentHash);
    /// @notice Emitted when the claimant has disclosed documents to the arbitrator (keys wrapped to
    ///         the arbitrator's registered encryption key); `manifestHash` commits to the list.
    event EvidenceDisclosed(uint256 indexed caseId, address indexed arbitrator, bytes32 manifestHash);
    /// @notice Emitted when a majority of the banks reassigned the case of a removed arbitrator.
    event ArbitratorReassigned(uint256 indexed caseId, address indexed from, address indexed to);
    /// @notice Emitted when the arbitrator rules.
    event AwardIssued(uint256 indexed caseId, uint256 indexed loanId, bytes32 awardHash, uint256 amountOwed);
    /// @notice Payments against the award of case `caseId` reached it (`paid` in all): the case is closed.
    event CaseClosed(uint256 indexed caseId, uint256 indexed loanId, uint256 paid);
    /// @notice The award's outcome, emitted with `AwardIssued`.
    event AwardReasoned(uint256 indexed caseId, Outcome outcome);

    /// @notice No case `caseId`, or it is not open.
    error CaseNotOpen(uint256 caseId);
    /// @notice `caller` is not a lender of loan `loanId`.
    error NotLender(uint256 loanId, address caller);
    /// @notice `account` is not an active arbitrator member.
    error NotArbitrator(address account);
    /// @notice Only the arbitrator assigned to `caseId` (`assigned`) may do this.
    error NotAssignedArbitrator(uint256 caseId, address assigned);
    /// @notice Loan `loanId` is not in default (a case on a performing loan).
    error LoanNotDefaulted(uint256 loanId);
    /// @notice Only the borrower of the case's loan may respond.
    error NotBorrower(uint256 caseId, address caller);
    /// @notice Only the claimant of `caseId` may do this; `caller` is not it.
    error NotClaimant(uint256 caseId, address caller);
    /// @notice The case's arbitrator `arbitrator` is still an active arbitrator: only a removed
    ///         arbitrator's case may be reassigned.
    error ArbitratorStillActive(uint256 caseId, address arbitrator);
    /// @notice Content `contentHash` is already on case `caseId`'s chain (or, for an award, the loan's).
    error ContentAlreadyRecorded(uint256 caseId, bytes32 contentHash);
    /// @notice The outcome does not fit the amount: a dismissal owes 0, a partial award more than 0.
    error InvalidOutcome(Outcome outcome, uint256 amountOwed);
    /// @notice Case `caseId` is not awarded (`state`), so its award cannot be satisfied.
    error CaseNotAwarded(uint256 caseId, CaseState state);
    /// @notice The award is above everything the loan book says the borrower owes now.
    error AwardExceedsDebt(uint256 amountOwed, uint256 payoff);
    /// @notice `loanId` is not a batched-path loan id (those start at `CYCLE_LOAN_ID_BASE`).
    error NotCycleLoan(uint256 loanId);
    /// @notice The state words are not a loan state: `words` words, or not 17 + 4 × its funder count.
    error CycleStateMalformed(uint256 words);
    /// @notice The loan's state does not prove into a close leaf committed in `root` on `cycleSubject`.
    error CycleStateNotCommitted(bytes32 cycleSubject, bytes32 root);
    /// @notice Batched-path loan `loanId` has case `caseId` already.
    error CaseAlreadyFiled(uint256 loanId, uint256 caseId);

    /// @notice Files a case on defaulted loan `loanId`, naming `arbitrator`. The claim document is
    ///         an endorsed record (kind CaseOpened) on the case subject `Subjects.arbitrationCase(caseId)`
    ///         where `caseId = nextCaseId()`; `claim.prev` must be 0, and `claim.attrs` must be
    ///         `keccak256(abi.encode(loanId, arbitrator, frozenHead))` (else `AttrsMismatch`), so that its
    ///         endorsers signed the loan, the arbitrator and the loan head at filing.
    /// @return caseId the new case
    function openCase(
        uint256 loanId,
        address arbitrator,
        RecordInput calldata claim,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (uint256 caseId);

    /// @notice Files a case on a defaulted loan of the batched path, naming `arbitrator`: the loan's
    ///         default is proven by `proof` (its committed state says Defaulted), the caller must
    ///         be one of the loan's funders in that state, and the loan has no case yet. The claim is
    ///         as for `openCase`, with the committed batch root `proof.root` as the frozen head:
    ///         `claim.attrs = keccak256(abi.encode(loanId, arbitrator, proof.root))`.
    /// @return caseId the new case
    function openCycleCase(
        CycleDefaultProof calldata proof,
        address arbitrator,
        RecordInput calldata claim,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (uint256 caseId);

    /// @notice The case opened on batched-path loan `loanId` (0: none).
    function cycleCaseOf(uint256 loanId) external view returns (uint256);

    /// @notice A lender of the loan files an endorsed statement (kind CaseStatement) on the case subject.
    function fileStatement(
        uint256 caseId,
        RecordInput calldata statement,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;

    /// @notice The borrower responds; recorded as a fact (kind CaseResponse) on the case subject.
    function respond(uint256 caseId, bytes32 contentHash) external;

    /// @notice The claimant records that documents were disclosed to the arbitrator.
    function recordDisclosure(uint256 caseId, bytes32 manifestHash) external;

    /// @notice Reassigns open case `caseId`, whose arbitrator was removed from the consortium, to
    ///         active arbitrator `arbitrator`, by an endorsed record (kind CaseReassigned on the case
    ///         subject, attrs = keccak256(abi.encode(caseId, arbitrator))) proposed by a bank and
    ///         endorsed by more than half of the other banks. A case never waits forever.
    function reassignArbitrator(
        uint256 caseId,
        address arbitrator,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;

    /// @notice The assigned arbitrator rules, once: a fact (kind Award) on the case and loan subjects;
    ///         the loan becomes Awarded and the borrower is listed delinquent.
    function issueAward(uint256 caseId, bytes32 awardHash, Outcome outcome, uint256 amountOwed) external;

    /// @notice Case `caseId`.
    function caseInfo(uint256 caseId) external view returns (Case memory);

    /// @notice The id the next case will get.
    function nextCaseId() external view returns (uint256);

    /// @notice The loan book whose defaulted loans the court hears.
    function loanBook() external view returns (ILoanCourtHooks);
}

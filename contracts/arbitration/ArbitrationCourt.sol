// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IArbitrationCourt} from "./IArbitrationCourt.sol";
import {IConsortiumLedger, ILedgerModule, LedgerModule, checkPlace, checkRecord} from "../ledger/LedgerModule.sol";
import {IAwardEnforcement, ILoanCourtHooks} from "../lending/ILoanCourtHooks.sol";
import {Kinds, LoanStatus, RecordInput, Role, Subjects} from "../common/Types.sol";
import {EmptyHash, NotLoanBook} from "../common/Errors.sol";

/// @title ArbitrationCourt
/// @notice Cases over defaulted loans, written to the evidence ledger as a module. Every case has
///         its own chain `Subjects.arbitrationCase(caseId)`:
///         CaseOpened (endorsed) → CaseStatement (endorsed) / CaseResponse, Disclosure (facts) → Award (fact).
///         The award is also appended to the loan's chain, which it closes.
/// @dev Content hashes of the facts the court writes are the parties' salted document hashes,
///      unchanged, so a document verifies directly against its record; the court keeps them unique
///      per case (the ledger does not index facts).
contract ArbitrationCourt is LedgerModule, IArbitrationCourt, IAwardEnforcement {
    /// @notice A constructor argument is not a deployed contract.
    error InvalidContract(address account);

    /// @dev A case as stored: four slots at filing, two more at the award.
    struct StoredCase {
        address claimant;
        uint64 openedAt;
        CaseState state;
        address arbitrator;
        uint64 openedBlock;
        uint256 loanId;
        bytes32 frozenHead;
        bytes32 awardHash;
        uint256 amountOwed;
        Outcome outcome;
    }

    /// @notice The loan book whose defaulted loans the court hears.
    ILoanCourtHooks public immutable loanBook;

    mapping(uint256 caseId => StoredCase) private _cases;
    mapping(bytes32 key => bool) private _factContent;
    uint256 private _nextCaseId = 1;

    /// @param ledger_ the evidence ledger (it must enable the court as a module)
    /// @param loanBook_ the loan book (it must bind this court before genesis is sealed)
    constructor(IConsortiumLedger ledger_, ILoanCourtHooks loanBook_) LedgerModule(ledger_) {
        if (address(ledger_).code.length == 0) revert InvalidContract(address(ledger_));
        if (address(loanBook_).code.length == 0) revert InvalidContract(address(loanBook_));
        loanBook = loanBook_;
    }

    // ---------------------------------------------------------------- filing

    /// @inheritdoc IArbitrationCourt
    /// @dev `claim.attrs` must be `keccak256(abi.encode(loanId, arbitrator, frozenHead))` with
    ///      `frozenHead = ledger.headOf(Subjects.loan(loanId))`, so the endorsers signed what is filed.
    function openCase(
        uint256 loanId,
        address arbitrator,
        RecordInput calldata claim,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (uint256 caseId) {
        if (loanBook.loanStatus(loanId) != LoanStatus.Defaulted) revert LoanNotDefaulted(loanId);
        if (!loanBook.isLender(loanId, msg.sender)) revert NotLender(loanId, msg.sender);
        if (ledger.roleOf(arbitrator) != Role.Arbitrator) revert NotArbitrator(arbitrator);
        caseId = _nextCaseId;
        bytes32 frozenHead = ledger.headOf(Subjects.loan(loanId));
        checkRecord(
            Subjects.arbitrationCase(caseId),
            Kinds.CASE_OPENED,
            keccak256(abi.encode(loanId, arbitrator, frozenHead)),
            claim
        );

        _nextCaseId = caseId + 1;
        StoredCase storage c = _cases[caseId];
        c.claimant = msg.sender;
        c.openedAt = uint64(block.timestamp);
        c.state = CaseState.Open;
        c.arbitrator = arbitrator;
        c.openedBlock = uint64(block.number);
        c.loanId = loanId;
        c.frozenHead = frozenHead;

        ledger.commitFor(msg.sender, claim, issuedAt, deadline, signatures);
        loanBook.onCaseOpened(loanId, caseId);
        emit CaseOpened(caseId, loanId, arbitrator, msg.sender, frozenHead, claim.contentHash);
    }

    /// @inheritdoc IArbitrationCourt
    function fileStatement(
        uint256 caseId,
        RecordInput calldata statement,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        StoredCase storage c = _openCase(caseId);
        if (!loanBook.isLender(c.loanId, msg.sender)) revert NotLender(c.loanId, msg.sender);
        checkPlace(Subjects.arbitrationCase(caseId), Kinds.CASE_STATEMENT, statement);
        ledger.commitFor(msg.sender, statement, issuedAt, deadline, signatures);
        emit StatementFiled(caseId, msg.sender, statement.contentHash);
    }

    /// @inheritdoc IArbitrationCourt
    /// @dev `contentHash` is the salted hash of the response document; it must be new on the case.
    function respond(uint256 caseId, bytes32 contentHash) external {
        StoredCase storage c = _openCase(caseId);
        (address borrower, ) = loanBook.borrowerOf(c.loanId);
        if (msg.sender != borrower) revert NotBorrower(caseId, msg.sender);
        bytes32 subject = Subjects.arbitrationCase(caseId);
        _claimContent(caseId, subject, contentHash, true);
        ledger.recordFact(msg.sender, subject, Kinds.CASE_RESPONSE, contentHash, bytes32(0));
        emit ResponseFiled(caseId, msg.sender, contentHash);
    }

    /// @inheritdoc IArbitrationCourt
    /// @dev Recorded as a fact of kind Disclosure on the case chain, with
    ///      `attrs = keccak256(abi.encode(arbitrator))`: the recipient the documents were wrapped to.
    function recordDisclosure(uint256 caseId, bytes32 manifestHash) external {
        StoredCase storage c = _openCase(caseId);
        if (msg.sender != c.claimant) revert NotClaimant(caseId, msg.sender);
        address arbitrator = c.arbitrator;
        bytes32 subject = Subjects.arbitrationCase(caseId);
        _claimContent(caseId, subject, manifestHash, true);
        ledger.recordFact(msg.sender, subject, Kinds.DISCLOSURE, manifestHash, keccak256(abi.encode(arbitrator)));
        emit EvidenceDisclosed(caseId, arbitrator, manifestHash);
    }

    /// @inheritdoc IArbitrationCourt
    function reassignArbitrator(
        uint256 caseId,
        address arbitrator,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        StoredCase storage c = _openCase(caseId);
        address current = c.arbitrator;
        if (ledger.roleOf(current) == Role.Arbitrator) revert ArbitratorStillActive(caseId, current);
        if (ledger.roleOf(arbitrator) != Role.Arbitrator) revert NotArbitrator(arbitrator);
        checkRecord(
            Subjects.arbitrationCase(caseId),
            Kinds.CASE_REASSIGNED,
            keccak256(abi.encode(caseId, arbitrator)),
            record
        );
        // The ledger checks the proposer is a bank and the quorum of the other banks endorsed it.
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
        c.arbitrator = arbitrator;
        emit ArbitratorReassigned(caseId, current, arbitrator);
    }

    // ---------------------------------------------------------------- ruling

    /// @inheritdoc IArbitrationCourt
    /// @dev The award fact carries `attrs = keccak256(abi.encode(caseId, loanId, amountOwed))` on
    ///      both chains. An arbitrator removed from the consortium can no longer rule.
    ///      Rules: a dismissal owes 0, a partly upheld award more than 0, and no award exceeds what
    ///      the loan book says the borrower owes now (its payoff); an award of 0 lists nobody.
    function issueAward(uint256 caseId, bytes32 awardHash, Outcome outcome, uint256 amountOwed) external {
        StoredCase storage c = _openCase(caseId);
        if (msg.sender != c.arbitrator) revert NotAssignedArbitrator(caseId, c.arbitrator);
        if (ledger.roleOf(msg.sender) != Role.Arbitrator) revert NotArbitrator(msg.sender);
        if (
            outcome == Outcome.None ||
            (outcome == Outcome.Dismissed && amountOwed != 0) ||
            (outcome == Outcome.PartlyUpheld && amountOwed == 0)
        ) revert InvalidOutcome(outcome, amountOwed);
        uint256 loanId = c.loanId;
        uint256 payoff = loanBook.payoffOf(loanId);
        if (amountOwed > payoff) revert AwardExceedsDebt(amountOwed, payoff);
        bytes32 caseSubject = Subjects.arbitrationCase(caseId);
        bytes32 loanSubject = Subjects.loan(loanId);
        // The award is the case chain's last fact: nothing needs to remember its hash.
        _claimContent(caseId, caseSubject, awardHash, false);
        if (ledger.recordInfo(loanSubject, awardHash).blockNumber != 0)
            revert ContentAlreadyRecorded(caseId, awardHash);

        c.state = CaseState.Awarded;
        c.awardHash = awardHash;
        c.amountOwed = amountOwed;
        c.outcome = outcome;

        bytes32 attrs = keccak256(abi.encode(caseId, loanId, amountOwed));
        ledger.recordFact(msg.sender, caseSubject, Kinds.AWARD, awardHash, attrs);
        ledger.recordFact(msg.sender, loanSubject, Kinds.AWARD, awardHash, attrs);
        loanBook.onAward(loanId, caseId, amountOwed);
        emit AwardIssued(caseId, loanId, awardHash, amountOwed);
        emit AwardReasoned(caseId, outcome);
    }

    // ---------------------------------------------------------------- enforcement

    /// @notice The loan book reports that payments against the award of case `caseId` reached it
    ///         (`paid` in all, split to the funders like any repayment): the case closes, with a
    ///         CaseClosed fact on its chain (attrs = keccak256(abi.encode(caseId, loanId, paid)))
    ///         whose actor is `payer`, who sent the payment that reached the award.
    function onAwardSatisfied(uint256 caseId, uint256 paid, address payer) external {
        if (msg.sender != address(loanBook)) revert NotLoanBook(msg.sender);
        StoredCase storage c = _cases[caseId];
        if (c.state != CaseState.Awarded) revert CaseNotAwarded(caseId, c.state);
        c.state = CaseState.Closed;
        uint256 loanId = c.loanId;
        bytes32 subject = Subjects.arbitrationCase(caseId);
        ledger.recordFact(
            payer,
            subject,
            Kinds.CASE_CLOSED,
            _factHash(subject, 1),
            keccak256(abi.encode(caseId, loanId, paid))
        );
        emit CaseClosed(caseId, loanId, paid);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IArbitrationCourt
    function caseInfo(uint256 caseId) external view returns (Case memory) {
        StoredCase storage c = _cases[caseId];
        return
            Case({
                loanId: c.loanId,
                claimant: c.claimant,
                arbitrator: c.arbitrator,
                state: c.state,
                openedAt: c.openedAt,
                openedBlock: c.openedBlock,
                frozenHead: c.frozenHead,
                awardHash: c.awardHash,
                amountOwed: c.amountOwed,
                outcome: c.outcome
            });
    }

    /// @inheritdoc IArbitrationCourt
    function nextCaseId() external view returns (uint256) {
        return _nextCaseId;
    }

    /// @inheritdoc ILedgerModule
    function ownedKinds() external pure override returns (bytes32[] memory) {
        return Kinds.ofCourt();
    }

    // ---------------------------------------------------------------- internal

    function _openCase(uint256 caseId) private view returns (StoredCase storage c) {
        c = _cases[caseId];
        if (c.state != CaseState.Open) revert CaseNotOpen(caseId);
    }

    /// @dev Checks that `contentHash` is new on the case chain (non-zero, not used by an earlier fact
    ///      of the case, not the content of an endorsed record on it) and, if `reserve`, remembers it.
    function _claimContent(uint256 caseId, bytes32 subject, bytes32 contentHash, bool reserve) private {
        if (contentHash == bytes32(0)) revert EmptyHash();
        bytes32 key = keccak256(abi.encode(caseId, contentHash));
        if (_factContent[key] || ledger.recordInfo(subject, contentHash).blockNumber != 0) {
            revert ContentAlreadyRecorded(caseId, contentHash);
        }
        if (reserve) _factContent[key] = true;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IEvidenceLedger} from "../ledger/IEvidenceLedger.sol";
import {IArbitrationCourt} from "../arbitration/IArbitrationCourt.sol";
import {checkRecord} from "../ledger/LedgerModule.sol";
import {ILoanCourtHooks} from "../lending/ILoanCourtHooks.sol";
import {Kinds, RecordInput, Subjects} from "../common/Types.sol";

/// @title EvidenceTestModule
/// @notice Test-only stand-in for the loan book and the court: a ledger module that reports facts,
///         commits signed records on behalf of its caller, and runs cases with the court's events and
///         record shapes (claim attrs bind loan, arbitrator and frozen head; award attrs bind case,
///         loan and amount), without any of the lending rules. Used by the evidence bundle tests.
contract EvidenceTestModule is IArbitrationCourt {
    /// @notice The ledger this module writes to.
    IEvidenceLedger public immutable ledger;

    uint256 private _nextCaseId = 1;
    mapping(uint256 caseId => Case) private _cases;

    /// @param ledger_ the evidence ledger (the module must be enabled there)
    constructor(IEvidenceLedger ledger_) {
        ledger = ledger_;
    }

    /// @notice Every module kind: the module stands in for the registry, the loan book, the
    ///         loan-use account and the court at once.
    function ownedKinds() external pure returns (bytes32[] memory kinds) {
        bytes32[][4] memory lists = [
            Kinds.ofCreditRegistry(),
            Kinds.ofLoanBook(),
            Kinds.ofLoanUseAccount(),
            Kinds.ofCourt()
        ];
        uint256 n = 0;
        for (uint256 i = 0; i < 4; i++) n += lists[i].length;
        kinds = new bytes32[](n);
        n = 0;
        for (uint256 i = 0; i < 4; i++) {
            for (uint256 j = 0; j < lists[i].length; j++) kinds[n++] = lists[i][j];
        }
    }

    /// @notice Reports a fact on `subject` with the caller as actor.
    function reportFact(bytes32 subject, bytes32 kind, bytes32 contentHash, bytes32 attrs) external returns (bytes32) {
        return ledger.recordFact(msg.sender, subject, kind, contentHash, attrs);
    }

    /// @notice Reports a fact on `subject` with this module itself as actor, as a module does when
    ///         another module calls it.
    function reportOwnFact(bytes32 subject, bytes32 kind, bytes32 contentHash) external returns (bytes32) {
        return ledger.recordFact(address(this), subject, kind, contentHash, 0);
    }

    /// @notice Commits a signed record with the caller as proposer.
    function commitVia(
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32) {
        return ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
    }

    /// @inheritdoc IArbitrationCourt
    function openCase(
        uint256 loanId,
        address arbitrator,
        RecordInput calldata claim,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (uint256 caseId) {
        caseId = _nextCaseId++;
        bytes32 frozenHead = ledger.headOf(Subjects.loan(loanId));
        checkRecord(
            Subjects.arbitrationCase(caseId),
            claim.kind,
            keccak256(abi.encode(loanId, arbitrator, frozenHead)),
            claim
        );
        ledger.commitFor(msg.sender, claim, issuedAt, deadline, signatures);
        Case storage c = _cases[caseId];
        c.loanId = loanId;
        c.claimant = msg.sender;
        c.arbitrator = arbitrator;
        c.state = CaseState.Open;
        c.openedAt = uint64(block.timestamp);
        c.openedBlock = uint64(block.number);
        c.frozenHead = frozenHead;
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
        _open(caseId);
        ledger.commitFor(msg.sender, statement, issuedAt, deadline, signatures);
        emit StatementFiled(caseId, msg.sender, statement.contentHash);
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
        Case storage c = _open(caseId);
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
        emit ArbitratorReassigned(caseId, c.arbitrator, arbitrator);
        c.arbitrator = arbitrator;
    }

    /// @inheritdoc IArbitrationCourt
    function respond(uint256 caseId, bytes32 contentHash) external {
        _open(caseId);
        ledger.recordFact(msg.sender, Subjects.arbitrationCase(caseId), Kinds.CASE_RESPONSE, contentHash, 0);
        emit ResponseFiled(caseId, msg.sender, contentHash);
    }

    /// @inheritdoc IArbitrationCourt
    function recordDisclosure(uint256 caseId, bytes32 manifestHash) external {
        Case storage c = _open(caseId);
        emit EvidenceDisclosed(caseId, c.arbitrator, manifestHash);
    }

    /// @inheritdoc IArbitrationCourt
    function issueAward(uint256 caseId, bytes32 awardHash, Outcome outcome, uint256 amountOwed) external {
        Case storage c = _open(caseId);
        if (msg.sender != c.arbitrator) revert NotAssignedArbitrator(caseId, c.arbitrator);
        c.state = CaseState.Awarded;
        c.awardHash = awardHash;
        c.amountOwed = amountOwed;
        c.outcome = outcome;
        bytes32 attrs = keccak256(abi.encode(caseId, c.loanId, amountOwed));
        ledger.recordFact(msg.sender, Subjects.arbitrationCase(caseId), Kinds.AWARD, awardHash, attrs);
        ledger.recordFact(msg.sender, Subjects.loan(c.loanId), Kinds.AWARD, awardHash, attrs);
        emit AwardIssued(caseId, c.loanId, awardHash, amountOwed);
    }

    /// @inheritdoc IArbitrationCourt
    function caseInfo(uint256 caseId) external view returns (Case memory) {
        return _cases[caseId];
    }

    /// @inheritdoc IArbitrationCourt
    /// @dev The stand-in hears no batched-path loans.
    function openCycleCase(
        CycleDefaultProof calldata proof,
        address,
        RecordInput calldata,
        uint64,
        uint64,
        bytes calldata
    ) external pure returns (uint256) {
        revert NotCycleLoan(uint256(proof.state.length > 0 ? proof.state[0] : bytes32(0)));
    }

    /// @inheritdoc IArbitrationCourt
    function cycleCaseOf(uint256) external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc IArbitrationCourt
    function nextCaseId() external view returns (uint256) {
        return _nextCaseId;
    }

    function _open(uint256 caseId) private view returns (Case storage c) {
        c = _cases[caseId];
        if (c.state != CaseState.Open) revert CaseNotOpen(caseId);
    }

    /// @inheritdoc IArbitrationCourt
    /// @dev The stand-in has no loan book: loans exist only as subjects on the ledger.
    function loanBook() external pure returns (ILoanCourtHooks) {
        return ILoanCourtHooks(address(0));
    }
}

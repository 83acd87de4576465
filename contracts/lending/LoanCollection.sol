// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {LoanStore} from "./LoanStore.sol";
import {IConsortiumLedger, checkRecord} from "../ledger/LedgerModule.sol";
import {Kinds, LoanStatus, RecordInput, Role, Subjects} from "../common/Types.sol";

/// @title LoanCollection
/// @notice Collection before arbitration (case study 000) and the court's hooks: a defaulted loan
///         goes through the reminder stage (Reminder, then the endorsed DefaultNotice), then
///         outsourced collection (the endorsed CollectionStarted record) no earlier than
///         `reminderStageDays` after the reminder, and only `collectionStageDays` after that may a
///         case be filed on it. An external library over `LoanStore`, called by LoanBook
///         (delegatecall). The rules are stated in `ILoanBook`.
library LoanCollection {
    uint256 private constant DAY = 1 days;

    /// @notice The lead bank hands defaulted loan `loanId` to collection agency `agency`.
    function startCollection(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        uint256 loanId,
        bytes32 agency,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        uint256 remindedAt = _checkStart(s, ledger, loanId);
        checkRecord(
            Subjects.loan(loanId),
            Kinds.COLLECTION_STARTED,
            keccak256(abi.encode(loanId, agency, remindedAt)),
            record
        );
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
        ILoanBook.Collection storage c = s.collection[loanId];
        c.startedAt = uint64(block.timestamp);
        c.agency = agency;
        uint256 stageEnd = block.timestamp + uint256(s.params.collectionStageDays) * DAY;
        emit ILoanBook.CollectionStarted(loanId, agency, uint64(block.timestamp), uint64(stageEnd));
    }

    /// @dev The caller leads the defaulted loan, is still a lead bank, and the reminder stage is
    ///      over; returns the reminder's time.
    function _checkStart(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        uint256 loanId
    ) private view returns (uint256 remindedAt) {
        ILoanBook.Loan storage loan = LoanStore.ledBy(s, loanId);
        // A lead removed from the consortium starts no new collection step.
        if (ledger.roleOf(msg.sender) != Role.LeadBank) revert ILoanBook.NotLoanLead(msg.sender, loan.lead);
        if (loan.status != LoanStatus.Defaulted) revert ILoanBook.WrongStatus(loanId, loan.status);
        if (s.collection[loanId].startedAt != 0) revert ILoanBook.CollectionAlreadyStarted(loanId);
        remindedAt = loan.remindedAt;
        uint256 earliest = remindedAt + uint256(s.params.reminderStageDays) * DAY;
        if (block.timestamp < earliest) revert ILoanBook.ReminderStageNotOver(loanId, earliest);
    }

    /// @notice The court opened case `caseId` on loan `loanId`, which must be in default and through
    ///         the collection stage.
    function onCaseOpened(LoanStore.Layout storage s, uint256 loanId, uint256 caseId) external {
        ILoanBook.Loan storage loan = LoanStore.existing(s, loanId);
        if (loan.status != LoanStatus.Defaulted) revert ILoanBook.WrongStatus(loanId, loan.status);
        uint256 startedAt = s.collection[loanId].startedAt;
        if (startedAt == 0) revert ILoanBook.NotInCollection(loanId);
        uint256 earliest = startedAt + uint256(s.params.collectionStageDays) * DAY;
        if (block.timestamp < earliest) revert ILoanBook.CollectionStageNotOver(loanId, earliest);
        loan.status = LoanStatus.InArbitration;
        s.caseOf[loanId] = caseId + 1;
        emit ILoanBook.ArbitrationStarted(loanId, caseId);
    }

    /// @notice The court awarded `amountOwed` on case `caseId` of loan `loanId`.
    function onAward(
        LoanStore.Layout storage s,
        ICreditRegistry registry,
        uint256 loanId,
        uint256 caseId,
        uint256 amountOwed
    ) external {
        ILoanBook.Loan storage loan = LoanStore.existing(s, loanId);
        uint256 stored = s.caseOf[loanId];
        // A borrower may settle in full while the case runs; the award is still recorded.
        bool settled = loan.status == LoanStatus.Repaid && stored != 0;
        if (loan.status != LoanStatus.InArbitration && !settled) revert ILoanBook.WrongStatus(loanId, loan.status);
        if (caseId + 1 != stored) revert ILoanBook.CaseMismatch(loanId, caseId, stored - 1);
        loan.awardAmount = uint128(amountOwed);
        emit ILoanBook.AwardRecorded(loanId, caseId, amountOwed);
        // A dismissal or an award of nothing lists nobody; the loan performs under its contract again.
        if (amountOwed == 0) {
            if (!settled) {
                loan.status = LoanStatus.Active;
                delete s.collection[loanId]; // a new default needs a new collection stage
            }
            return;
        }
        if (!settled) loan.status = LoanStatus.Awarded;
        registry.listDelinquent(loan.pseudonym, loanId, msg.sender);
    }
}

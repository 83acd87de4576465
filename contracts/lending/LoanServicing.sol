// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {LoanAccounting} from "./LoanAccounting.sol";
import {LoanEngine} from "./LoanEngine.sol";
import {LoanStore} from "./LoanStore.sol";
import {IConsortiumLedger, checkRecord, factHash} from "../ledger/LedgerModule.sol";
import {Kinds, LoanClass, LoanStatus, RecordInput, Role, Subjects} from "../common/Types.sol";
import {ZeroAmount} from "../common/Errors.sol";

/// @title LoanServicing
/// @notice The loan book's operations after disbursement: repayment and its split, reminders,
///         default, classification and the court's hooks. An external library over `LoanStore`,
///         called by LoanBook (delegatecall: the caller, the storage and the emitted events are the
///         book's). The rules are stated in `ILoanBook`.
library LoanServicing {
    using SafeERC20 for ISettlementToken;

    /// @notice Pays `amount` towards loan `loanId` from the caller.
    function repay(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        ICreditRegistry registry,
        ISettlementToken token,
        uint256 loanId,
        uint256 amount
    ) external returns (ILoanBook.Allocation memory a) {
        ILoanBook.Loan storage loan = LoanStore.existing(s, loanId);
        if (!LoanStore.repayable(loan.status)) revert ILoanBook.WrongStatus(loanId, loan.status);
        if (amount == 0) revert ZeroAmount();
        uint256 payoff;
        bool reamortized;
        (a, payoff, reamortized) = LoanEngine.repay(loan, s.bases[loanId], amount, s.params.surchargeBps);
        if (amount > payoff) revert ILoanBook.Overpayment(loanId, amount, payoff);
        _bookRepayment(s, ledger, loanId, loan, a, amount);
        uint256 outstanding = loan.outstanding;
        // Cure: every overdue installment and charge of a defaulted loan is paid.
        bool cured =
            loan.status == LoanStatus.Defaulted &&
                (outstanding == 0 ||
                    block.timestamp < LoanEngine.dueDate(loan.disbursedAt, loan.periodDays, loan.cursor));
        emit ILoanBook.RepaymentApplied(loanId, msg.sender, amount, a, outstanding);
        if (reamortized) {
            emit ILoanBook.ScheduleRecomputed(loanId, loan.cursor, outstanding, loan.rows - loan.cursor);
        }
        if (outstanding == 0) {
            loan.status = LoanStatus.Repaid;
            if (--s.activeByLead[loan.pseudonym][loan.lead] == 0) s.borrowers[loan.pseudonym].lenders -= 1;
            emit ILoanBook.LoanSettled(loanId);
        }
        _reclassify(s, ledger, loanId, loan, LoanStore.daysPastDue(loan));
        if (cured) _cure(ledger, registry, loanId, loan);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev The loan performs again (unless repaid) and a new default needs a new reminder; a
    ///      DefaultCured fact goes on the loan's chain and the borrower's listing records the cure.
    function _cure(
        IConsortiumLedger ledger,
        ICreditRegistry registry,
        uint256 loanId,
        ILoanBook.Loan storage loan
    ) private {
        if (loan.outstanding != 0) loan.status = LoanStatus.Active;
        loan.remindedAt = 0;
        fact(ledger, loanId, loan, Kinds.DEFAULT_CURED, keccak256(abi.encode(loanId, loan.cursor)));
        emit ILoanBook.LoanCured(loanId, loan.pseudonym, loan.cursor);
        registry.recordCure(loan.pseudonym, loanId, msg.sender);
    }

    /// @dev Credits the funders, updates the borrower's book and records the Repayment fact.
    function _bookRepayment(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        uint256 loanId,
        ILoanBook.Loan storage loan,
        ILoanBook.Allocation memory a,
        uint256 amount
    ) private {
        uint256 principal = a.principal + a.prepaid;
        LoanAccounting.credit(
            s.book,
            loanId,
            principal,
            a.surcharge + a.overdueInterest + a.interest,
            loan.leadInterestBps,
            loan.class_ >= LoanClass.Substandard,
            loan.outstanding == 0
        );
        loan.totalRepaid += uint128(amount);
        LoanStore.BorrowerBook storage bb = s.borrowers[loan.pseudonym];
        bb.committed -= uint128(principal);
        bb.outstanding -= uint128(principal);
        fact(
            ledger,
            loanId,
            loan,
            Kinds.REPAYMENT,
            keccak256(
                abi.encode(msg.sender, amount, a.surcharge, a.overdueInterest, a.interest, a.principal, a.prepaid)
            )
        );
    }

    /// @notice The lead bank records a reminder of the oldest missed installment (`noticeHash`,
    ///         checked non-zero by the book).
    function remind(LoanStore.Layout storage s, IConsortiumLedger ledger, uint256 loanId, bytes32 noticeHash) external {
        ILoanBook.Loan storage loan = LoanStore.ledBy(s, loanId);
        // A lead removed from the consortium starts no new collection step.
        if (ledger.roleOf(msg.sender) != Role.LeadBank) revert ILoanBook.NotLoanLead(msg.sender, loan.lead);
        if (loan.status != LoanStatus.Active) revert ILoanBook.WrongStatus(loanId, loan.status);
        uint256 cursor = loan.cursor;
        if (cursor >= loan.rows || block.timestamp <= LoanEngine.dueDate(loan.disbursedAt, loan.periodDays, cursor)) {
            revert ILoanBook.NothingOverdue(loanId);
        }
        loan.remindedAt = uint64(block.timestamp);
        loan.remindedInstallment = uint8(cursor);
        fact(ledger, loanId, loan, Kinds.REMINDER, keccak256(abi.encode(cursor, noticeHash)));
        emit ILoanBook.ReminderRecorded(loanId, cursor, noticeHash, uint64(block.timestamp));
    }

    /// @notice The lead bank declares default through an endorsed DefaultNotice record.
    function declareDefault(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        ICreditRegistry registry,
        uint256 loanId,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        ILoanBook.Loan storage loan = LoanStore.ledBy(s, loanId);
        if (loan.status != LoanStatus.Active) revert ILoanBook.WrongStatus(loanId, loan.status);
        uint256 remindedAt = loan.remindedAt;
        uint256 installment = loan.remindedInstallment;
        if (remindedAt == 0 || loan.cursor > installment) revert ILoanBook.NoUnansweredReminder(loanId);
        uint256 earliest = remindedAt + s.params.reminderWindow;
        if (block.timestamp < earliest) revert ILoanBook.DefaultTooEarly(loanId, earliest);
        checkRecord(
            Subjects.loan(loanId),
            Kinds.DEFAULT_NOTICE,
            keccak256(abi.encode(loanId, installment, remindedAt)),
            record
        );
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);

        loan.status = LoanStatus.Defaulted;
        emit ILoanBook.LoanDefaulted(loanId, loan.pseudonym, installment);
        registry.listDelinquent(loan.pseudonym, loanId, msg.sender);
    }

    /// @notice Reclassifies loan `loanId` by its days past due now.
    function reclassify(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        uint256 loanId
    ) external returns (LoanClass) {
        ILoanBook.Loan storage loan = LoanStore.existing(s, loanId);
        if (!LoanStore.repayable(loan.status)) revert ILoanBook.WrongStatus(loanId, loan.status);
        return _reclassify(s, ledger, loanId, loan, LoanStore.daysPastDue(loan));
    }

    /// @dev Reclassifies by `dpd`, moving the loan's outstanding principal between the performing and
    ///      non-performing balances when it crosses the line, and records a Classified fact on change.
    function _reclassify(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        uint256 loanId,
        ILoanBook.Loan storage loan,
        uint256 dpd
    ) private returns (LoanClass to) {
        to = loan.status == LoanStatus.Repaid ? LoanClass.Normal : LoanStore.classFor(s.params, dpd);
        LoanClass from = loan.class_;
        if (from == to) return to;
        loan.class_ = to;
        bool wasNp = from >= LoanClass.Substandard;
        bool isNp = to >= LoanClass.Substandard;
        if (wasNp != isNp) LoanAccounting.setNonPerforming(s.book, loanId, loan.outstanding, isNp);
        fact(ledger, loanId, loan, Kinds.CLASSIFIED, keccak256(abi.encode(from, to, dpd)));
        emit ILoanBook.LoanClassified(loanId, from, to, dpd);
    }

    /// @notice The court opened case `caseId` on defaulted loan `loanId`.
    function onCaseOpened(LoanStore.Layout storage s, uint256 loanId, uint256 caseId) external {
        ILoanBook.Loan storage loan = LoanStore.existing(s, loanId);
        if (loan.status != LoanStatus.Defaulted) revert ILoanBook.WrongStatus(loanId, loan.status);
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
            if (!settled) loan.status = LoanStatus.Active;
            return;
        }
        if (!settled) loan.status = LoanStatus.Awarded;
        registry.listDelinquent(loan.pseudonym, loanId, msg.sender);
    }

    /// @notice Appends an on-chain fact to the loan's chain; the caller is its actor.
    function fact(
        IConsortiumLedger ledger,
        uint256 loanId,
        ILoanBook.Loan storage loan,
        bytes32 kind,
        bytes32 attrs
    ) internal {
        uint256 seq = ++loan.factSeq;
        bytes32 subject = Subjects.loan(loanId);
        ledger.recordFact(msg.sender, subject, kind, factHash(address(this), subject, seq), attrs);
    }
}

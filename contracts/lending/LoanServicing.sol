// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {IAwardEnforcement} from "./ILoanCourtHooks.sol";
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

    /// @notice Pays `amount` towards loan `loanId` from the caller. On an awarded loan the payment
    ///         goes against the award (at most what is left of it) and is split like any other;
    ///         the one that reaches the award closes the loan and the case (`court`).
    function repay(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        ICreditRegistry registry,
        ISettlementToken token,
        address court,
        uint256 loanId,
        uint256 amount
    ) external returns (ILoanBook.Allocation memory a) {
        ILoanBook.Loan storage loan = LoanStore.existing(s, loanId);
        if (!LoanStore.repayable(loan.status)) revert ILoanBook.WrongStatus(loanId, loan.status);
        if (amount == 0) revert ZeroAmount();
        uint256 awardLeft = _awardLeft(s, loanId, loan, amount);
        bool reamortized;
        (a, reamortized) = _apply(s, loanId, loan, amount);
        bool awarded = awardLeft != type(uint256).max;
        bool satisfied = awarded && (amount == awardLeft || loan.outstanding == 0);
        _bookRepayment(s, ledger, loanId, loan, a, amount, satisfied);
        if (satisfied) {
            emit ILoanBook.RepaymentApplied(loanId, msg.sender, amount, a, loan.outstanding);
            _satisfyAward(s, ledger, court, loanId, loan, amount);
            token.safeTransferFrom(msg.sender, address(this), amount);
            return a;
        }
        if (awarded) s.collection[loanId].awardPaid += uint128(amount);
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
        if (cured) _cure(s, ledger, registry, loanId, loan);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev What is left of the award on an awarded loan (reverting if `amount` is more), else the
    ///      largest uint256.
    function _awardLeft(
        LoanStore.Layout storage s,
        uint256 loanId,
        ILoanBook.Loan storage loan,
        uint256 amount
    ) private view returns (uint256 left) {
        if (loan.status != LoanStatus.Awarded) return type(uint256).max;
        left = loan.awardAmount - s.collection[loanId].awardPaid;
        if (amount > left) revert ILoanBook.AwardOverpayment(loanId, amount, left);
    }

    /// @dev Applies `amount` by the waterfall (reverting above the payoff).
    function _apply(
        LoanStore.Layout storage s,
        uint256 loanId,
        ILoanBook.Loan storage loan,
        uint256 amount
    ) private returns (ILoanBook.Allocation memory a, bool reamortized) {
        uint256 payoff;
        (a, payoff, reamortized) = LoanEngine.repay(loan, s.bases[loanId], amount, s.params.surchargeBps);
        if (amount > payoff) revert ILoanBook.Overpayment(loanId, amount, payoff);
    }

    /// @dev The payments against the award reached it: the principal still outstanding is written
    ///      off the funders' books, the loan is Closed (an AwardSatisfied fact on its chain), and the
    ///      court closes the case.
    function _satisfyAward(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        address court,
        uint256 loanId,
        ILoanBook.Loan storage loan,
        uint256 amount
    ) private {
        ILoanBook.Collection storage c = s.collection[loanId];
        uint256 paid = c.awardPaid + amount;
        c.awardPaid = uint128(paid);
        uint256 rest = loan.outstanding;
        if (rest != 0) {
            LoanAccounting.writeOff(s.book, loanId, rest, loan.class_);
            LoanStore.BorrowerBook storage bb = s.borrowers[loan.pseudonym];
            bb.committed -= uint128(rest);
            bb.outstanding -= uint128(rest);
            c.writtenOff = uint128(rest);
            loan.outstanding = 0;
        }
        loan.status = LoanStatus.Closed;
        if (--s.activeByLead[loan.pseudonym][loan.lead] == 0) s.borrowers[loan.pseudonym].lenders -= 1;
        uint256 caseId = LoanStore.caseOf(s, loanId);
        fact(ledger, loanId, loan, Kinds.AWARD_SATISFIED, keccak256(abi.encode(caseId, paid, rest)));
        emit ILoanBook.AwardSatisfied(loanId, caseId, paid, rest);
        IAwardEnforcement(court).onAwardSatisfied(caseId, paid, msg.sender);
    }

    /// @dev The loan performs again (unless repaid) and a new default needs a new reminder (and a
    ///      new collection stage); a DefaultCured fact goes on the loan's chain and the borrower's
    ///      listing records the cure.
    function _cure(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        ICreditRegistry registry,
        uint256 loanId,
        ILoanBook.Loan storage loan
    ) private {
        if (loan.outstanding != 0) loan.status = LoanStatus.Active;
        loan.remindedAt = 0;
        delete s.collection[loanId];
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
        uint256 amount,
        bool closes
    ) private {
        uint256 principal = a.principal + a.prepaid;
        LoanAccounting.credit(
            s.book,
            loanId,
            principal,
            a.surcharge + a.overdueInterest + a.interest,
            loan.leadInterestBps,
            loan.class_,
            closes || loan.outstanding == 0
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
        LoanAccounting.reclass(s.book, loanId, loan.outstanding, from, to);
        fact(ledger, loanId, loan, Kinds.CLASSIFIED, keccak256(abi.encode(from, to, dpd)));
        emit ILoanBook.LoanClassified(loanId, from, to, dpd);
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

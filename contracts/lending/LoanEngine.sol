// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {AnnuityMath} from "./AnnuityMath.sol";
import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {SplitMath} from "./SplitMath.sol";

/// @title LoanEngine
/// @notice The repayment rules of `ILoanBook` as pure functions over a loan's repayment state:
///         overdue accrual, what is owed, the payment waterfall and re-amortization after early
///         repayment. Linked into LoanBook (external library); mirrored line for line by
///         `clients/lending/loanModel.ts`.
library LoanEngine {
    uint256 private constant DAY = 1 days;
    uint256 private constant BPS = 10_000;
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 private constant ASSENT_TYPEHASH = keccak256(
        "LoanAssent(bytes32 termsHash,bytes32 contractHash,uint64 deadline)"
    );
    bytes32 private constant NAME_HASH = keccak256("colend LoanBook");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @notice One amortization: installments `start .. start + periods - 1` repay `principal`.
    ///         A loan starts with one; each early repayment appends the re-amortized rest.
    ///         `offset` is the number of days of its first period already charged to the day by the
    ///         early repayment that started it: its first row charges interest for the rest only.
    struct Base {
        uint8 start;
        uint8 periods;
        uint128 principal;
        uint16 offset;
    }

    /// @notice A loan's repayment state, with the rows of its current amortization.
    struct State {
        uint256 disbursedAt; // timestamp
        uint256 periodDays;
        uint256 rate; // annual, basis points
        uint256 surchargeBps;
        uint256 rows; // installments in all
        uint256 cursor; // first installment not fully paid
        uint256 cursorPaid; // paid on it so far, interest first
        uint256 outstanding; // principal
        uint256 overdueInterest; // accrued, unpaid
        uint256 surcharge; // accrued, unpaid
        uint256 accruedDay; // whole days after disbursement up to which overdue interest accrued
        uint256 baseStart; // first installment of the current amortization
        uint256 baseOffset; // days of its first period charged before it started
        uint256[] principals; // principal parts of the current amortization
        uint256[] interests; // interest parts of the current amortization
        bool reamortized; // an early repayment started a new amortization at `baseStart`
    }

    /// @notice Equal installment of a schedule (reverts on terms that do not amortize).
    function installment(
        uint256 principal,
        uint256 rate,
        uint256 periods,
        uint256 periodDays
    ) external pure returns (uint256) {
        return AnnuityMath.installment(principal, rate, periods, periodDays);
    }

    /// @notice Checks that `lead` may lend `principal` to `pseudonym`: the line is active and held by
    ///         `lead`, decided after any delinquency listing, and `committed` (the borrower's principal
    ///         outstanding or being funded) plus `principal` stays within the limit.
    /// @param registry the credit registry
    /// @return account the borrower's account
    function checkBorrower(
        address registry,
        bytes32 pseudonym,
        uint256 principal,
        uint256 committed,
        address lead
    ) external view returns (address account) {
        ICreditRegistry.CreditLine memory line = ICreditRegistry(registry).creditLine(pseudonym);
        if (line.state != ICreditRegistry.CreditState.Active) revert ILoanBook.NotWhitelisted(pseudonym);
        if (line.lead != lead) revert ILoanBook.NotLoanLead(lead, line.lead);
        if (line.decisionSeq <= line.listedSeq) revert ILoanBook.BorrowerDelinquent(pseudonym);
        if (committed + principal > line.limit) {
            uint256 available = line.limit > committed ? line.limit - committed : 0;
            revert ILoanBook.CreditLimitExceeded(pseudonym, principal, available);
        }
        return line.account;
    }

    /// @notice Checks the borrower's assent (`ILoanBook.Assent`) to the contract record
    ///         (`termsHash` = its attrs, `contractHash` = its content hash) and emits it as evidence.
    ///         Runs in the loan book's context, so the domain's verifying contract is the loan book.
    /// @param borrower the account bound to the borrower's credit line
    function checkAssent(
        uint256 loanId,
        address borrower,
        bytes32 termsHash,
        bytes32 contractHash,
        ILoanBook.Assent calldata assent
    ) external {
        if (block.timestamp > assent.deadline) revert ILoanBook.AssentExpired(loanId, assent.deadline);
        bytes32 domain = keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
        bytes32 digest = MessageHashUtils.toTypedDataHash(
            domain,
            keccak256(abi.encode(ASSENT_TYPEHASH, termsHash, contractHash, assent.deadline))
        );
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, assent.signature);
        if (err != ECDSA.RecoverError.NoError || signer != borrower) revert ILoanBook.BadAssent(loanId, signer);
        emit ILoanBook.LoanAssented(loanId, borrower, contractHash, assent.deadline, assent.signature);
    }

    /// @notice Checks loan terms against the consortium's bounds (periods 5, 10 or 20; single
    ///         drawdown; rate; period length; funding and interest shares) and that they amortize.
    /// @return leadAmount the lead's funding share of the principal
    function checkTerms(
        ILoanBook.LoanTerms calldata t,
        ILoanBook.Params calldata p
    ) external pure returns (uint256 leadAmount) {
        if (t.principal < p.minDrawdown || t.principal > p.maxDrawdown) {
            revert ILoanBook.PrincipalOutOfBounds(t.principal, p.minDrawdown, p.maxDrawdown);
        }
        if (
            (t.periods != 5 && t.periods != 10 && t.periods != 20) ||
            t.periodDays == 0 ||
            t.periodDays > p.maxPeriodDays ||
            t.annualRateBps > p.maxRateBps
        ) revert ILoanBook.TermsOutOfBounds(t.periods, t.periodDays, t.annualRateBps);
        if (
            t.leadFundingBps < p.minLeadFundingBps ||
            t.leadFundingBps > BPS - p.partnerFundingFloorBps ||
            t.leadInterestBps > p.maxLeadInterestBps
        ) revert ILoanBook.ShareOutOfBounds(t.leadFundingBps, t.leadInterestBps);
        uint256 partnersAmount;
        (leadAmount, partnersAmount) = SplitMath.splitBps(t.principal, t.leadFundingBps);
        if (leadAmount == 0 || partnersAmount == 0) {
            revert ILoanBook.ShareOutOfBounds(t.leadFundingBps, t.leadInterestBps);
        }
        // Reverts with TermsDoNotAmortize if the schedule does not amortize.
        AnnuityMath.installment(t.principal, t.annualRateBps, t.periods, t.periodDays);
    }

    /// @notice What the borrower of a loan owes now (overdue charges accrued to now).
    /// @param bases the loan's amortizations
    /// @param surchargeBps surcharge on overdue interest
    function quote(
        ILoanBook.Loan storage loan,
        Base[] storage bases,
        uint256 surchargeBps
    ) external view returns (ILoanBook.Dues memory) {
        State memory s = load(loan, bases, surchargeBps);
        accrue(s, block.timestamp);
        return dues(s, block.timestamp);
    }

    /// @notice Accrues a loan to now and applies `amount` by the waterfall, writing the new state
    ///         back. If `amount` exceeds the payoff nothing changes and the allocation is empty:
    ///         the caller reverts.
    /// @return a how the payment was applied
    /// @return payoff what would have closed the loan
    /// @return reamortized whether an early repayment started a new amortization
    function repay(
        ILoanBook.Loan storage loan,
        Base[] storage bases,
        uint256 amount,
        uint256 surchargeBps
    ) external returns (ILoanBook.Allocation memory a, uint256 payoff, bool reamortized) {
        State memory s = load(loan, bases, surchargeBps);
        accrue(s, block.timestamp);
        payoff = dues(s, block.timestamp).payoff;
        if (amount > payoff) return (a, payoff, false);
        a = applyPayment(s, amount, block.timestamp);
        loan.rows = uint8(s.rows);
        loan.cursor = uint8(s.cursor);
        loan.cursorPaid = uint128(s.cursorPaid);
        loan.outstanding = uint128(s.outstanding);
        loan.overdueInterest = uint128(s.overdueInterest);
        loan.surcharge = uint128(s.surcharge);
        loan.accruedDay = uint32(s.accruedDay);
        reamortized = s.reamortized;
        if (reamortized) {
            bases.push(
                Base(uint8(s.baseStart), uint8(s.rows - s.baseStart), uint128(s.outstanding), uint16(s.baseOffset))
            );
        }
    }

    /// @notice The installments of a loan: every amortization's rows, later ones overriding from
    ///         their start, with due dates and what was paid.
    function rows(
        ILoanBook.Loan storage loan,
        Base[] storage bases
    ) external view returns (ILoanBook.Row[] memory out) {
        uint256 count = loan.rows;
        uint256 periodDays = loan.periodDays;
        out = new ILoanBook.Row[](count);
        for (uint256 b = 0; b < bases.length; b++) {
            Base memory base = bases[b];
            (uint256[] memory p, uint256[] memory i) = baseSchedule(
                base.principal,
                loan.annualRateBps,
                base.periods,
                periodDays,
                base.offset
            );
            for (uint256 k = 0; k < p.length && base.start + k < count; k++) {
                out[base.start + k].principal = p[k];
                out[base.start + k].interest = i[k];
            }
        }
        uint256 cursor = loan.cursor;
        uint256 disbursedAt = loan.disbursedAt;
        for (uint256 k = 0; k < count; k++) {
            ILoanBook.Row memory row = out[k];
            if (disbursedAt != 0) row.dueDate = uint64(dueDate(disbursedAt, periodDays, k));
            if (k < cursor) row.paid = row.principal + row.interest;
            else if (k == cursor) row.paid = loan.cursorPaid;
        }
    }

    /// @notice A loan's repayment state, with the rows of its current amortization.
    function load(
        ILoanBook.Loan storage loan,
        Base[] storage bases,
        uint256 surchargeBps
    ) internal view returns (State memory s) {
        s.disbursedAt = loan.disbursedAt;
        s.periodDays = loan.periodDays;
        s.rate = loan.annualRateBps;
        s.surchargeBps = surchargeBps;
        s.rows = loan.rows;
        s.cursor = loan.cursor;
        s.cursorPaid = loan.cursorPaid;
        s.outstanding = loan.outstanding;
        s.overdueInterest = loan.overdueInterest;
        s.surcharge = loan.surcharge;
        s.accruedDay = loan.accruedDay;
        Base memory base = bases[bases.length - 1];
        s.baseStart = base.start;
        s.baseOffset = base.offset;
        (s.principals, s.interests) = baseSchedule(base.principal, s.rate, base.periods, s.periodDays, base.offset);
    }

    /// @notice The rows of one amortization: the annuity of `principal` over `periods`, its first row
    ///         charging interest only for the `periodDays - offset` days not yet charged.
    function baseSchedule(
        uint256 principal,
        uint256 rate,
        uint256 periods,
        uint256 periodDays,
        uint256 offset
    ) internal pure returns (uint256[] memory principals, uint256[] memory interests) {
        (principals, interests) = AnnuityMath.schedule(principal, rate, periods, periodDays);
        if (offset != 0) interests[0] = AnnuityMath.periodInterest(principal, rate, periodDays - offset);
    }

    /// @notice Interest of the current period's installment (the first not yet due at `time`)
    ///         accrued to the day and not yet paid: its opening balance at the daily rate
    ///         (annual / 360) for the whole days since its period began (or since an early
    ///         repayment already charged them), less interest already paid on it.
    /// @return accrued unpaid interest to the day (0 if every installment is due)
    /// @return elapsed whole days of the current period elapsed at `time`
    function accruedToDay(State memory s, uint256 time) internal pure returns (uint256 accrued, uint256 elapsed) {
        uint256 k = dueCount(s, time);
        if (k >= s.rows || k < s.cursor) return (0, 0);
        uint256 i = k - s.baseStart;
        uint256 today = (time - s.disbursedAt) / DAY;
        elapsed = today - k * s.periodDays;
        uint256 charged = i == 0 ? s.baseOffset : 0;
        uint256 opening = 0;
        for (uint256 m = i; m < s.principals.length; m++) opening += s.principals[m];
        accrued = elapsed > charged ? AnnuityMath.periodInterest(opening, s.rate, elapsed - charged) : 0;
        if (k == s.cursor) {
            uint256 paidInterest = s.cursorPaid < s.interests[i] ? s.cursorPaid : s.interests[i];
            accrued = accrued > paidInterest ? accrued - paidInterest : 0;
        }
    }

    /// @notice Installments whose due date has come by `time`.
    function dueCount(State memory s, uint256 time) internal pure returns (uint256) {
        uint256 n = (time - s.disbursedAt) / (s.periodDays * DAY);
        return n < s.rows ? n : s.rows;
    }

    /// @notice Accrues overdue interest and surcharge per whole day late, on each overdue
    ///         installment's unpaid amount, up to `time`.
    function accrue(State memory s, uint256 time) internal pure {
        uint256 today = (time - s.disbursedAt) / DAY;
        uint256 due = dueCount(s, time);
        for (uint256 k = s.cursor; k < due; k++) {
            uint256 from = (k + 1) * s.periodDays;
            if (from < s.accruedDay) from = s.accruedDay;
            if (today <= from) continue;
            uint256 inc = AnnuityMath.overdueInterest(unpaid(s, k), s.rate, today - from);
            s.overdueInterest += inc;
            s.surcharge += AnnuityMath.surcharge(inc, s.surchargeBps);
        }
        if (today > s.accruedDay) s.accruedDay = today;
    }

    /// @notice What is owed at `time` (overdue charges as accrued in `s`).
    function dues(State memory s, uint256 time) internal pure returns (ILoanBook.Dues memory d) {
        uint256 due = dueCount(s, time);
        uint256 end = due < s.rows ? due + 1 : s.rows;
        for (uint256 k = s.cursor; k < end; k++) {
            uint256 i = k - s.baseStart;
            uint256 interest = s.interests[i];
            uint256 principal = s.principals[i];
            if (k == s.cursor) {
                uint256 paidInterest = s.cursorPaid < interest ? s.cursorPaid : interest;
                interest -= paidInterest;
                principal -= s.cursorPaid - paidInterest;
            }
            if (k < due) {
                d.interestDue += interest;
                d.principalDue += principal;
            } else {
                d.currentInterest = interest;
                d.currentPrincipal = principal;
            }
        }
        d.surcharge = s.surcharge;
        d.overdueInterest = s.overdueInterest;
        d.amountDue = d.surcharge + d.overdueInterest + d.interestDue + d.principalDue;
        d.outstanding = s.outstanding;
        (uint256 accrued, ) = accruedToDay(s, time);
        d.payoff = d.surcharge + d.overdueInterest + d.interestDue + accrued + s.outstanding;
        if (s.cursor < s.rows) {
            uint256 next = dueDate(s.disbursedAt, s.periodDays, s.cursor);
            d.nextDueDate = uint64(next);
            d.daysPastDue = lateDays(next, time);
        }
    }

    /// @notice Applies `amount` (at most the payoff): surcharge, overdue interest, installments due
    ///         (interest then principal, oldest first), then the current period: up to its whole
    ///         installment pays it as scheduled; more than that, or exactly the payoff, pays the
    ///         period's interest only to the day and everything else as principal (early repayment,
    ///         which re-amortizes the rest, its first row charging the period's remaining days).
    function applyPayment(
        State memory s,
        uint256 amount,
        uint256 time
    ) internal pure returns (ILoanBook.Allocation memory a) {
        uint256 left = amount;
        (a.surcharge, left) = take(left, s.surcharge);
        s.surcharge -= a.surcharge;
        (a.overdueInterest, left) = take(left, s.overdueInterest);
        s.overdueInterest -= a.overdueInterest;

        uint256 due = dueCount(s, time);
        uint256 end = due < s.rows ? due + 1 : s.rows;
        while (left > 0 && s.cursor < end) {
            uint256 i = s.cursor - s.baseStart;
            if (s.cursor == due && payToDay(s, a, left, time)) {
                left = 0;
                break;
            }
            uint256 interest = s.interests[i];
            uint256 total = interest + s.principals[i];
            uint256 paid = s.cursorPaid;
            uint256 x;
            if (paid < interest) {
                (x, left) = take(left, interest - paid);
                a.interest += x;
                paid += x;
            }
            (x, left) = take(left, total - paid);
            a.principal += x;
            paid += x;
            s.outstanding -= x;
            if (paid == total) {
                s.cursor += 1;
                s.cursorPaid = 0;
            } else {
                s.cursorPaid = paid;
            }
        }
        if (left > 0) {
            a.prepaid = left;
            s.outstanding -= left;
            reamortize(s, 0);
        }
        if (s.outstanding == 0) s.cursor = s.rows;
    }

    /// @notice If `left` is more than the current installment's rest, or exactly the payoff, pays the
    ///         current period's interest to the day and all the rest as principal (the installment's
    ///         own, then early repayment), re-amortizing what remains; returns whether it did.
    function payToDay(
        State memory s,
        ILoanBook.Allocation memory a,
        uint256 left,
        uint256 time
    ) internal pure returns (bool) {
        uint256 i = s.cursor - s.baseStart;
        (uint256 accrued, uint256 elapsed) = accruedToDay(s, time);
        if (left <= s.interests[i] + s.principals[i] - s.cursorPaid && left != accrued + s.outstanding) return false;
        a.interest += accrued;
        left -= accrued;
        uint256 paidInterest = s.cursorPaid < s.interests[i] ? s.cursorPaid : s.interests[i];
        uint256 scheduled = s.principals[i] - (s.cursorPaid - paidInterest);
        if (scheduled > left) scheduled = left;
        a.principal += scheduled;
        a.prepaid = left - scheduled;
        s.outstanding -= left;
        s.cursorPaid = 0;
        if (s.outstanding != 0) reamortize(s, elapsed);
        return true;
    }

    /// @notice After an early repayment the rest is spread over the remaining installments (same
    ///         end date, smaller installments); if it is too small to spread it falls due in full
    ///         with the next installment.
    function reamortize(State memory s, uint256 offset) internal pure {
        if (s.outstanding == 0) return;
        uint256 periods = s.rows - s.cursor;
        if (!AnnuityMath.amortizes(s.outstanding, s.rate, periods, s.periodDays)) periods = 1;
        s.reamortized = true;
        s.baseStart = s.cursor;
        s.baseOffset = offset;
        s.rows = s.cursor + periods;
        (s.principals, s.interests) = baseSchedule(s.outstanding, s.rate, periods, s.periodDays, offset);
    }

    /// @notice Unpaid amount of installment `k` (k >= cursor).
    function unpaid(State memory s, uint256 k) internal pure returns (uint256 amount) {
        uint256 i = k - s.baseStart;
        amount = s.principals[i] + s.interests[i];
        if (k == s.cursor) amount -= s.cursorPaid;
    }

    /// @notice Due date of installment `k`: `(k + 1) * periodDays` days after disbursement.
    function dueDate(uint256 disbursedAt, uint256 periodDays, uint256 k) internal pure returns (uint256) {
        return disbursedAt + (k + 1) * periodDays * DAY;
    }

    /// @notice Whole days `time` is past `due` (0 if not past).
    function lateDays(uint256 due, uint256 time) internal pure returns (uint256) {
        return time > due ? (time - due) / DAY : 0;
    }

    function take(uint256 available, uint256 owed) private pure returns (uint256 taken, uint256 left) {
        taken = available < owed ? available : owed;
        left = available - taken;
    }
}

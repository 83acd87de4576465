// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SplitMath} from "./SplitMath.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {LoanClass, LoanStatus} from "../common/Types.sol";

/// @title LoanAccounting
/// @notice The loan book's money: each loan's funders, each lender's escrow, outstanding principal,
///         non-performing part and claimable balance, and the consortium totals. Linked into
///         LoanBook (external library over LoanBook's storage); every change here conserves units.
library LoanAccounting {
    /// @notice A lender's book, packed into four slots; a repayment of a normal loan touches only the first.
    struct Lender {
        uint128 outstanding; // principal lent and not yet returned
        uint128 claimable; // credited, not yet claimed
        uint128 escrow; // committed to loans not yet disbursed
        uint128 nonPerforming; // the part of `outstanding` in non-performing loans
        uint128[4] byClass; // the parts of `outstanding` in special mention, substandard, doubtful, loss loans
    }

    /// @notice What a loan's repayments have credited so far, in all.
    struct Credited {
        uint128 principal;
        uint128 income;
    }

    /// @notice All of it.
    struct Book {
        mapping(uint256 loanId => ILoanBook.Funder[]) funders; // index 0 is the lead
        mapping(uint256 loanId => mapping(address funder => uint256 indexPlusOne)) slots;
        mapping(address account => Lender) lenders;
        uint128 totalOutstanding;
        uint128 totalNonPerforming;
        mapping(uint256 loanId => Credited) credited;
    }

    uint256 private constant BPS = 10_000;

    /// @notice Writes a new loan's terms, in Funding, and opens its funders with the lead's escrowed share.
    function open(
        Book storage b,
        ILoanBook.Loan storage loan,
        uint256 loanId,
        ILoanBook.LoanTerms calldata terms,
        address borrower,
        uint256 leadAmount
    ) external {
        loan.pseudonym = terms.pseudonym;
        loan.borrower = borrower;
        loan.status = LoanStatus.Funding;
        loan.periods = uint8(terms.periods);
        loan.rows = uint8(terms.periods);
        loan.periodDays = uint16(terms.periodDays);
        loan.leadFundingBps = uint16(terms.leadFundingBps);
        loan.leadInterestBps = uint16(terms.leadInterestBps);
        loan.lead = msg.sender;
        loan.annualRateBps = uint32(terms.annualRateBps);
        loan.originatedAt = uint64(block.timestamp);
        loan.principal = uint128(terms.principal);
        loan.funded = uint128(leadAmount);
        loan.useCategory = terms.useCategory;
        b.funders[loanId].push(ILoanBook.Funder(msg.sender, uint96(leadAmount), 0, 0));
        b.slots[loanId][msg.sender] = 1;
        b.lenders[msg.sender].escrow += uint128(leadAmount);
    }

    /// @notice Escrows `amount` from `partner` for loan `loanId`, within the exposure cap and funder limit.
    function commit(
        Book storage b,
        uint256 loanId,
        address partner,
        uint256 amount,
        uint256 exposureCap,
        uint256 maxFunders
    ) external {
        Lender storage lender = b.lenders[partner];
        uint256 exposure = uint256(lender.escrow) + lender.outstanding + amount;
        if (exposure > exposureCap) revert ILoanBook.ExposureCapExceeded(partner, exposure, exposureCap);
        uint256 slot = b.slots[loanId][partner];
        ILoanBook.Funder[] storage fs = b.funders[loanId];
        if (slot == 0) {
            if (fs.length >= maxFunders) revert ILoanBook.TooManyFunders(loanId, maxFunders);
            fs.push(ILoanBook.Funder(partner, 0, 0, 0));
            slot = fs.length;
            b.slots[loanId][partner] = slot;
        }
        fs[slot - 1].funded += uint96(amount);
        lender.escrow += uint128(amount);
    }

    /// @notice Returns `amount` of `partner`'s commitment to loan `loanId` from escrow; a partner
    ///         left with nothing stops being a funder.
    function withdraw(Book storage b, uint256 loanId, address partner, uint256 amount) external {
        uint256 slot = b.slots[loanId][partner];
        // Slot 1 is the lead, whose share comes back only by cancelling the loan.
        if (slot <= 1) revert ILoanBook.CommitmentTooSmall(loanId, partner, 0);
        ILoanBook.Funder[] storage fs = b.funders[loanId];
        ILoanBook.Funder storage f = fs[slot - 1];
        if (amount > f.funded) revert ILoanBook.CommitmentTooSmall(loanId, partner, f.funded);
        f.funded -= uint96(amount);
        if (f.funded == 0) {
            ILoanBook.Funder storage last = fs[fs.length - 1];
            if (last.account != partner) {
                fs[slot - 1] = last;
                b.slots[loanId][last.account] = slot;
            }
            fs.pop();
            delete b.slots[loanId][partner];
        }
        b.lenders[partner].escrow -= uint128(amount);
    }

    /// @notice Refunds the lead's escrowed share of a cancelled loan; returns it.
    function refundLead(Book storage b, uint256 loanId) external returns (uint256 refund) {
        ILoanBook.Funder storage lead = b.funders[loanId][0];
        refund = lead.funded;
        lead.funded = 0;
        b.lenders[lead.account].escrow -= uint128(refund);
    }

    /// @notice Moves every funder's share of loan `loanId` from escrow to outstanding.
    function disburse(Book storage b, uint256 loanId, uint256 principal) external {
        ILoanBook.Funder[] storage fs = b.funders[loanId];
        for (uint256 i = 0; i < fs.length; i++) {
            Lender storage lender = b.lenders[fs[i].account];
            uint128 funded = fs[i].funded;
            lender.escrow -= funded;
            lender.outstanding += funded;
        }
        b.totalOutstanding += uint128(principal);
    }

    /// @notice Credits one repayment of loan `loanId` to its funders so that, over the loan's life,
    ///         each funder has received exactly the floor of its share of everything credited so
    ///         far: principal by funding share, income (interest, overdue interest, surcharge)
    ///         `leadBps` to the lead and the rest to the partners by funded amount. The few units
    ///         the floors leave (fewer than the number of funders) wait in the loan until it is
    ///         settled, when income is split by largest remainder and principal comes out exact, so
    ///         the lead ends within one unit of its share however many repayments there were.
    /// @param cls the loan's class (its principal leaves that class's balances)
    /// @param settled whether this repayment closed the loan (or an award's satisfaction did)
    function credit(
        Book storage b,
        uint256 loanId,
        uint256 principal,
        uint256 income,
        uint256 leadBps,
        LoanClass cls,
        bool settled
    ) external {
        bool nonPerforming = cls >= LoanClass.Substandard;
        ILoanBook.Funder[] storage fs = b.funders[loanId];
        (uint256[] memory principalTo, uint256[] memory incomeTo) = _cumulative(
            b.credited[loanId],
            fs,
            principal,
            income,
            leadBps,
            settled
        );
        for (uint256 i = 0; i < principalTo.length; i++) {
            ILoanBook.Funder storage f = fs[i];
            uint256 p = principalTo[i] - f.principalReturned;
            uint256 paid = p + incomeTo[i] - f.incomeReceived;
            if (paid == 0) continue;
            f.principalReturned = uint128(principalTo[i]);
            f.incomeReceived = uint128(incomeTo[i]);
            Lender storage lender = b.lenders[f.account];
            lender.outstanding -= uint128(p);
            if (cls != LoanClass.Normal) lender.byClass[uint8(cls) - 1] -= uint128(p);
            if (nonPerforming) lender.nonPerforming -= uint128(p);
            lender.claimable += uint128(paid);
        }
        b.totalOutstanding -= uint128(principal);
        if (nonPerforming) b.totalNonPerforming -= uint128(principal);
    }

    /// @dev Adds one repayment to the loan's credited totals and returns each funder's due in all.
    function _cumulative(
        Credited storage c,
        ILoanBook.Funder[] storage fs,
        uint256 principal,
        uint256 income,
        uint256 leadBps,
        bool settled
    ) private returns (uint256[] memory, uint256[] memory) {
        uint256 cumPrincipal = c.principal + principal;
        uint256 cumIncome = c.income + income;
        c.principal = uint128(cumPrincipal);
        c.income = uint128(cumIncome);
        return targets(fs, cumPrincipal, cumIncome, leadBps, settled);
    }

    /// @notice Each funder's cumulative due out of `cumPrincipal` and `cumIncome` credited in all:
    ///         floors of its exact shares, or, once `settled`, the exact split (largest remainder) of
    ///         both: a loan fully repaid splits its principal exactly by funding either way, and one
    ///         closed by an award leaves no unit of what was paid in the book.
    function targets(
        ILoanBook.Funder[] storage fs,
        uint256 cumPrincipal,
        uint256 cumIncome,
        uint256 leadBps,
        bool settled
    ) internal view returns (uint256[] memory principalTo, uint256[] memory incomeTo) {
        uint256 n = fs.length;
        uint256[] memory funded = new uint256[](n);
        uint256 total;
        for (uint256 i = 0; i < n; i++) {
            funded[i] = fs[i].funded;
            total += funded[i];
        }
        uint256 partners = total - funded[0];
        // Income weights: the lead leadBps of the whole, each partner (BPS - leadBps) x its funding share.
        uint256[] memory weights = new uint256[](n);
        weights[0] = leadBps * partners;
        for (uint256 i = 1; i < n; i++) weights[i] = (BPS - leadBps) * funded[i];
        if (settled)
            return (SplitMath.splitByWeights(cumPrincipal, funded), SplitMath.splitByWeights(cumIncome, weights));
        principalTo = new uint256[](n);
        for (uint256 i = 0; i < n; i++) principalTo[i] = Math.mulDiv(cumPrincipal, funded[i], total);
        incomeTo = new uint256[](n);
        for (uint256 i = 0; i < n; i++) incomeTo[i] = Math.mulDiv(cumIncome, weights[i], BPS * partners);
    }

    /// @notice Moves loan `loanId`'s outstanding principal from class `from` to class `to` in each
    ///         funder's balances (and into or out of the non-performing buckets when it crosses the line).
    function reclass(Book storage b, uint256 loanId, uint256 outstanding, LoanClass from, LoanClass to) external {
        bool wasNp = from >= LoanClass.Substandard;
        bool isNp = to >= LoanClass.Substandard;
        ILoanBook.Funder[] storage fs = b.funders[loanId];
        for (uint256 i = 0; i < fs.length; i++) {
            uint128 share = uint128(fs[i].funded - fs[i].principalReturned);
            if (share == 0) continue;
            Lender storage lender = b.lenders[fs[i].account];
            if (from != LoanClass.Normal) lender.byClass[uint8(from) - 1] -= share;
            if (to != LoanClass.Normal) lender.byClass[uint8(to) - 1] += share;
            if (isNp && !wasNp) lender.nonPerforming += share;
            else if (wasNp && !isNp) lender.nonPerforming -= share;
        }
        if (isNp && !wasNp) b.totalNonPerforming += uint128(outstanding);
        else if (wasNp && !isNp) b.totalNonPerforming -= uint128(outstanding);
    }

    /// @notice Takes loan `loanId`'s principal still outstanding (`outstanding`, in class `cls`) off
    ///         its funders' books: an award that covered less than the debt was satisfied. Each
    ///         funder's unreturned principal is its loss; nothing is credited.
    function writeOff(Book storage b, uint256 loanId, uint256 outstanding, LoanClass cls) external {
        ILoanBook.Funder[] storage fs = b.funders[loanId];
        for (uint256 i = 0; i < fs.length; i++) {
            uint128 share = uint128(fs[i].funded - fs[i].principalReturned);
            if (share == 0) continue;
            Lender storage lender = b.lenders[fs[i].account];
            lender.outstanding -= share;
            if (cls != LoanClass.Normal) lender.byClass[uint8(cls) - 1] -= share;
            if (cls >= LoanClass.Substandard) lender.nonPerforming -= share;
        }
        b.totalOutstanding -= uint128(outstanding);
        if (cls >= LoanClass.Substandard) b.totalNonPerforming -= uint128(outstanding);
    }

    /// @notice `account`'s outstanding principal by class, the provisions at `p`'s rates (each class
    ///         rounded down) and the coverage of its non-performing balance.
    function provisions(
        Book storage b,
        ILoanBook.Params storage p,
        address account
    ) external view returns (ILoanBook.Provisions memory r) {
        Lender storage lender = b.lenders[account];
        uint256[5] memory rates = [
            uint256(p.provisionNormalBps),
            p.provisionSpecialMentionBps,
            p.provisionSubstandardBps,
            p.provisionDoubtfulBps,
            p.provisionLossBps
        ];
        uint256 normal = lender.outstanding;
        for (uint256 c = 1; c < 5; c++) {
            r.balance[c] = lender.byClass[c - 1];
            normal -= r.balance[c];
        }
        r.balance[0] = normal;
        for (uint256 c = 0; c < 5; c++) {
            r.provision[c] = (r.balance[c] * rates[c]) / BPS;
            r.total += r.provision[c];
        }
        r.nonPerforming = lender.nonPerforming;
        r.coverageBps = r.nonPerforming == 0 ? 0 : (r.total * BPS) / r.nonPerforming;
    }

    /// @notice Zeroes and returns what `account` may claim.
    function takeClaimable(Book storage b, address account) external returns (uint256 amount) {
        Lender storage lender = b.lenders[account];
        amount = lender.claimable;
        if (amount == 0) revert ILoanBook.NothingToClaim(account);
        lender.claimable = 0;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SplitMath} from "./SplitMath.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {LoanStatus} from "../common/Types.sol";

/// @title LoanAccounting
/// @notice The loan book's money: each loan's funders, each lender's escrow, outstanding principal,
///         non-performing part and claimable balance, and the consortium totals. Linked into
///         LoanBook (external library over LoanBook's storage); every change here conserves units.
library LoanAccounting {
    /// @notice A lender's book, packed into two slots; a repayment of a performing loan touches only the first.
    struct Lender {
        uint128 outstanding; // principal lent and not yet returned
        uint128 claimable; // credited, not yet claimed
        uint128 escrow; // committed to loans not yet disbursed
        uint128 nonPerforming; // the part of `outstanding` in non-performing loans
    }

    /// @notice All of it.
    struct Book {
        mapping(uint256 loanId => ILoanBook.Funder[]) funders; // index 0 is the lead
        mapping(uint256 loanId => mapping(address funder => uint256 indexPlusOne)) slots;
        mapping(address account => Lender) lenders;
        uint128 totalOutstanding;
        uint128 totalNonPerforming;
    }

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

    /// @notice Credits one repayment of loan `loanId` to its funders: `principal` by each funder's
    ///         outstanding principal (its funding share, and never more than it lent), `income` by
    ///         interest share: `leadBps` to the lead, the rest to the partners by funded amount.
    /// @param nonPerforming whether the loan is classified non-performing
    function credit(
        Book storage b,
        uint256 loanId,
        uint256 principal,
        uint256 income,
        uint256 leadBps,
        bool nonPerforming
    ) external {
        ILoanBook.Funder[] storage fs = b.funders[loanId];
        (uint256[] memory principalParts, uint256[] memory incomeParts) = _split(fs, principal, income, leadBps);
        for (uint256 i = 0; i < principalParts.length; i++) {
            uint256 p = principalParts[i];
            uint256 inc = incomeParts[i];
            if (p == 0 && inc == 0) continue;
            ILoanBook.Funder storage f = fs[i];
            f.principalReturned += uint128(p);
            f.incomeReceived += uint128(inc);
            Lender storage lender = b.lenders[f.account];
            lender.outstanding -= uint128(p);
            if (nonPerforming) lender.nonPerforming -= uint128(p);
            lender.claimable += uint128(p + inc);
        }
        b.totalOutstanding -= uint128(principal);
        if (nonPerforming) b.totalNonPerforming -= uint128(principal);
    }

    function _split(
        ILoanBook.Funder[] storage fs,
        uint256 principal,
        uint256 income,
        uint256 leadBps
    ) private view returns (uint256[] memory principalParts, uint256[] memory incomeParts) {
        uint256 n = fs.length;
        uint256[] memory remaining = new uint256[](n);
        uint256[] memory partnerWeights = new uint256[](n - 1);
        for (uint256 i = 0; i < n; i++) {
            remaining[i] = fs[i].funded - fs[i].principalReturned;
            if (i > 0) partnerWeights[i - 1] = fs[i].funded;
        }
        principalParts = principal == 0 ? new uint256[](n) : SplitMath.splitByWeights(principal, remaining);
        (uint256 leadIncome, uint256 partnersIncome) = SplitMath.splitBps(income, leadBps);
        uint256[] memory partnerParts = SplitMath.splitByWeights(partnersIncome, partnerWeights);
        incomeParts = new uint256[](n);
        incomeParts[0] = leadIncome;
        for (uint256 i = 1; i < n; i++) incomeParts[i] = partnerParts[i - 1];
    }

    /// @notice Moves loan `loanId`'s outstanding principal into (or out of) the non-performing buckets.
    function setNonPerforming(Book storage b, uint256 loanId, uint256 outstanding, bool nonPerforming) external {
        ILoanBook.Funder[] storage fs = b.funders[loanId];
        for (uint256 i = 0; i < fs.length; i++) {
            uint128 share = uint128(fs[i].funded - fs[i].principalReturned);
            Lender storage lender = b.lenders[fs[i].account];
            if (nonPerforming) lender.nonPerforming += share;
            else lender.nonPerforming -= share;
        }
        if (nonPerforming) b.totalNonPerforming += uint128(outstanding);
        else b.totalNonPerforming -= uint128(outstanding);
    }

    /// @notice Zeroes and returns what `account` may claim.
    function takeClaimable(Book storage b, address account) external returns (uint256 amount) {
        Lender storage lender = b.lenders[account];
        amount = lender.claimable;
        if (amount == 0) revert ILoanBook.NothingToClaim(account);
        lender.claimable = 0;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ILoanBook} from "../lending/ILoanBook.sol";
import {LoanAccounting} from "../lending/LoanAccounting.sol";
import {LoanClass} from "../common/Types.sol";

/// @title LoanAccountingHarness
/// @notice Test-only: exposes every function of `LoanAccounting` over a book held here, as the loan
///         book holds it, with views of every balance it keeps.
contract LoanAccountingHarness {
    LoanAccounting.Book private _b;
    mapping(uint256 loanId => ILoanBook.Loan) private _loans;

    /// @notice Emitted with what `refundLead` and `takeClaimable` returned.
    event Returned(uint256 amount);

    /// @notice `LoanAccounting.open`, with the caller as lead.
    function open(uint256 loanId, ILoanBook.LoanTerms calldata terms, address borrower, uint256 leadAmount) external {
        LoanAccounting.open(_b, _loans[loanId], loanId, terms, borrower, leadAmount);
    }

    /// @notice `LoanAccounting.commit`.
    function commit(uint256 loanId, address partner, uint256 amount, uint256 exposureCap, uint256 maxFunders) external {
        LoanAccounting.commit(_b, loanId, partner, amount, exposureCap, maxFunders);
    }

    /// @notice `LoanAccounting.withdraw`.
    function withdraw(uint256 loanId, address partner, uint256 amount) external {
        LoanAccounting.withdraw(_b, loanId, partner, amount);
    }

    /// @notice `LoanAccounting.refundLead`.
    function refundLead(uint256 loanId) external {
        emit Returned(LoanAccounting.refundLead(_b, loanId));
    }

    /// @notice `LoanAccounting.disburse`.
    function disburse(uint256 loanId, uint256 principal) external {
        LoanAccounting.disburse(_b, loanId, principal);
    }

    /// @notice `LoanAccounting.credit`.
    function credit(
        uint256 loanId,
        uint256 principal,
        uint256 income,
        uint256 leadBps,
        LoanClass cls,
        bool settled
    ) external {
        LoanAccounting.credit(_b, loanId, principal, income, leadBps, cls, settled);
    }

    /// @notice `LoanAccounting.reclass`.
    function reclass(uint256 loanId, uint256 outstanding, LoanClass from, LoanClass to) external {
        LoanAccounting.reclass(_b, loanId, outstanding, from, to);
    }

    /// @notice `LoanAccounting.writeOff`.
    function writeOff(uint256 loanId, uint256 outstanding, LoanClass cls) external {
        LoanAccounting.writeOff(_b, loanId, outstanding, cls);
    }

    /// @notice `LoanAccounting.takeClaimable`.
    function takeClaimable(address account) external {
        emit Returned(LoanAccounting.takeClaimable(_b, account));
    }

    /// @notice `LoanAccounting.targets` of loan `loanId`'s funders.
    function targets(
        uint256 loanId,
        uint256 cumPrincipal,
        uint256 cumIncome,
        uint256 leadBps,
        bool settled
    ) external view returns (uint256[] memory, uint256[] memory) {
        return LoanAccounting.targets(_b.funders[loanId], cumPrincipal, cumIncome, leadBps, settled);
    }

    /// @notice Loan `loanId` as `open` wrote it.
    function loan(uint256 loanId) external view returns (ILoanBook.Loan memory) {
        return _loans[loanId];
    }

    /// @notice Loan `loanId`'s funders, lead first.
    function funders(uint256 loanId) external view returns (ILoanBook.Funder[] memory) {
        return _b.funders[loanId];
    }

    /// @notice `account`'s slot on loan `loanId` (index + 1; 0: not a funder).
    function slotOf(uint256 loanId, address account) external view returns (uint256) {
        return _b.slots[loanId][account];
    }

    /// @notice `account`'s book.
    function lender(address account) external view returns (LoanAccounting.Lender memory) {
        return _b.lenders[account];
    }

    /// @notice What loan `loanId`'s repayments credited in all.
    function credited(uint256 loanId) external view returns (LoanAccounting.Credited memory) {
        return _b.credited[loanId];
    }

    /// @notice The consortium totals.
    function totals() external view returns (uint256 outstanding, uint256 nonPerforming) {
        return (_b.totalOutstanding, _b.totalNonPerforming);
    }
}

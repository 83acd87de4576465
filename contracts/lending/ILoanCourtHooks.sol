// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {LoanStatus} from "../common/Types.sol";

/// @title What the arbitration court needs from the loan book
/// @notice Implemented by LoanBook; the court is bound once, at genesis.
interface ILoanCourtHooks {
    /// @notice Status of loan `loanId`.
    function loanStatus(uint256 loanId) external view returns (LoanStatus);

    /// @notice Whether `account` funded (is a lender of) loan `loanId`.
    function isLender(uint256 loanId, address account) external view returns (bool);

    /// @notice The borrower's account and pseudonym for loan `loanId`.
    function borrowerOf(uint256 loanId) external view returns (address account, bytes32 pseudonym);

    /// @notice Called by the court when a case opens on a defaulted loan: Defaulted → InArbitration.
    /// @param loanId the loan
    /// @param caseId the case
    function onCaseOpened(uint256 loanId, uint256 caseId) external;

    /// @notice Called by the court when the award is made: InArbitration → Awarded. The loan book
    ///         records the amount owed and lists the borrower as delinquent.
    /// @param loanId the loan
    /// @param caseId the case
    /// @param amountOwed what the award says the borrower owes, in settlement-token units
    function onAward(uint256 loanId, uint256 caseId, uint256 amountOwed) external;

    /// @notice Everything the borrower of `loanId` owes now (the `dues` payoff; 0 once repaid).
    function payoffOf(uint256 loanId) external view returns (uint256);
}

/// @title What the loan book tells the court
/// @notice Implemented by the arbitration court; called by the loan book it is bound to.
interface IAwardEnforcement {
    /// @notice Payments against the award of case `caseId` reached it (`paid` in all; `payer` made
    ///         the last one): the case closes.
    function onAwardSatisfied(uint256 caseId, uint256 paid, address payer) external;
}

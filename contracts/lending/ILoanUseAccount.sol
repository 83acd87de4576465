// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {ISettlementToken} from "./ISettlementToken.sol";

/// @title Restricted loan-use accounts
/// @notice A loan may disburse into a restricted account instead of the borrower's wallet. Its funds
///         can only be paid to payees the loan's lead bank approved in the loan's category, or back
///         to the lenders as repayment; they can never be withdrawn or sent anywhere else while the
///         loan is outstanding. Every
///         spend is a fact (kind LoanSpend, attrs = keccak256(abi.encode(payee, amount, purposeHash,
///         category))) on the loan's evidence chain, so the use of the loan can be followed.
interface ILoanUseAccount {
    /// @notice A loan's restricted account.
    struct Account {
        address borrower; // who may spend
        address lead; // whose payee approvals apply
        bytes32 category; // payee category the loan may be spent on
        uint128 balance; // unspent
        uint128 spent; // paid to payees so far
        uint128 returned; // paid back to the lenders so far
        uint32 spends; // number of spends
    }

    /// @notice Emitted when the loan book disburses a loan into its restricted account.
    event AccountOpened(uint256 indexed loanId, address indexed borrower, bytes32 indexed category, uint256 amount);
    /// @notice Emitted when a lead bank approves `payee` in `category` (0 revokes).
    event PayeeApproved(address indexed lead, address indexed payee, bytes32 indexed category);
    /// @notice Emitted when the borrower pays an approved payee.
    event Spent(uint256 indexed loanId, address indexed payee, uint256 amount, bytes32 purposeHash);
    /// @notice Emitted when the borrower takes what is left after the loan was repaid in full.
    event Released(uint256 indexed loanId, address indexed borrower, uint256 amount);
    /// @notice Emitted when unspent funds go back to the lenders as repayment.
    event ReturnedToLenders(uint256 indexed loanId, address indexed by, uint256 amount);

    /// @notice Loan `loanId` has no restricted account.
    error NoAccount(uint256 loanId);
    /// @notice Only `borrower` may spend from loan `loanId`'s account.
    error NotAccountBorrower(uint256 loanId, address borrower);
    /// @notice `payee` is not approved by the loan's lead bank in `category`.
    error PayeeNotApproved(address payee, bytes32 category);
    /// @notice `amount` exceeds the account's balance `balance`.
    error InsufficientBalance(uint256 loanId, uint256 amount, uint256 balance);
    /// @notice Loan `loanId`'s status (`status`, as `LoanStatus`) does not allow this: spending needs an
    ///         active loan, release a repaid one, a lead's return a loan no longer active.
    error AccountFrozen(uint256 loanId, uint8 status);
    /// @notice The payee is a consortium member, a module, or the borrower itself.
    error InvalidPayee(address payee);

    /// @notice The loan book opens loan `loanId`'s account with the `amount` it just transferred in.
    function onDisbursed(uint256 loanId, address borrower, address lead, bytes32 category, uint256 amount) external;

    /// @notice A lead bank approves `payee` for its loans' accounts in `category` (0 revokes).
    ///         Registers the payee as a holder of the settlement token.
    function approvePayee(address payee, bytes32 category) external;

    /// @notice The borrower pays `amount` to an approved `payee`; `purposeHash` is the salted hash of
    ///         the invoice or purpose statement.
    function spend(uint256 loanId, address payee, uint256 amount, bytes32 purposeHash) external;

    /// @notice Pays `amount` of the unspent funds back to the lenders as a repayment of the loan.
    ///         The borrower may do so at any time; the lead bank once the loan is in default.
    function returnToLenders(uint256 loanId, uint256 amount) external;

    /// @notice Once the loan is repaid in full (from elsewhere), the borrower takes what is left:
    ///         the funds are no longer the lenders' money.
    function release(uint256 loanId) external;

    /// @notice Loan `loanId`'s restricted account.
    function accountOf(uint256 loanId) external view returns (Account memory);

    /// @notice The category `lead` approved `payee` in (0: not approved).
    function payeeCategory(address lead, address payee) external view returns (bytes32);

    /// @notice The settlement token the account holds.
    function token() external view returns (ISettlementToken);

    /// @notice The loan book that disburses into the account.
    function loanBook() external view returns (ILoanBook);

    /// @notice The credit registry that says who is a borrower (a borrower is never a payee).
    function registry() external view returns (ICreditRegistry);
}

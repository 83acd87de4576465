// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {ILoanUseAccount} from "./ILoanUseAccount.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {IConsortiumLedger, ILedgerModule, LedgerModule} from "../ledger/LedgerModule.sol";
import {Kinds, LoanStatus, Role, Subjects} from "../common/Types.sol";
import {EmptyHash, NotLoanBook, ZeroAddress, ZeroAmount} from "../common/Errors.sol";

/// @title LoanUseAccount
/// @notice Restricted loan-use accounts: the loan book disburses into them, the borrower pays only
///         approved payees, and unspent funds can only go back to the lenders. There is no
///         function that sends funds anywhere else.
contract LoanUseAccount is LedgerModule, ILoanUseAccount {
    using SafeERC20 for ISettlementToken;

    /// @notice The settlement token.
    ISettlementToken public immutable token;
    /// @notice The loan book that disburses into the accounts.
    ILoanBook public immutable loanBook;
    /// @notice The loan book's credit registry (a payee may never be a borrower).
    ICreditRegistry public immutable registry;

    mapping(uint256 loanId => Account) private _accounts;
    mapping(address lead => mapping(address payee => bytes32 category)) private _payees;

    /// @param ledger_ the consortium ledger
    /// @param token_ the settlement token
    /// @param loanBook_ the loan book
    constructor(IConsortiumLedger ledger_, ISettlementToken token_, ILoanBook loanBook_) LedgerModule(ledger_) {
        if (address(token_) == address(0) || address(loanBook_) == address(0)) revert ZeroAddress();
        token = token_;
        loanBook = loanBook_;
        registry = loanBook_.registry();
    }

    /// @inheritdoc ILedgerModule
    function ownedKinds() external pure override returns (bytes32[] memory) {
        return Kinds.ofLoanUseAccount();
    }

    /// @inheritdoc ILoanUseAccount
    function onDisbursed(uint256 loanId, address borrower, address lead, bytes32 category, uint256 amount) external {
        if (msg.sender != address(loanBook)) revert NotLoanBook(msg.sender);
        _accounts[loanId] = Account({
            borrower: borrower,
            lead: lead,
            category: category,
            balance: uint128(amount),
            spent: 0,
            returned: 0,
            spends: 0
        });
        emit AccountOpened(loanId, borrower, category, amount);
    }

    /// @inheritdoc ILoanUseAccount
    function approvePayee(address payee, bytes32 category) external onlyRole(Role.LeadBank) {
        if (payee == address(0) || ledger.roleOf(payee) != Role.None || ledger.isModule(payee) || _isBorrower(payee))
            revert InvalidPayee(payee);
        _payees[msg.sender][payee] = category;
        emit PayeeApproved(msg.sender, payee, category);
        if (category != bytes32(0)) token.register(payee);
    }

    /// @inheritdoc ILoanUseAccount
    function spend(uint256 loanId, address payee, uint256 amount, bytes32 purposeHash) external {
        Account storage a = _accounts[loanId];
        if (a.borrower == address(0)) revert NoAccount(loanId);
        if (msg.sender != a.borrower) revert NotAccountBorrower(loanId, a.borrower);
        LoanStatus status = loanBook.loanStatus(loanId);
        if (status != LoanStatus.Active) revert AccountFrozen(loanId, uint8(status));
        if (amount == 0) revert ZeroAmount();
        if (purposeHash == bytes32(0)) revert EmptyHash();
        bytes32 category = a.category;
        if (_payees[a.lead][payee] != category) revert PayeeNotApproved(payee, category);
        // Checked at every spend: the payee may have become a borrower since it was approved.
        if (_isBorrower(payee)) revert InvalidPayee(payee);
        if (amount > a.balance) revert InsufficientBalance(loanId, amount, a.balance);
        a.balance -= uint128(amount);
        a.spent += uint128(amount);
        uint32 seq = ++a.spends;

        bytes32 subject = Subjects.loan(loanId);
        ledger.recordFact(
            msg.sender,
            subject,
            Kinds.LOAN_SPEND,
            _factHash(subject, seq),
            keccak256(abi.encode(payee, amount, purposeHash, category))
        );
        emit Spent(loanId, payee, amount, purposeHash);
        token.safeTransfer(payee, amount);
    }

    /// @inheritdoc ILoanUseAccount
    function returnToLenders(uint256 loanId, uint256 amount) external {
        Account storage a = _accounts[loanId];
        if (a.borrower == address(0)) revert NoAccount(loanId);
        if (msg.sender != a.borrower) {
            LoanStatus status = loanBook.loanStatus(loanId);
            if (msg.sender != a.lead) revert NotAccountBorrower(loanId, a.borrower);
            if (status == LoanStatus.Active) revert AccountFrozen(loanId, uint8(status));
        }
        if (amount == 0) revert ZeroAmount();
        if (amount > a.balance) revert InsufficientBalance(loanId, amount, a.balance);
        a.balance -= uint128(amount);
        a.returned += uint128(amount);
        emit ReturnedToLenders(loanId, msg.sender, amount);
        token.forceApprove(address(loanBook), amount);
        loanBook.repay(loanId, amount);
    }

    /// @inheritdoc ILoanUseAccount
    function release(uint256 loanId) external {
        Account storage a = _accounts[loanId];
        if (a.borrower == address(0)) revert NoAccount(loanId);
        if (msg.sender != a.borrower) revert NotAccountBorrower(loanId, a.borrower);
        LoanStatus status = loanBook.loanStatus(loanId);
        if (status != LoanStatus.Repaid) revert AccountFrozen(loanId, uint8(status));
        uint256 amount = a.balance;
        if (amount == 0) revert ZeroAmount();
        a.balance = 0;
        emit Released(loanId, msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ILoanUseAccount
    function accountOf(uint256 loanId) external view returns (Account memory) {
        return _accounts[loanId];
    }

    /// @inheritdoc ILoanUseAccount
    function payeeCategory(address lead, address payee) external view returns (bytes32) {
        return _payees[lead][payee];
    }

    /// @dev Whether `account` is a borrower account (a payee may not be a borrower: no round trips).
    function _isBorrower(address account) private view returns (bool) {
        return registry.pseudonymOf(account) != bytes32(0);
    }
}

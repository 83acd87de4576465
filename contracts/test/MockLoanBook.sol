// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ILoanCourtHooks} from "../lending/ILoanCourtHooks.sol";
import {IEvidenceLedger} from "../ledger/IEvidenceLedger.sol";
import {Kinds, LoanStatus, RecordInput} from "../common/Types.sol";

/// @title MockLoanBook
/// @notice Test double of the loan book as the court sees it: status, lenders and borrower are set
///         directly; the court's hooks move the status as the real loan book does. Enabled as a
///         module, it writes a loan's endorsed records (contract, default notice) as the loan book does.
contract MockLoanBook is ILoanCourtHooks {
    /// @notice Only the bound court may call the hooks.
    error NotCourt(address caller);
    /// @notice The court is bound already.
    error CourtAlreadyBound(address court);
    /// @notice The hook expects loan `loanId` in status `expected`; it is in `actual`.
    error WrongStatus(uint256 loanId, LoanStatus expected, LoanStatus actual);

    /// @notice Emitted when the court reported a case.
    event CaseReported(uint256 indexed loanId, uint256 indexed caseId);
    /// @notice Emitted when the court reported an award.
    event AwardReported(uint256 indexed loanId, uint256 indexed caseId, uint256 amountOwed);

    struct Borrower {
        address account;
        bytes32 pseudonym;
    }

    /// @notice The bound court.
    address public court;
    /// @notice Amount owed per loan, as the award said.
    mapping(uint256 loanId => uint256) public awardedAmount;
    /// @notice Borrowers listed delinquent by an award.
    mapping(bytes32 pseudonym => bool) public delinquent;

    mapping(uint256 loanId => LoanStatus) private _status;
    mapping(uint256 loanId => mapping(address account => bool)) private _lenders;
    mapping(uint256 loanId => Borrower) private _borrowers;

    /// @notice Commits a signed loan record on `ledger` with the caller as proposer, as the loan book's
    ///         `originate` and `declareDefault` do (the mock must be enabled there as a module).
    function commitFor(
        IEvidenceLedger ledger,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32) {
        return ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
    }

    /// @notice The loan book's kinds, which the mock writes in its place.
    function ownedKinds() external pure returns (bytes32[] memory) {
        return Kinds.ofLoanBook();
    }

    /// @notice Binds the court, once.
    function bindCourt(address court_) external {
        if (court != address(0)) revert CourtAlreadyBound(court);
        court = court_;
    }

    /// @notice Sets loan `loanId`'s status.
    function setStatus(uint256 loanId, LoanStatus status) external {
        _status[loanId] = status;
    }

    /// @notice Marks `account` as a lender (or not) of loan `loanId`.
    function setLender(uint256 loanId, address account, bool lender) external {
        _lenders[loanId][account] = lender;
    }

    /// @notice Sets the borrower of loan `loanId`.
    function setBorrower(uint256 loanId, address account, bytes32 pseudonym) external {
        _borrowers[loanId] = Borrower(account, pseudonym);
    }

    /// @inheritdoc ILoanCourtHooks
    function loanStatus(uint256 loanId) external view returns (LoanStatus) {
        return _status[loanId];
    }

    /// @inheritdoc ILoanCourtHooks
    function isLender(uint256 loanId, address account) external view returns (bool) {
        return _lenders[loanId][account];
    }

    /// @inheritdoc ILoanCourtHooks
    function borrowerOf(uint256 loanId) external view returns (address account, bytes32 pseudonym) {
        Borrower storage b = _borrowers[loanId];
        return (b.account, b.pseudonym);
    }

    mapping(uint256 loanId => uint256) private _payoff;
    mapping(uint256 loanId => uint256) private _daysPastDue;

    function setDaysPastDue(uint256 loanId, uint256 dpd) external {
        _daysPastDue[loanId] = dpd;
    }

    /// @notice As `ILoanBook.daysPastDue`: what case reviewers check besides the status.
    function daysPastDue(uint256 loanId) external view returns (uint256) {
        return _daysPastDue[loanId];
    }

    function setPayoff(uint256 loanId, uint256 payoff) external {
        _payoff[loanId] = payoff;
    }

    /// @inheritdoc ILoanCourtHooks
    function payoffOf(uint256 loanId) external view returns (uint256) {
        return _payoff[loanId];
    }

    /// @inheritdoc ILoanCourtHooks
    function onCaseOpened(uint256 loanId, uint256 caseId) external {
        _move(loanId, LoanStatus.Defaulted, LoanStatus.InArbitration);
        emit CaseReported(loanId, caseId);
    }

    /// @inheritdoc ILoanCourtHooks
    function onAward(uint256 loanId, uint256 caseId, uint256 amountOwed) external {
        _move(loanId, LoanStatus.InArbitration, LoanStatus.Awarded);
        awardedAmount[loanId] = amountOwed;
        if (amountOwed != 0) delinquent[_borrowers[loanId].pseudonym] = true;
        emit AwardReported(loanId, caseId, amountOwed);
    }

    function _move(uint256 loanId, LoanStatus from, LoanStatus to) private {
        if (msg.sender != court) revert NotCourt(msg.sender);
        if (_status[loanId] != from) revert WrongStatus(loanId, from, _status[loanId]);
        _status[loanId] = to;
    }
}

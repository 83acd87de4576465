// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// The library rules take and change a State in memory; the harness passes its argument through.
// solhint-disable gas-calldata-parameters

import {ICreditRegistry} from "../lending/ICreditRegistry.sol";
import {ILoanBook} from "../lending/ILoanBook.sol";
import {LoanEngine} from "../lending/LoanEngine.sol";
import {LoanStatus} from "../common/Types.sol";

/// @title LoanEngineHarness
/// @notice Test-only: exposes every function of `LoanEngine` over one loan held here, as the loan
///         book holds it, and its pure rules over a `State` passed in. It is also the credit
///         registry `checkBorrower` reads (a line set by the test).
contract LoanEngineHarness {
    ILoanBook.Loan private _loan;
    LoanEngine.Base[] private _bases;
    ICreditRegistry.CreditLine private _line;
    uint256 public surchargeBps = 5_000;

    /// @notice Emitted by `repay` with what `LoanEngine.repay` returned.
    event Repaid(ILoanBook.Allocation allocation, uint256 payoff, bool reamortized);

    // ---------------------------------------------------------------- the loan held here

    /// @notice Opens a loan of `principal` over `periods` of `periodDays`, disbursed at `disbursedAt` (0: not yet).
    function open(uint256 principal, uint256 rate, uint256 periods, uint256 periodDays, uint256 disbursedAt) external {
        delete _bases;
        delete _loan;
        _loan.status = LoanStatus.Active;
        _loan.periods = uint8(periods);
        _loan.rows = uint8(periods);
        _loan.periodDays = uint16(periodDays);
        _loan.annualRateBps = uint32(rate);
        _loan.disbursedAt = uint64(disbursedAt);
        _loan.principal = uint128(principal);
        _loan.outstanding = uint128(principal);
        _bases.push(LoanEngine.Base(0, uint8(periods), uint128(principal), 0));
    }

    /// @notice Sets the surcharge rate on overdue interest.
    function setSurchargeBps(uint256 bps) external {
        surchargeBps = bps;
    }

    /// @notice `LoanEngine.quote` of the loan now.
    function quote() external view returns (ILoanBook.Dues memory) {
        return LoanEngine.quote(_loan, _bases, surchargeBps);
    }

    /// @notice `LoanEngine.repay` of `amount` now, emitting what it returned.
    function repay(uint256 amount) external {
        (ILoanBook.Allocation memory a, uint256 payoff, bool reamortized) = LoanEngine.repay(
            _loan,
            _bases,
            amount,
            surchargeBps
        );
        emit Repaid(a, payoff, reamortized);
    }

    /// @notice `LoanEngine.rows` of the loan.
    function rows() external view returns (ILoanBook.Row[] memory) {
        return LoanEngine.rows(_loan, _bases);
    }

    /// @notice The loan as stored.
    function loan() external view returns (ILoanBook.Loan memory) {
        return _loan;
    }

    /// @notice The loan's amortizations.
    function bases() external view returns (LoanEngine.Base[] memory) {
        return _bases;
    }

    /// @notice `LoanEngine.load` of the loan.
    function load() external view returns (LoanEngine.State memory) {
        return LoanEngine.load(_loan, _bases, surchargeBps);
    }

    // ---------------------------------------------------------------- checks

    /// @notice `LoanEngine.installment`.
    function installment(
        uint256 principal,
        uint256 rate,
        uint256 periods,
        uint256 periodDays
    ) external pure returns (uint256) {
        return LoanEngine.installment(principal, rate, periods, periodDays);
    }

    /// @notice `LoanEngine.checkTerms`.
    function checkTerms(ILoanBook.LoanTerms calldata t, ILoanBook.Params calldata p) external pure returns (uint256) {
        return LoanEngine.checkTerms(t, p);
    }

    /// @notice Sets the credit line `creditLine` returns.
    function setLine(ICreditRegistry.CreditLine calldata line) external {
        _line = line;
    }

    /// @notice The registry view `checkBorrower` calls: the line set by the test, for any pseudonym.
    function creditLine(bytes32) external view returns (ICreditRegistry.CreditLine memory) {
        return _line;
    }

    /// @notice `LoanEngine.checkBorrower` against this contract as the registry.
    function checkBorrower(
        bytes32 pseudonym,
        uint256 principal,
        uint256 committed,
        address lead
    ) external view returns (address) {
        return LoanEngine.checkBorrower(address(this), pseudonym, principal, committed, lead);
    }

    /// @notice `LoanEngine.checkAssent` (its domain's verifying contract is this harness).
    function checkAssent(
        uint256 loanId,
        address borrower,
        bytes32 termsHash,
        bytes32 contractHash,
        ILoanBook.Assent calldata assent
    ) external {
        LoanEngine.checkAssent(loanId, borrower, termsHash, contractHash, assent);
    }

    // ---------------------------------------------------------------- rules over a state

    /// @notice `LoanEngine.accrue` to `time`; returns the accrued state.
    function accrue(LoanEngine.State memory s, uint256 time) external pure returns (LoanEngine.State memory) {
        LoanEngine.accrue(s, time);
        return s;
    }

    /// @notice `LoanEngine.dues` at `time`.
    function dues(LoanEngine.State memory s, uint256 time) external pure returns (ILoanBook.Dues memory) {
        return LoanEngine.dues(s, time);
    }

    /// @notice `LoanEngine.applyPayment` of `amount` at `time`; returns the allocation and the new state.
    function applyPayment(
        LoanEngine.State memory s,
        uint256 amount,
        uint256 time
    ) external pure returns (ILoanBook.Allocation memory a, LoanEngine.State memory) {
        a = LoanEngine.applyPayment(s, amount, time);
        return (a, s);
    }

    /// @notice `LoanEngine.payToDay` of `left` at `time`.
    function payToDay(
        LoanEngine.State memory s,
        uint256 left,
        uint256 time
    ) external pure returns (bool paid, ILoanBook.Allocation memory a, LoanEngine.State memory) {
        paid = LoanEngine.payToDay(s, a, left, time);
        return (paid, a, s);
    }

    /// @notice `LoanEngine.reamortize` with `offset` days already charged.
    function reamortize(LoanEngine.State memory s, uint256 offset) external pure returns (LoanEngine.State memory) {
        LoanEngine.reamortize(s, offset);
        return s;
    }

    /// @notice `LoanEngine.accruedToDay` at `time`.
    function accruedToDay(LoanEngine.State memory s, uint256 time) external pure returns (uint256, uint256) {
        return LoanEngine.accruedToDay(s, time);
    }

    /// @notice `LoanEngine.dueCount` at `time`.
    function dueCount(LoanEngine.State memory s, uint256 time) external pure returns (uint256) {
        return LoanEngine.dueCount(s, time);
    }

    /// @notice `LoanEngine.unpaid` of installment `k`.
    function unpaid(LoanEngine.State memory s, uint256 k) external pure returns (uint256) {
        return LoanEngine.unpaid(s, k);
    }

    /// @notice `LoanEngine.baseSchedule`.
    function baseSchedule(
        uint256 principal,
        uint256 rate,
        uint256 periods,
        uint256 periodDays,
        uint256 offset
    ) external pure returns (uint256[] memory, uint256[] memory) {
        return LoanEngine.baseSchedule(principal, rate, periods, periodDays, offset);
    }

    /// @notice `LoanEngine.dueDate`.
    function dueDate(uint256 disbursedAt, uint256 periodDays, uint256 k) external pure returns (uint256) {
        return LoanEngine.dueDate(disbursedAt, periodDays, k);
    }

    /// @notice `LoanEngine.lateDays`.
    function lateDays(uint256 due, uint256 time) external pure returns (uint256) {
        return LoanEngine.lateDays(due, time);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnnuityMath} from "../lending/AnnuityMath.sol";

/// @title AnnuityMathHarness
/// @notice Test-only: exposes AnnuityMath, batches whole schedules into one call and measures gas.
contract AnnuityMathHarness {
    /// @notice Terms of one loan, for batched calls.
    struct Terms {
        uint256 principal; // units (fen)
        uint256 annualRateBps; // annual rate in basis points
        uint256 periods; // number of installments
        uint256 periodDays; // days per period
    }

    /// @notice A whole schedule: the installment and each row's parts.
    struct Schedule {
        uint256 installment; // equal installment for every row but the last
        uint256[] principalParts; // principal repaid per row
        uint256[] interestParts; // interest paid per row
    }

    /// @notice See `AnnuityMath.installment`.
    function installment(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) external pure returns (uint256) {
        return AnnuityMath.installment(principal, annualRateBps, periods, periodDays);
    }

    /// @notice See `AnnuityMath.periodInterest`.
    function periodInterest(
        uint256 balance,
        uint256 annualRateBps,
        uint256 periodDays
    ) external pure returns (uint256) {
        return AnnuityMath.periodInterest(balance, annualRateBps, periodDays);
    }

    /// @notice See `AnnuityMath.scheduleRow`.
    function scheduleRow(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays,
        uint256 k
    ) external pure returns (uint256 principalPart, uint256 interestPart, uint256 balanceAfter) {
        return AnnuityMath.scheduleRow(principal, annualRateBps, periods, periodDays, k);
    }

    /// @notice See `AnnuityMath.schedule`.
    function schedule(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) external pure returns (uint256[] memory principalParts, uint256[] memory interestParts) {
        return AnnuityMath.schedule(principal, annualRateBps, periods, periodDays);
    }

    /// @notice See `AnnuityMath.surcharge`.
    function surcharge(uint256 overdueInterest_, uint256 surchargeBps) external pure returns (uint256) {
        return AnnuityMath.surcharge(overdueInterest_, surchargeBps);
    }

    /// @notice See `AnnuityMath.overdueInterest`.
    function overdueInterest(
        uint256 amountDue,
        uint256 annualRateBps,
        uint256 daysLate
    ) external pure returns (uint256) {
        return AnnuityMath.overdueInterest(amountDue, annualRateBps, daysLate);
    }

    /// @notice Installment and whole schedule of every loan in `batch`, in one call.
    /// @param batch the loans' terms; each must be valid or the whole call reverts
    function schedules(Terms[] calldata batch) external pure returns (Schedule[] memory out) {
        out = new Schedule[](batch.length);
        for (uint256 i = 0; i < batch.length; ++i) {
            Terms calldata t = batch[i];
            out[i].installment = AnnuityMath.installment(t.principal, t.annualRateBps, t.periods, t.periodDays);
            (out[i].principalParts, out[i].interestParts) = AnnuityMath.schedule(
                t.principal,
                t.annualRateBps,
                t.periods,
                t.periodDays
            );
        }
    }

    /// @notice Gas used inside the EVM by `installment` (no call or calldata overhead).
    function installmentGas(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) external view returns (uint256 amount, uint256 gasUsed) {
        uint256 before = gasleft();
        amount = AnnuityMath.installment(principal, annualRateBps, periods, periodDays);
        gasUsed = before - gasleft();
    }

    /// @notice Gas used inside the EVM by `schedule` (no call or calldata overhead).
    function scheduleGas(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        AnnuityMath.schedule(principal, annualRateBps, periods, periodDays);
        gasUsed = before - gasleft();
    }

    /// @notice Gas used inside the EVM by `scheduleRow` (no call or calldata overhead).
    function scheduleRowGas(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays,
        uint256 k
    ) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        AnnuityMath.scheduleRow(principal, annualRateBps, periods, periodDays, k);
        gasUsed = before - gasleft();
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {TermsDoNotAmortize} from "../common/Errors.sol";

/// @title AnnuityMath
/// @notice Equal-installment (等额本息) repayment schedules in exact integer money units, plus the
///         overdue interest and surcharge rules. Mirrored bit for bit by `clients/lending/math.ts`;
///         rules, bounds and a worked example are in docs/MONEY.md.
/// @dev Terms are (principal, annualRateBps, periods, periodDays). The rate per period is the
///      exact fraction r = annualRateBps * periodDays / (BPS * DAYS_PER_YEAR). The installment is
///      A = P * r * (1 + r)^n / ((1 + r)^n - 1), where g = (1 + r)^n - 1 is computed in fixed point
///      at scale SCALE = RATE_DENOMINATOR * PRECISION (so r itself is exact at that scale), every
///      product rounded down. Rounding g down rounds A up, so the computed value is never below
///      the exact annuity; it is then rounded UP to the unit. Walking the schedule with interest
///      rounded down therefore keeps every balance at or below the exact annuity's balance, and
///      the last row (which takes the remaining balance) never pays more than the installment.
///
///      Terms are valid when 1 <= principal <= MAX_PRINCIPAL, annualRateBps <= MAX_RATE_BPS,
///      1 <= periods <= MAX_PERIODS, 1 <= periodDays <= MAX_PERIOD_DAYS, (1 + r)^n - 1 <=
///      MAX_GROWTH, and the schedule amortizes (every row but the last leaves a positive balance,
///      which fails only for a principal of a few units spread over many periods). Every function
///      that takes terms reverts with `TermsDoNotAmortize` on exactly the same set of invalid terms.
library AnnuityMath {
    /// 1 = 1 basis point of annual rate; rate per period = annualRateBps * periodDays / (10_000 * 360)
    uint256 internal constant BPS = 10_000;
    /// @notice Day count: Chinese practice, daily rate = annual rate / 360 (docs/MONEY.md).
    uint256 internal constant DAYS_PER_YEAR = 360;
    /// @notice Denominator of every rate fraction: BPS * DAYS_PER_YEAR.
    uint256 internal constant RATE_DENOMINATOR = BPS * DAYS_PER_YEAR;
    /// @notice Extra fixed-point digits beyond RATE_DENOMINATOR used for (1 + r)^n - 1.
    uint256 internal constant PRECISION = 1e40;
    /// @notice Fixed-point scale of (1 + r)^n - 1; a multiple of RATE_DENOMINATOR so r is exact.
    uint256 internal constant SCALE = RATE_DENOMINATOR * PRECISION;
    /// @notice Largest principal accepted (units). 10^36 units is far beyond any real loan.
    uint256 internal constant MAX_PRINCIPAL = 1e36;
    /// @notice Largest annual rate accepted, in basis points (360% a year).
    uint256 internal constant MAX_RATE_BPS = 36_000;
    /// @notice Most periods accepted (ten years of daily installments).
    uint256 internal constant MAX_PERIODS = 3_650;
    /// @notice Longest period accepted, in days (ten years).
    uint256 internal constant MAX_PERIOD_DAYS = 3_660;
    /// @notice Largest accepted (1 + r)^n - 1, the growth of one unit left unpaid for the whole term.
    uint256 internal constant MAX_GROWTH = 1e12;
    /// @notice Default overdue surcharge: 50% of the overdue interest.
    uint256 internal constant DEFAULT_SURCHARGE_BPS = 5_000;

    /// @notice Row `k` was asked of a schedule with only `periods` rows.
    error RowOutOfRange(uint256 k, uint256 periods);

    /// Equal installment (principal + interest) for every period but the last, rounded UP to the unit.
    /// @dev Walks the schedule once to check it amortizes, so success here means every
    ///      `scheduleRow` and `schedule` call on the same terms succeeds.
    function installment(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) internal pure returns (uint256 amount) {
        amount = _installment(principal, annualRateBps, periods, periodDays);
        _walk(principal, annualRateBps, periods, periodDays, amount, periods);
    }

    /// Whether the terms amortize (`installment` would not revert), without reverting.
    /// @dev The same range, growth and walk checks as `installment`, answered as a boolean, so a
    ///      caller can fall back without an external call to catch the revert.
    function amortizes(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) internal pure returns (bool) {
        if (
            principal == 0 ||
            principal > MAX_PRINCIPAL ||
            annualRateBps > MAX_RATE_BPS ||
            periods == 0 ||
            periods > MAX_PERIODS ||
            periodDays == 0 ||
            periodDays > MAX_PERIOD_DAYS
        ) return false;
        uint256 rateNumerator = annualRateBps * periodDays;
        uint256 amount;
        if (annualRateBps == 0) {
            amount = Math.ceilDiv(principal, periods);
        } else {
            uint256 growth = _growth(rateNumerator * PRECISION, periods);
            if (growth == 0) return false;
            amount = Math.mulDiv(
                principal * rateNumerator,
                SCALE + growth,
                RATE_DENOMINATOR * growth,
                Math.Rounding.Ceil
            );
        }
        uint256 balance = principal;
        for (uint256 i = 0; i < periods; ++i) {
            (uint256 part, ) = _row(balance, rateNumerator, amount, i + 1 == periods);
            if (part == 0) return false;
            unchecked {
                balance -= part;
            }
        }
        return true;
    }

    /// Interest owed for one period on `balance`: floor(balance * annualRateBps * periodDays / (BPS * DAYS_PER_YEAR)).
    /// @dev Panics (0x11) only if annualRateBps * periodDays or the result does not fit 256 bits.
    function periodInterest(
        uint256 balance,
        uint256 annualRateBps,
        uint256 periodDays
    ) internal pure returns (uint256) {
        return Math.mulDiv(balance, annualRateBps * periodDays, RATE_DENOMINATOR);
    }

    /// Row k (0-based) of the schedule: (principalPart, interestPart, balanceAfter). Computed by walking the schedule.
    /// @dev Walks the whole schedule (not only up to `k`), so it reverts on exactly the terms
    ///      `installment` and `schedule` revert on.
    function scheduleRow(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays,
        uint256 k
    ) internal pure returns (uint256 principalPart, uint256 interestPart, uint256 balanceAfter) {
        uint256 amount = _installment(principal, annualRateBps, periods, periodDays);
        if (k >= periods) revert RowOutOfRange(k, periods);
        return _walk(principal, annualRateBps, periods, periodDays, amount, k);
    }

    /// The whole schedule: arrays of principal parts and interest parts (length = periods).
    function schedule(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) internal pure returns (uint256[] memory principalParts, uint256[] memory interestParts) {
        uint256 amount = _installment(principal, annualRateBps, periods, periodDays);
        principalParts = new uint256[](periods);
        interestParts = new uint256[](periods);
        uint256 rateNumerator = annualRateBps * periodDays;
        uint256 balance = principal;
        for (uint256 i = 0; i < periods; ++i) {
            (uint256 part, uint256 interest) = _row(balance, rateNumerator, amount, i + 1 == periods);
            if (part == 0) revert TermsDoNotAmortize(principal, annualRateBps, periods, periodDays);
            unchecked {
                balance -= part;
            }
            principalParts[i] = part;
            interestParts[i] = interest;
        }
    }

    /// Overdue surcharge: floor(overdueInterest * surchargeBps / BPS)  (default surchargeBps 5_000 = 50%).
    function surcharge(uint256 overdueInterest_, uint256 surchargeBps) internal pure returns (uint256) {
        return Math.mulDiv(overdueInterest_, surchargeBps, BPS);
    }

    /// Overdue (penalty) interest for `daysLate` days on `amountDue` at `annualRateBps`: floor(amountDue * annualRateBps * daysLate / (BPS * DAYS_PER_YEAR)).
    /// @dev Panics (0x11) only if annualRateBps * daysLate or the result does not fit 256 bits.
    function overdueInterest(
        uint256 amountDue,
        uint256 annualRateBps,
        uint256 daysLate
    ) internal pure returns (uint256) {
        return Math.mulDiv(amountDue, annualRateBps * daysLate, RATE_DENOMINATOR);
    }

    /// @notice The installment before the amortization check: validates the ranges and the
    ///         growth bound, then ceil(P * N * (SCALE + g) / (RATE_DENOMINATOR * g)) with
    ///         N = annualRateBps * periodDays and g = (1 + r)^n - 1 at SCALE, rounded down;
    ///         ceil(P / n) at rate 0.
    function _installment(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) private pure returns (uint256) {
        if (
            principal == 0 ||
            principal > MAX_PRINCIPAL ||
            annualRateBps > MAX_RATE_BPS ||
            periods == 0 ||
            periods > MAX_PERIODS ||
            periodDays == 0 ||
            periodDays > MAX_PERIOD_DAYS
        ) revert TermsDoNotAmortize(principal, annualRateBps, periods, periodDays);
        if (annualRateBps == 0) return Math.ceilDiv(principal, periods);
        uint256 rateNumerator = annualRateBps * periodDays;
        uint256 growth = _growth(rateNumerator * PRECISION, periods);
        if (growth == 0) revert TermsDoNotAmortize(principal, annualRateBps, periods, periodDays);
        return Math.mulDiv(principal * rateNumerator, SCALE + growth, RATE_DENOMINATOR * growth, Math.Rounding.Ceil);
    }

    /// @notice (1 + r)^n - 1 at SCALE, by square-and-multiply on g (not on 1 + g, which would
    ///         cancel digits): (1 + a)(1 + b) - 1 = a + b + a * b. Every product rounds down.
    ///         Returns 0 if any value computed exceeds MAX_GROWTH * SCALE; no unused square is
    ///         computed, so every intermediate is at most the result and the test is exactly
    ///         "result > MAX_GROWTH * SCALE".
    /// @param rate r at SCALE (exact), > 0
    /// @param n exponent, > 0
    function _growth(uint256 rate, uint256 n) private pure returns (uint256 acc) {
        uint256 limit = MAX_GROWTH * SCALE;
        uint256 base = rate;
        while (true) {
            if (n & 1 == 1) {
                acc = acc + base + Math.mulDiv(acc, base, SCALE);
                if (acc > limit) return 0;
            }
            n >>= 1;
            if (n == 0) return acc;
            base = 2 * base + Math.mulDiv(base, base, SCALE);
            if (base > limit) return 0;
        }
    }

    /// @notice Walks the whole schedule, reverting if it does not amortize, and returns row `k`
    ///         (all zeros when k >= periods, used by `installment` as a pure check).
    function _walk(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays,
        uint256 amount,
        uint256 k
    ) private pure returns (uint256 principalPart, uint256 interestPart, uint256 balanceAfter) {
        uint256 rateNumerator = annualRateBps * periodDays;
        uint256 balance = principal;
        for (uint256 i = 0; i < periods; ++i) {
            (uint256 part, uint256 interest) = _row(balance, rateNumerator, amount, i + 1 == periods);
            if (part == 0) revert TermsDoNotAmortize(principal, annualRateBps, periods, periodDays);
            unchecked {
                balance -= part;
            }
            if (i == k) (principalPart, interestPart, balanceAfter) = (part, interest, balance);
        }
    }

    /// @notice One row on `balance` (> 0 after a valid previous row): interest = periodInterest
    ///         (balance * rateNumerator cannot overflow within the bounds); principal part =
    ///         amount - interest, or the whole balance in the last row. Returns part 0 when a
    ///         row but the last would not leave a positive balance (interest >= amount cannot
    ///         happen, since amount >= the exact annuity > principal * r, but is checked too).
    function _row(
        uint256 balance,
        uint256 rateNumerator,
        uint256 amount,
        bool last
    ) private pure returns (uint256 part, uint256 interest) {
        unchecked {
            interest = (balance * rateNumerator) / RATE_DENOMINATOR;
            if (last) return (balance, interest);
            if (interest >= amount || amount - interest >= balance) return (0, interest);
            part = amount - interest;
        }
    }
}

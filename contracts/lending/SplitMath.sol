// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title SplitMath
/// @notice Exact splits of an amount among funders: no unit is lost or created. Mirrored bit for
///         bit by `clients/lending/math.ts`; rules in docs/MONEY.md.
library SplitMath {
    /// @notice Denominator of a basis-point share.
    uint256 internal constant BPS = 10_000;

    /// @notice `weights` is empty or sums to zero, so there is no proportion to split by.
    error InvalidWeights(uint256 count, uint256 totalWeight);
    /// @notice A basis-point share above 10_000 (100%).
    error InvalidBps(uint256 bps);

    /// Splits `amount` among holders in proportion to `weights` (e.g. funded principal), exactly:
    /// each gets floor(amount * w_i / sum(w)), and the remainder units go one each to holders in
    /// order of largest fractional remainder (ties: lowest index). sum(out) == amount always.
    /// @dev Largest-remainder (Hamilton) rule: every part is the floor or the ceiling of its exact
    ///      share, so it is within 1 unit of it. A zero weight always gets 0. The remainder is
    ///      below the number of holders; each remainder unit costs one scan of the holders.
    ///      Panics (0x11) only if the weights' sum does not fit 256 bits.
    function splitByWeights(uint256 amount, uint256[] memory weights) internal pure returns (uint256[] memory parts) {
        uint256 count = weights.length;
        uint256 total;
        for (uint256 i = 0; i < count; ++i) total += weights[i];
        if (total == 0) revert InvalidWeights(count, total);
        parts = new uint256[](count);
        uint256[] memory remainders = new uint256[](count);
        uint256 left = amount;
        for (uint256 i = 0; i < count; ++i) {
            uint256 part = Math.mulDiv(amount, weights[i], total);
            parts[i] = part;
            remainders[i] = mulmod(amount, weights[i], total);
            left -= part;
        }
        // `left` < count, and more than `left` holders have a nonzero remainder.
        for (; left > 0; --left) {
            uint256 best;
            // Read-only scan for the first largest remainder, without bounds checks (i < count).
            assembly ("memory-safe") {
                let data := add(remainders, 0x20)
                let bestRemainder := mload(data)
                for {
                    let i := 1
                } lt(i, count) {
                    i := add(i, 1)
                } {
                    let r := mload(add(data, shl(5, i)))
                    if gt(r, bestRemainder) {
                        best := i
                        bestRemainder := r
                    }
                }
            }
            unchecked {
                ++parts[best]; // parts[best] <= amount - left < 2^256 - 1
            }
            remainders[best] = 0;
        }
    }

    /// Splits `amount` into (leadPart, partnersPart) with leadPart = floor(amount * leadBps / 10_000), partnersPart = amount - leadPart.
    function splitBps(uint256 amount, uint256 leadBps) internal pure returns (uint256 leadPart, uint256 partnersPart) {
        if (leadBps > BPS) revert InvalidBps(leadBps);
        leadPart = Math.mulDiv(amount, leadBps, BPS);
        partnersPart = amount - leadPart;
    }
}

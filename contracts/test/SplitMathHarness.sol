// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SplitMath} from "../lending/SplitMath.sol";

/// @title SplitMathHarness
/// @notice Test-only: exposes SplitMath, batches splits into one call and measures gas.
contract SplitMathHarness {
    /// @notice See `SplitMath.splitByWeights`.
    function splitByWeights(uint256 amount, uint256[] calldata weights) external pure returns (uint256[] memory) {
        return SplitMath.splitByWeights(amount, weights);
    }

    /// @notice See `SplitMath.splitBps`.
    function splitBps(uint256 amount, uint256 leadBps) external pure returns (uint256 leadPart, uint256 partnersPart) {
        return SplitMath.splitBps(amount, leadBps);
    }

    /// @notice `splitByWeights` of every (amounts[i], weights[i]) pair, in one call.
    function splitByWeightsBatch(
        uint256[] calldata amounts,
        uint256[][] calldata weights
    ) external pure returns (uint256[][] memory out) {
        out = new uint256[][](amounts.length);
        for (uint256 i = 0; i < amounts.length; ++i) out[i] = SplitMath.splitByWeights(amounts[i], weights[i]);
    }

    /// @notice `splitBps` of every amounts[i] at `leadBps`, in one call.
    function splitBpsBatch(
        uint256[] calldata amounts,
        uint256 leadBps
    ) external pure returns (uint256[] memory leadParts, uint256[] memory partnersParts) {
        leadParts = new uint256[](amounts.length);
        partnersParts = new uint256[](amounts.length);
        for (uint256 i = 0; i < amounts.length; ++i) {
            (leadParts[i], partnersParts[i]) = SplitMath.splitBps(amounts[i], leadBps);
        }
    }

    /// @notice Gas used inside the EVM by `splitByWeights` (no call or calldata overhead).
    function splitByWeightsGas(uint256 amount, uint256[] calldata weights) external view returns (uint256 gasUsed) {
        uint256[] memory w = weights;
        uint256 before = gasleft();
        SplitMath.splitByWeights(amount, w);
        gasUsed = before - gasleft();
    }
}

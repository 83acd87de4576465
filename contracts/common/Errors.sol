// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Errors shared by several contracts, declared once.

/// @notice An address argument was the zero address.
error ZeroAddress();
/// @notice An amount argument was zero.
error ZeroAmount();
/// @notice A hash argument was zero.
error EmptyHash();
/// @notice Only the ledger's genesis administrator may do this, and only before the consortium is sealed.
error NotGenesisAdmin(address caller);

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
/// @notice A record passed in belongs to another subject or kind than the call requires.
error RecordMismatch(bytes32 expectedSubject, bytes32 expectedKind, bytes32 subject, bytes32 kind);
/// @notice Only an active bank (a lead or partner voting member) may do this; `caller` is not one.
error NotBank(address caller);
/// @notice Only the loan book may do this; `caller` is not it.
error NotLoanBook(address caller);
/// @notice The record's `attrs` do not hash the call's arguments.
error AttrsMismatch(bytes32 expected, bytes32 given);
/// @notice The terms cannot be amortized (`AnnuityMath`): a zero or out-of-range argument, a growth
///         factor above `MAX_GROWTH`, or a schedule that would repay everything before its last row.
error TermsDoNotAmortize(uint256 principal, uint256 annualRateBps, uint256 periods, uint256 periodDays);

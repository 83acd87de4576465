// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IEvidenceLedger} from "./IEvidenceLedger.sol";
import {IMembership} from "../consortium/IMembership.sol";
import {Role} from "../common/Types.sol";

/// @title The ledger as a lending module sees it
/// @notice Membership, records, and the genesis administrator (who wires modules together before sealing).
interface IConsortiumLedger is IEvidenceLedger, IMembership {
    /// @notice The genesis administrator, or the zero address once sealed.
    function genesisAdmin() external view returns (address);
}

/// @title Base of the lending modules
/// @notice Holds the ledger, gates callers by consortium role, and appends on-chain facts with
///         content hashes unique per module and sequence number.
abstract contract LedgerModule {
    /// @notice The consortium ledger this module writes to.
    IConsortiumLedger public immutable ledger;

    /// @notice `caller` does not hold `required` in the consortium.
    error WrongRole(address caller, Role required);
    /// @notice Only the ledger's genesis administrator may do this, and only before sealing.
    error NotGenesisAdmin(address caller);
    /// @notice The contract was already bound to `current`.
    error AlreadyBound(address current);
    /// @notice An address argument was zero.
    error ZeroAddress();
    /// @notice A record passed in belongs to another subject or kind than the call requires.
    error RecordMismatch(bytes32 expectedSubject, bytes32 expectedKind, bytes32 subject, bytes32 kind);
    /// @notice The record's `attrs` do not hash the call's arguments.
    error AttrsMismatch(bytes32 expected, bytes32 given);

    /// @param ledger_ the consortium ledger
    constructor(IConsortiumLedger ledger_) {
        if (address(ledger_) == address(0)) revert ZeroAddress();
        ledger = ledger_;
    }

    modifier onlyRole(Role role) {
        if (ledger.roleOf(msg.sender) != role) revert WrongRole(msg.sender, role);
        _;
    }

    modifier onlyGenesisAdmin() {
        if (msg.sender != ledger.genesisAdmin() || msg.sender == address(0)) revert NotGenesisAdmin(msg.sender);
        _;
    }

    /// @dev Content hash of this module's fact number `seq` on `subject`: unique per module,
    ///      subject and sequence, so the ledger never sees the same fact twice.
    function _factHash(bytes32 subject, uint256 seq) internal view returns (bytes32) {
        return keccak256(abi.encode(address(this), subject, seq));
    }
}

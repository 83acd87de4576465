// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IEvidenceLedger} from "./IEvidenceLedger.sol";
import {IMembership} from "../consortium/IMembership.sol";
import {RecordInput, Role} from "../common/Types.sol";
import {AttrsMismatch, NotGenesisAdmin, RecordMismatch, ZeroAddress} from "../common/Errors.sol";

/// @title The ledger as a lending module sees it
/// @notice Membership, records, and the genesis administrator (who wires modules together before sealing).
interface IConsortiumLedger is IEvidenceLedger, IMembership {
    /// @notice The genesis administrator, or the zero address once sealed.
    function genesisAdmin() external view returns (address);
}

/// @title A consortium module as others see it
interface ILedgerModule {
    /// @notice The consortium ledger this module writes to.
    function ledger() external view returns (IConsortiumLedger);

    /// @notice The module-owned kinds (`Kinds.moduleOwned`) this module writes. The ledger records
    ///         the module as their one owner when it enables it, and takes them from no other module.
    function ownedKinds() external view returns (bytes32[] memory);
}

/// @notice Content hash of module `module`'s fact number `seq` on `subject`: unique per module,
///         subject and sequence, so the ledger never sees the same fact twice.
function factHash(address module, bytes32 subject, uint256 seq) pure returns (bytes32) {
    return keccak256(abi.encode(module, subject, seq));
}

/// @notice Checks that `record` is of `kind` on `subject`, for a kind whose attrs are the endorsers' own.
function checkPlace(bytes32 subject, bytes32 kind, RecordInput calldata record) pure {
    if (record.subject != subject || record.kind != kind) {
        revert RecordMismatch(subject, kind, record.subject, record.kind);
    }
}

/// @notice Checks that `record` is of `kind` on `subject` and that its attrs are `attrs` (the hash
///         of the call's arguments), so the endorsers signed what the call does.
function checkRecord(bytes32 subject, bytes32 kind, bytes32 attrs, RecordInput calldata record) pure {
    checkPlace(subject, kind, record);
    if (record.attrs != attrs) revert AttrsMismatch(attrs, record.attrs);
}

/// @title Base of the lending modules
/// @notice Holds the ledger, gates callers by consortium role, and appends on-chain facts with
///         content hashes unique per module and sequence number.
abstract contract LedgerModule is ILedgerModule {
    /// @notice The consortium ledger this module writes to.
    IConsortiumLedger public immutable ledger;

    /// @notice `caller` does not hold `required` in the consortium.
    error WrongRole(address caller, Role required);
    /// @notice The contract was already bound to `current`.
    error AlreadyBound(address current);

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
        // The sealed ledger's admin is the zero address, which sends no transactions.
        if (msg.sender != ledger.genesisAdmin()) revert NotGenesisAdmin(msg.sender);
        _;
    }

    /// @inheritdoc ILedgerModule
    /// @dev None by default: a module that writes no module-owned kind (the token, the cycle settlement).
    function ownedKinds() external view virtual returns (bytes32[] memory kinds) {}

    /// @dev Content hash of this module's fact number `seq` on `subject`: unique per module,
    ///      subject and sequence, so the ledger never sees the same fact twice.
    function _factHash(bytes32 subject, uint256 seq) internal view returns (bytes32) {
        return factHash(address(this), subject, seq);
    }
}

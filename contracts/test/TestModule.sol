// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IEvidenceLedger} from "../ledger/IEvidenceLedger.sol";
import {RecordInput} from "../common/Types.sol";

/// @title TestModule
/// @notice Test-only consortium module: forwards endorsed records and reports numbered facts
///         through the ledger, as the lending and arbitration modules do. It declares the
///         module-owned kinds it is deployed with (`ownedKinds`), as a real module declares its own.
contract TestModule {
    /// @notice The ledger this module writes through.
    IEvidenceLedger public immutable ledger;
    /// @notice Facts reported so far; numbers each fact's content so it is unique per subject.
    uint256 public factCount;

    bytes32[] private _kinds;

    /// @param ledger_ the consortium's ledger
    /// @param kinds the module-owned kinds this module claims when enabled
    constructor(IEvidenceLedger ledger_, bytes32[] memory kinds) {
        ledger = ledger_;
        _kinds = kinds;
    }

    /// @notice The module-owned kinds this module writes.
    function ownedKinds() external view returns (bytes32[] memory) {
        return _kinds;
    }

    /// @notice Commits a signed record on behalf of the caller.
    function commitFor(
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32) {
        return ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
    }

    /// @notice Reports a fact whose content hash is this module's next sequence number.
    function reportFact(bytes32 subject, bytes32 kind, bytes32 attrs) external returns (bytes32) {
        bytes32 content = keccak256(abi.encode(address(this), ++factCount));
        return ledger.recordFact(msg.sender, subject, kind, content, attrs);
    }

    /// @notice Reports a fact with a content hash of the caller's choosing (to test the ledger's checks).
    function reportRawFact(bytes32 subject, bytes32 kind, bytes32 content, bytes32 attrs) external returns (bytes32) {
        return ledger.recordFact(msg.sender, subject, kind, content, attrs);
    }
}

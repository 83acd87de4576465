// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title The net settlement of a batched lending cycle
/// @notice Implemented by `CycleSettlement` (docs/CYCLE.md).
interface ICycleSettlement {
    /// @notice Emitted once per cycle when its net settlement was executed.
    event CycleSettled(
        bytes32 indexed cycleSubject,
        bytes32 indexed root,
        bytes32 stateRoot,
        address indexed executor,
        uint256 transfers,
        uint256 gross
    );

    /// @notice The cycle was settled already, against `root`.
    error AlreadySettled(bytes32 cycleSubject, bytes32 root);
    /// @notice The close leaf with these values is not in a batch root committed on the cycle subject.
    error CloseLeafNotCommitted(bytes32 cycleSubject, bytes32 root);
    /// @notice `accounts` and `nets` differ in length or are empty.
    error MalformedSettlement(uint256 accounts, uint256 nets);
    /// @notice The nets must add up to zero; they add up to `sum`.
    error SettlementUnbalanced(int256 sum);
    /// @notice The hub `account` (accounts[0]) is not the lead bank.
    error HubNotLeadBank(address account);

    /// @notice The settlement token net transfers are made in.
    function token() external view returns (IERC20);

    /// @notice The closing root cycle `cycleSubject` was settled against (zero: not settled yet).
    function settledRoot(bytes32 cycleSubject) external view returns (bytes32);

    /// @notice The close leaf's hash in the standard tree: keccak256(keccak256(abi.encode(values))).
    function closeLeafHash(
        bytes32 cycleSubject,
        bytes32 stateRoot,
        bytes32 chunksHash,
        address[] calldata accounts,
        int256[] calldata nets
    ) external pure returns (bytes32);

    /// @notice The close leaf's values [subject, kind, contentHash, attrs] as the ledger hashes them.
    function closeLeaf(
        bytes32 cycleSubject,
        bytes32 stateRoot,
        bytes32 chunksHash,
        address[] calldata accounts,
        int256[] calldata nets
    ) external pure returns (bytes32[4] memory);

    /// @notice Executes cycle `cycleSubject`'s net settlement against its closing `root`, once: a
    ///         bank sends it; the close leaf must be in `root`, committed by `commitBatch` on the
    ///         cycle's subject.
    /// @param root the closing batch root committed on `cycleSubject`
    /// @param stateRoot the loan book's state commitment after the cycle (in the close leaf)
    /// @param chunksHash keccak256(abi.encode(bytes32[])) of the cycle's earlier batch roots
    /// @param accounts the funders, lead bank first
    /// @param nets each funder's net in token units: positive is paid to it, negative paid by it
    /// @param proof the close leaf's inclusion proof
    function settle(
        bytes32 cycleSubject,
        bytes32 root,
        bytes32 stateRoot,
        bytes32 chunksHash,
        address[] calldata accounts,
        int256[] calldata nets,
        bytes32[] calldata proof
    ) external;
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IConsortiumLedger, LedgerModule} from "../ledger/LedgerModule.sol";
import {ICycleSettlement} from "./ICycleSettlement.sol";
import {Role} from "../common/Types.sol";
import {NotBank, ZeroAddress} from "../common/Errors.sol";

/// @title CycleSettlement
/// @notice Executes the net settlement of a batched lending cycle (docs/CYCLE.md), once, against
///         the cycle's closing Merkle root. The root must have been committed by `commitBatch`
///         on the cycle's subject, that is endorsed by a majority of the banks, and it must hold
///         the close leaf `[cycleSubject, CYCLE_CLOSE, keccak256(abi.encode(settlementHash,
///         chunksHash)), stateRoot]` with `settlementHash = keccak256(abi.encode(accounts, nets))`.
///         `accounts[0]` is the lead bank, the hub: every other funder with a negative net pays
///         it, then it pays every funder with a positive net. Banks approve this contract on the
///         settlement token beforehand.
contract CycleSettlement is LedgerModule, ICycleSettlement {
    using SafeERC20 for IERC20;

    /// @notice Kind of a cycle's close leaf (`Kind.CycleClose` in clients/core/types.ts).
    bytes32 public constant CYCLE_CLOSE = keccak256("colend.kind.CycleClose.v1");

    /// @inheritdoc ICycleSettlement
    IERC20 public immutable override token;

    /// @inheritdoc ICycleSettlement
    mapping(bytes32 cycleSubject => bytes32 root) public override settledRoot;

    /// @param ledger_ the consortium ledger
    /// @param token_ the settlement token
    constructor(IConsortiumLedger ledger_, IERC20 token_) LedgerModule(ledger_) {
        if (address(token_) == address(0)) revert ZeroAddress();
        token = token_;
    }

    /// @inheritdoc ICycleSettlement
    function closeLeafHash(
        bytes32 cycleSubject,
        bytes32 stateRoot,
        bytes32 chunksHash,
        address[] calldata accounts,
        int256[] calldata nets
    ) public pure returns (bytes32) {
        bytes32[4] memory v = closeLeaf(cycleSubject, stateRoot, chunksHash, accounts, nets);
        return keccak256(bytes.concat(keccak256(abi.encode(v[0], v[1], v[2], v[3]))));
    }

    /// @inheritdoc ICycleSettlement
    function closeLeaf(
        bytes32 cycleSubject,
        bytes32 stateRoot,
        bytes32 chunksHash,
        address[] calldata accounts,
        int256[] calldata nets
    ) public pure returns (bytes32[4] memory) {
        bytes32 content = keccak256(abi.encode(keccak256(abi.encode(accounts, nets)), chunksHash));
        return [cycleSubject, CYCLE_CLOSE, content, stateRoot];
    }

    /// @inheritdoc ICycleSettlement
    function settle(
        bytes32 cycleSubject,
        bytes32 root,
        bytes32 stateRoot,
        bytes32 chunksHash,
        address[] calldata accounts,
        int256[] calldata nets,
        bytes32[] calldata proof
    ) external {
        if (!ledger.isVotingMember(msg.sender)) revert NotBank(msg.sender);
        bytes32 done = settledRoot[cycleSubject];
        if (done != bytes32(0)) revert AlreadySettled(cycleSubject, done);
        if (accounts.length == 0 || accounts.length != nets.length) {
            revert MalformedSettlement(accounts.length, nets.length);
        }
        bytes32[4] memory leaf = closeLeaf(cycleSubject, stateRoot, chunksHash, accounts, nets);
        if (!ledger.verifyBatchLeaf(cycleSubject, root, proof, leaf)) revert CloseLeafNotCommitted(cycleSubject, root);
        settledRoot[cycleSubject] = root;
        (uint256 transfers, uint256 gross) = _execute(accounts, nets);
        emit CycleSettled(cycleSubject, root, stateRoot, msg.sender, transfers, gross);
    }

    /// @dev Checks the hub and the balance, then moves the money: pay-ins to the hub, then pay-outs.
    function _execute(
        address[] calldata accounts,
        int256[] calldata nets
    ) private returns (uint256 transfers, uint256 gross) {
        address hub = accounts[0];
        if (ledger.roleOf(hub) != Role.LeadBank) revert HubNotLeadBank(hub);
        int256 sum = 0;
        for (uint256 i = 0; i < nets.length; i++) sum += nets[i];
        if (sum != 0) revert SettlementUnbalanced(sum);
        for (uint256 i = 1; i < accounts.length; i++) {
            if (nets[i] >= 0) continue;
            uint256 amount = uint256(-nets[i]);
            token.safeTransferFrom(accounts[i], hub, amount);
            transfers++;
            gross += amount;
        }
        for (uint256 i = 1; i < accounts.length; i++) {
            if (nets[i] <= 0) continue;
            uint256 amount = uint256(nets[i]);
            token.safeTransferFrom(hub, accounts[i], amount);
            transfers++;
            gross += amount;
        }
    }
}

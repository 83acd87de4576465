// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMembership} from "./IMembership.sol";
import {MembershipLib} from "./MembershipLib.sol";
import {Role} from "../common/Types.sol";
import {NotGenesisAdmin, ZeroAddress} from "../common/Errors.sol";

/// @title Membership
/// @notice Members, roles, module contracts, and majority governance of changes to them. The rules
///         that change membership live in `MembershipLib`; the reads the ledger's hot path needs are here.
abstract contract Membership is IMembership {
    /// @notice Fewest voting members a consortium may have: with two, "more than half of the
    ///         others" would be a single bank.
    uint256 public constant MIN_VOTING_MEMBERS = MembershipLib.MIN_VOTING_MEMBERS;
    /// @notice Most members ever admitted; keeps every loop over members bounded. At most 64: a
    ///         member's `index` is a bit in the ledger's uint64 vote tallies.
    uint256 public constant MAX_MEMBERS = MembershipLib.MAX_MEMBERS;
    /// @notice How long a membership proposal on the voting path stays open.
    uint256 public constant CHANGE_PERIOD = MembershipLib.CHANGE_PERIOD;

    MembershipLib.Layout internal _m;

    modifier onlyVotingMember() {
        if (!_isVoting(msg.sender)) revert NotVotingMember(msg.sender);
        _;
    }

    constructor(Founder[] memory founders) {
        _m.genesisAdmin = msg.sender;
        for (uint256 i = 0; i < founders.length; i++) {
            Founder memory f = founders[i];
            if (f.account == address(0)) revert ZeroAddress();
            MembershipLib.admit(_m, f.account, f.role, f.name, f.encryptionKey, 0);
        }
        if (_m.votingCount < MIN_VOTING_MEMBERS) revert TooFewVotingMembers(_m.votingCount, MIN_VOTING_MEMBERS);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IMembership
    function roleOf(address account) public view returns (Role) {
        Member storage m = _m.members[account];
        return m.active ? m.role : Role.None;
    }

    /// @inheritdoc IMembership
    function isVotingMember(address account) external view returns (bool) {
        return _isVoting(account);
    }

    /// @inheritdoc IMembership
    function memberInfo(address account) external view returns (Member memory) {
        return _m.members[account];
    }

    /// @inheritdoc IMembership
    function encryptionKeyOf(address account) external view returns (bytes memory) {
        return _m.keys[account];
    }

    /// @inheritdoc IMembership
    function nameOf(address account) external view returns (string memory) {
        return _m.names[account];
    }

    /// @inheritdoc IMembership
    function allMembers() external view returns (address[] memory) {
        return _m.all;
    }

    /// @inheritdoc IMembership
    function votingMemberCount() external view returns (uint256) {
        return _m.votingCount;
    }

    /// @inheritdoc IMembership
    function membershipEpoch() external view returns (uint64) {
        return _m.epoch;
    }

    /// @inheritdoc IMembership
    function admittedAt(address account) external view returns (uint64) {
        return _m.members[account].admittedAt;
    }

    /// @inheritdoc IMembership
    function quorumFor(uint256 votingCount) public pure returns (uint256) {
        return (votingCount - 1) / 2 + 1;
    }

    /// @inheritdoc IMembership
    function isModule(address module) external view returns (bool) {
        return _m.modules[module];
    }

    /// @inheritdoc IMembership
    function kindOwner(bytes32 kind) external view returns (address) {
        return _m.kindOwner[kind];
    }

    /// @inheritdoc IMembership
    function genesisAdmin() external view returns (address) {
        return _m.genesisAdmin;
    }

    /// @inheritdoc IMembership
    function changeInfo(uint256 id) external view returns (Change memory) {
        return _m.changes[id];
    }

    /// @inheritdoc IMembership
    function hasVotedOnChange(uint256 id, address member) external view returns (bool) {
        return _m.voted[id][member];
    }

    /// @inheritdoc IMembership
    function changeCount() external view returns (uint256) {
        return _m.changeCount;
    }

    // ---------------------------------------------------------------- genesis

    /// @inheritdoc IMembership
    function setModuleAtGenesis(address module, bool enabled) external {
        _checkGenesisAdmin();
        MembershipLib.setModule(_m, module, enabled);
    }

    /// @inheritdoc IMembership
    function sealGenesis() external {
        _checkGenesisAdmin();
        _m.genesisAdmin = address(0);
        emit GenesisSealed(msg.sender);
    }

    function _checkGenesisAdmin() private view {
        if (_m.genesisAdmin == address(0)) revert GenesisAlreadySealed();
        if (msg.sender != _m.genesisAdmin) revert NotGenesisAdmin(msg.sender);
    }

    // ---------------------------------------------------------------- governance (voting path)

    /// @inheritdoc IMembership
    function proposeChange(
        Action action,
        address account,
        Role role,
        string calldata name,
        bytes calldata encryptionKey
    ) external onlyVotingMember returns (uint256) {
        if (account == address(0)) revert ZeroAddress();
        return MembershipLib.propose(_m, ChangeInput(action, account, role, name, encryptionKey));
    }

    /// @inheritdoc IMembership
    function voteChange(uint256 id, bool approve) external onlyVotingMember {
        MembershipLib.vote(_m, id, approve);
    }

    /// @inheritdoc IMembership
    function expireChange(uint256 id) external {
        MembershipLib.expire(_m, id);
    }

    // ---------------------------------------------------------------- internal helpers

    function _isVoting(address account) internal view returns (bool) {
        Member storage m = _m.members[account];
        return m.active && MembershipLib.isVotingRole(m.role);
    }

    /// @dev One storage read: the member's packed slot.
    function _member(address account) internal view returns (Member storage) {
        return _m.members[account];
    }

    function _votingMembers() internal view returns (uint256) {
        return _m.votingCount;
    }

    function _allMembers() internal view returns (address[] storage) {
        return _m.all;
    }

    function _seq() internal view returns (uint32) {
        return _m.seq;
    }

    function _isVotingRole(Role role) internal pure returns (bool) {
        return MembershipLib.isVotingRole(role);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMembership} from "./IMembership.sol";
import {Role} from "../common/Types.sol";

/// @title Membership
/// @notice Members, roles, module contracts, and majority governance of changes to them.
abstract contract Membership is IMembership {
    /// @notice Fewest voting members a consortium may have: with two, "more than half of the
    ///         others" would be a single bank.
    uint256 public constant MIN_VOTING_MEMBERS = 3;
    /// @notice Most members ever admitted; keeps every loop over members bounded. At most 64: a
    ///         member's `index` is a bit in the ledger's uint64 vote tallies.
    uint256 public constant MAX_MEMBERS = 64;

    struct Change {
        Action action;
        ChangeState state;
        Role role;
        uint32 snapshotSeq; // membership sequence when proposed: later joiners do not vote
        uint32 votingAtProposal; // voting members when proposed: fixes the majority
        address account;
        address proposer;
        string name;
        bytes encryptionKey;
        address[] approvers;
        address[] objectors;
    }

    mapping(address account => Member) private _members;
    mapping(address account => string) private _names;
    mapping(address account => bytes) private _keys;
    mapping(address module => bool) private _modules;
    mapping(uint256 id => Change) private _changes;
    mapping(uint256 id => mapping(address member => bool)) private _voted;
    address[] private _all;
    uint256 private _votingCount;
    uint256 private _changeCount;
    uint32 internal _seq;
    address private _genesisAdmin;

    modifier onlyVotingMember() {
        if (!_isVoting(msg.sender)) revert NotVotingMember(msg.sender);
        _;
    }

    modifier onlyModule() {
        if (!_modules[msg.sender]) revert NotModule(msg.sender);
        _;
    }

    constructor(Founder[] memory founders) {
        _genesisAdmin = msg.sender;
        for (uint256 i = 0; i < founders.length; i++) {
            Founder memory f = founders[i];
            _admit(f.account, f.role, f.name, f.encryptionKey);
        }
        if (_votingCount < MIN_VOTING_MEMBERS) revert TooFewVotingMembers(_votingCount, MIN_VOTING_MEMBERS);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IMembership
    function roleOf(address account) public view returns (Role) {
        Member storage m = _members[account];
        return m.active ? m.role : Role.None;
    }

    /// @inheritdoc IMembership
    function isVotingMember(address account) external view returns (bool) {
        return _isVoting(account);
    }

    /// @inheritdoc IMembership
    function memberInfo(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @inheritdoc IMembership
    function encryptionKeyOf(address account) external view returns (bytes memory) {
        return _keys[account];
    }

    /// @inheritdoc IMembership
    function nameOf(address account) external view returns (string memory) {
        return _names[account];
    }

    /// @inheritdoc IMembership
    function allMembers() external view returns (address[] memory) {
        return _all;
    }

    /// @inheritdoc IMembership
    function votingMemberCount() external view returns (uint256) {
        return _votingCount;
    }

    /// @inheritdoc IMembership
    function quorumFor(uint256 votingCount) public pure returns (uint256) {
        return (votingCount - 1) / 2 + 1;
    }

    /// @inheritdoc IMembership
    function isModule(address module) external view returns (bool) {
        return _modules[module];
    }

    /// @notice The genesis administrator, or the zero address once sealed.
    function genesisAdmin() external view returns (address) {
        return _genesisAdmin;
    }

    /// @notice A membership change as proposed, with its votes so far.
    function changeInfo(uint256 id) external view returns (Change memory) {
        return _changes[id];
    }

    /// @notice Number of membership changes ever proposed (ids run from 1).
    function changeCount() external view returns (uint256) {
        return _changeCount;
    }

    // ---------------------------------------------------------------- genesis

    /// @inheritdoc IMembership
    function setModuleAtGenesis(address module, bool enabled) external {
        _checkGenesisAdmin();
        _setModule(module, enabled);
    }

    /// @inheritdoc IMembership
    function sealGenesis() external {
        _checkGenesisAdmin();
        _genesisAdmin = address(0);
        emit GenesisSealed(msg.sender);
    }

    function _checkGenesisAdmin() private view {
        if (_genesisAdmin == address(0)) revert GenesisAlreadySealed();
        if (msg.sender != _genesisAdmin) revert NotGenesisAdmin(msg.sender);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IMembership
    function proposeChange(
        Action action,
        address account,
        Role role,
        string calldata name,
        bytes calldata encryptionKey
    ) external onlyVotingMember returns (uint256 id) {
        _checkChange(action, account, role, encryptionKey);
        id = ++_changeCount;
        Change storage c = _changes[id];
        c.action = action;
        c.state = ChangeState.Open;
        c.role = role;
        c.snapshotSeq = _seq;
        c.votingAtProposal = uint32(_votingCount);
        c.account = account;
        c.proposer = msg.sender;
        c.name = name;
        c.encryptionKey = encryptionKey;
        emit ChangeProposed(id, action, account, msg.sender);
        _castVote(id, c, true);
    }

    /// @inheritdoc IMembership
    function voteChange(uint256 id, bool approve) external onlyVotingMember {
        Change storage c = _changes[id];
        if (c.state != ChangeState.Open) revert ChangeNotOpen(id);
        if (_members[msg.sender].admittedSeq > c.snapshotSeq) revert NotEligible(id, msg.sender);
        _castVote(id, c, approve);
    }

    function _castVote(uint256 id, Change storage c, bool approve) private {
        if (_voted[id][msg.sender]) revert AlreadyVoted(id, msg.sender);
        _voted[id][msg.sender] = true;
        if (approve) c.approvers.push(msg.sender);
        else c.objectors.push(msg.sender);
        emit ChangeVoted(id, msg.sender, approve);

        uint256 majority = uint256(c.votingAtProposal) / 2 + 1;
        uint256 approvals = _countActive(c.approvers);
        if (approvals >= majority) {
            // The world may have changed while the vote ran (a rival change executed first).
            if (_stillValid(c)) {
                c.state = ChangeState.Executed;
                _execute(c);
                emit ChangeExecuted(id);
            } else {
                c.state = ChangeState.Rejected;
                emit ChangeRejected(id);
            }
            return;
        }
        // Members who could still approve: eligible, active, not yet voted.
        uint256 undecided = 0;
        for (uint256 i = 0; i < _all.length; i++) {
            address a = _all[i];
            Member storage m = _members[a];
            if (m.active && _isVotingRole(m.role) && m.admittedSeq <= c.snapshotSeq && !_voted[id][a]) undecided++;
        }
        if (approvals + undecided < majority) {
            c.state = ChangeState.Rejected;
            emit ChangeRejected(id);
        }
    }

    function _countActive(address[] storage accounts) private view returns (uint256 n) {
        for (uint256 i = 0; i < accounts.length; i++) {
            if (_isVoting(accounts[i])) n++;
        }
    }

    function _checkChange(Action action, address account, Role role, bytes calldata key) private view {
        if (account == address(0)) revert ZeroAccount();
        if (action == Action.Admit) {
            _checkAdmission(account, role, key);
        } else if (action == Action.Remove) {
            Member storage m = _members[account];
            if (!m.active) revert NotMember(account);
            if (_isVotingRole(m.role) && _votingCount - 1 < MIN_VOTING_MEMBERS) {
                revert TooFewVotingMembers(_votingCount - 1, MIN_VOTING_MEMBERS);
            }
        } else {
            bool enable = action == Action.EnableModule;
            if (account.code.length == 0 || _modules[account] == enable) revert InvalidModule(account);
        }
    }

    function _checkAdmission(address account, Role role, bytes memory key) private view {
        if (account == address(0)) revert ZeroAccount();
        if (role == Role.None || uint8(role) > uint8(Role.Regulator)) revert InvalidRole(role);
        if (key.length != 33 || (key[0] != 0x02 && key[0] != 0x03)) revert InvalidEncryptionKey(key.length);
        Member storage m = _members[account];
        if (m.active) revert AlreadyMember(account);
        if (m.role != Role.None) revert AccountReused(account);
        if (_all.length >= MAX_MEMBERS) revert TooManyMembers(_all.length + 1, MAX_MEMBERS);
    }

    function _stillValid(Change storage c) private view returns (bool) {
        Member storage m = _members[c.account];
        if (c.action == Action.Admit) return m.role == Role.None && _all.length < MAX_MEMBERS;
        if (c.action == Action.Remove) {
            return m.active && (!_isVotingRole(m.role) || _votingCount - 1 >= MIN_VOTING_MEMBERS);
        }
        return _modules[c.account] != (c.action == Action.EnableModule);
    }

    function _execute(Change storage c) private {
        if (c.action == Action.Admit) {
            _admit(c.account, c.role, c.name, c.encryptionKey);
        } else if (c.action == Action.Remove) {
            _remove(c.account);
        } else {
            _setModule(c.account, c.action == Action.EnableModule);
        }
    }

    function _admit(address account, Role role, string memory name, bytes memory key) private {
        _checkAdmission(account, role, key);
        uint32 seq = ++_seq;
        _members[account] = Member({
            role: role,
            active: true,
            admittedSeq: seq,
            removedSeq: 0,
            admittedBlock: uint64(block.number),
            removedBlock: 0,
            index: uint8(_all.length) // below MAX_MEMBERS (checked above)
        });
        _names[account] = name;
        _keys[account] = key;
        _all.push(account);
        if (_isVotingRole(role)) _votingCount++;
        emit MemberAdmitted(account, role, name, key, seq);
    }

    function _remove(address account) private {
        Member storage m = _members[account];
        if (!m.active) revert NotMember(account);
        if (_isVotingRole(m.role)) {
            if (_votingCount - 1 < MIN_VOTING_MEMBERS) revert TooFewVotingMembers(_votingCount - 1, MIN_VOTING_MEMBERS);
            _votingCount--;
        }
        uint32 seq = ++_seq;
        m.active = false;
        m.removedSeq = seq;
        m.removedBlock = uint64(block.number);
        emit MemberRemoved(account, m.role, seq);
    }

    function _setModule(address module, bool enabled) private {
        if (module.code.length == 0 || _modules[module] == enabled) revert InvalidModule(module);
        _modules[module] = enabled;
        emit ModuleSet(module, enabled);
    }

    // ---------------------------------------------------------------- internal helpers

    function _isVoting(address account) internal view returns (bool) {
        Member storage m = _members[account];
        return m.active && _isVotingRole(m.role);
    }

    /// @dev One storage read: the member's packed slot.
    function _member(address account) internal view returns (Member storage) {
        return _members[account];
    }

    function _votingMembers() internal view returns (uint256) {
        return _votingCount;
    }

    function _allMembers() internal view returns (address[] storage) {
        return _all;
    }

    function _isVotingRole(Role role) internal pure returns (bool) {
        return role == Role.LeadBank || role == Role.PartnerBank;
    }
}

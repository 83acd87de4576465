// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMembership} from "./IMembership.sol";
import {ILedgerModule} from "../ledger/LedgerModule.sol";
import {Kinds, Role} from "../common/Types.sol";

/// @title MembershipLib
/// @notice The consortium's membership state and the rules that change it, over the ledger's
///         storage (external library: the ledger stays small, and changes are rare).
///
///         A change takes effect only with a majority of the banks of the membership epoch it was
///         made at, and only while that epoch lasts: once any other change executes, every open
///         proposal is stale (rejected at its next vote) and every signature for it is void. So
///         a minority cannot bank approvals or signatures and spend them after the consortium grew.
library MembershipLib {
    /// @notice Fewest voting members a consortium may have.
    uint256 internal constant MIN_VOTING_MEMBERS = 3;
    /// @notice Most members ever admitted (a member's index is a bit in the ledger's vote bitmaps).
    uint256 internal constant MAX_MEMBERS = 64;
    /// @notice How long a proposal on the voting path stays open.
    uint256 internal constant CHANGE_PERIOD = 7 days;

    /// @notice All of it.
    struct Layout {
        mapping(address account => IMembership.Member) members;
        mapping(address account => string) names;
        mapping(address account => bytes) keys;
        mapping(address module => bool) modules;
        mapping(uint256 id => IMembership.Change) changes;
        mapping(uint256 id => mapping(address member => bool)) voted;
        address[] all;
        uint32 votingCount;
        uint32 seq; // admissions, removals and role changes so far (record proposals snapshot it)
        uint64 epoch; // membership changes executed by the consortium so far
        uint64 changeCount;
        address genesisAdmin;
        mapping(bytes32 kind => address) kindOwner; // the one module that writes a module-owned kind
        mapping(address module => bytes32[]) moduleKinds; // the kinds an enabled module owns
    }

    // ---------------------------------------------------------------- voting path

    /// @notice Opens a change proposed by `msg.sender` (a bank) and counts its approval.
    function propose(Layout storage s, IMembership.ChangeInput calldata input) external returns (uint256 id) {
        check(s, input.action, input.account, input.role, input.encryptionKey);
        id = ++s.changeCount;
        IMembership.Change storage c = s.changes[id];
        c.action = input.action;
        c.state = IMembership.ChangeState.Open;
        c.role = input.role;
        c.epoch = s.epoch;
        c.proposedAt = uint64(block.timestamp);
        c.deadline = uint64(block.timestamp + CHANGE_PERIOD);
        c.account = input.account;
        c.proposer = msg.sender;
        c.name = input.name;
        c.encryptionKey = input.encryptionKey;
        emit IMembership.ChangeProposed(id, input.action, input.account, msg.sender);
        _vote(s, id, c, true);
    }

    /// @notice `msg.sender` (a bank) votes on open change `id`.
    function vote(Layout storage s, uint256 id, bool approve) external {
        IMembership.Change storage c = s.changes[id];
        if (c.state != IMembership.ChangeState.Open) revert IMembership.ChangeNotOpen(id);
        if (block.timestamp > c.deadline) revert IMembership.ChangeExpired(id, c.deadline);
        if (c.epoch != s.epoch) return _reject(id, c);
        _vote(s, id, c, approve);
    }

    /// @notice Rejects open change `id` once its deadline passed or the membership moved on.
    function expire(Layout storage s, uint256 id) external {
        IMembership.Change storage c = s.changes[id];
        if (c.state != IMembership.ChangeState.Open) revert IMembership.ChangeNotOpen(id);
        if (block.timestamp <= c.deadline && c.epoch == s.epoch) revert IMembership.ChangeStillOpen(id, c.deadline);
        _reject(id, c);
    }

    /// @dev The epoch is the one the change was proposed at, so every bank now was a bank then and
    ///      every approval is by a current bank: the majority is of the banks as they are now.
    function _vote(Layout storage s, uint256 id, IMembership.Change storage c, bool approve) private {
        if (s.voted[id][msg.sender]) revert IMembership.AlreadyVoted(id, msg.sender);
        s.voted[id][msg.sender] = true;
        if (approve) c.approvals++;
        else c.objections++;
        emit IMembership.ChangeVoted(id, msg.sender, approve);
        uint256 majority = majorityOf(s.votingCount);
        if (c.approvals >= majority) {
            c.state = IMembership.ChangeState.Executed;
            emit IMembership.ChangeExecuted(id);
            _execute(s, c.action, c.account, c.role, c.name, c.encryptionKey, c.proposedAt, c.deadline, "");
            return;
        }
        if (s.votingCount - c.objections < majority) _reject(id, c);
    }

    function _reject(uint256 id, IMembership.Change storage c) private {
        c.state = IMembership.ChangeState.Rejected;
        emit IMembership.ChangeRejected(id);
    }

    // ---------------------------------------------------------------- signature path

    /// @notice Executes a change a majority of the banks signed at the current epoch (the ledger
    ///         checked the signatures and the window).
    function executeSigned(
        Layout storage s,
        IMembership.ChangeInput calldata input,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        check(s, input.action, input.account, input.role, input.encryptionKey);
        _execute(
            s,
            input.action,
            input.account,
            input.role,
            input.name,
            input.encryptionKey,
            issuedAt,
            deadline,
            signatures
        );
    }

    // ---------------------------------------------------------------- execution

    function _execute(
        Layout storage s,
        IMembership.Action action,
        address account,
        Role role,
        string memory name,
        bytes memory key,
        uint64 issuedAt,
        uint64 deadline,
        bytes memory signatures
    ) private {
        uint64 epoch = s.epoch;
        s.epoch = epoch + 1;
        if (action == IMembership.Action.Admit) {
            admit(s, account, role, name, key, uint64(block.timestamp));
        } else if (action == IMembership.Action.Remove) {
            _remove(s, account);
        } else if (action == IMembership.Action.ChangeRole) {
            _changeRole(s, account, role);
        } else {
            setModule(s, account, action == IMembership.Action.EnableModule);
        }
        emit IMembership.MembershipChangeExecuted(
            epoch,
            action,
            account,
            role,
            changeData(action, name, key),
            issuedAt,
            deadline,
            signatures
        );
    }

    /// @notice Admits `account`; `admittedAt` is 0 for founders.
    function admit(
        Layout storage s,
        address account,
        Role role,
        string memory name,
        bytes memory key,
        uint64 admittedAt
    ) public {
        _checkAdmission(s, account, role, key);
        uint32 seq = ++s.seq;
        s.members[account] = IMembership.Member({
            role: role,
            active: true,
            admittedSeq: seq,
            removedSeq: 0,
            admittedBlock: uint40(block.number),
            removedBlock: 0,
            index: uint8(s.all.length), // below MAX_MEMBERS (checked above)
            admittedAt: admittedAt
        });
        s.names[account] = name;
        s.keys[account] = key;
        s.all.push(account);
        if (isVotingRole(role)) s.votingCount++;
        emit IMembership.MemberAdmitted(account, role, name, key, seq);
    }

    function _remove(Layout storage s, address account) private {
        IMembership.Member storage m = s.members[account];
        if (isVotingRole(m.role)) s.votingCount--;
        uint32 seq = ++s.seq;
        m.active = false;
        m.removedSeq = seq;
        m.removedBlock = uint40(block.number);
        emit IMembership.MemberRemoved(account, m.role, seq);
    }

    function _changeRole(Layout storage s, address account, Role role) private {
        IMembership.Member storage m = s.members[account];
        Role from = m.role;
        if (isVotingRole(from)) s.votingCount--;
        if (isVotingRole(role)) s.votingCount++;
        m.role = role;
        uint32 seq = ++s.seq;
        emit IMembership.MemberRoleChanged(account, from, role, seq);
    }

    /// @notice Enables a module contract as the one owner of the kinds it declares, or disables
    ///         one and frees its kinds for a successor.
    function setModule(Layout storage s, address module, bool enabled) public {
        if (enabled) {
            bytes32[] memory kinds = _checkModule(s, module, true);
            for (uint256 i = 0; i < kinds.length; i++) {
                bytes32 kind = kinds[i];
                address owner = s.kindOwner[kind];
                if (owner != address(0)) revert IMembership.KindAlreadyOwned(kind, owner); // also one claimed twice
                s.kindOwner[kind] = module;
            }
            s.moduleKinds[module] = kinds;
        } else {
            _checkModule(s, module, false);
            bytes32[] storage kinds = s.moduleKinds[module];
            for (uint256 i = 0; i < kinds.length; i++) delete s.kindOwner[kinds[i]];
            delete s.moduleKinds[module];
        }
        s.modules[module] = enabled;
        emit IMembership.ModuleSet(module, enabled);
    }

    /// @dev `module` is a contract not yet in the requested state; to be enabled, it claims only
    ///      module kinds (not Batch or Membership) that no other module owns. Returns its kinds.
    function _checkModule(Layout storage s, address module, bool enable) private view returns (bytes32[] memory kinds) {
        if (module.code.length == 0 || s.modules[module] == enable) revert IMembership.InvalidModule(module);
        if (!enable) return kinds;
        kinds = ILedgerModule(module).ownedKinds();
        for (uint256 i = 0; i < kinds.length; i++) {
            bytes32 kind = kinds[i];
            if (kind == Kinds.BATCH || kind == Kinds.MEMBERSHIP || !Kinds.moduleOwned(kind)) {
                revert IMembership.NotModuleKind(kind);
            }
            address owner = s.kindOwner[kind];
            if (owner != address(0)) revert IMembership.KindAlreadyOwned(kind, owner);
        }
    }

    // ---------------------------------------------------------------- checks

    /// @notice Whether the change can take effect now; reverts with the reason if not.
    /// @dev The caller checked that `account` is not zero.
    function check(
        Layout storage s,
        IMembership.Action action,
        address account,
        Role role,
        bytes memory key
    ) public view {
        if (action == IMembership.Action.Admit) {
            _checkAdmission(s, account, role, key);
            return;
        }
        if (action != IMembership.Action.ChangeRole && role != Role.None) revert IMembership.InvalidRole(role);
        if (action == IMembership.Action.Remove || action == IMembership.Action.ChangeRole) {
            IMembership.Member storage m = s.members[account];
            if (!m.active) revert IMembership.NotMember(account);
            if (action == IMembership.Action.ChangeRole) _checkRole(role);
            if (action == IMembership.Action.ChangeRole && role == m.role) revert IMembership.InvalidRole(role);
            bool losesVote = isVotingRole(m.role) && !isVotingRole(role);
            if (losesVote && s.votingCount - 1 < MIN_VOTING_MEMBERS) {
                revert IMembership.TooFewVotingMembers(s.votingCount - 1, MIN_VOTING_MEMBERS);
            }
            return;
        }
        _checkModule(s, account, action == IMembership.Action.EnableModule);
    }

    function _checkAdmission(Layout storage s, address account, Role role, bytes memory key) private view {
        _checkRole(role);
        if (key.length != 33 || (key[0] != 0x02 && key[0] != 0x03)) revert IMembership.InvalidEncryptionKey(key.length);
        IMembership.Member storage m = s.members[account];
        if (m.active) revert IMembership.AlreadyMember(account);
        if (m.role != Role.None) revert IMembership.AccountReused(account);
        if (s.all.length >= MAX_MEMBERS) revert IMembership.TooManyMembers(s.all.length + 1, MAX_MEMBERS);
    }

    function _checkRole(Role role) private pure {
        if (role == Role.None || uint8(role) > uint8(Role.Regulator)) revert IMembership.InvalidRole(role);
    }

    // ---------------------------------------------------------------- pure helpers

    /// @notice Approvals (or signatures) a membership change needs among `votingCount` banks.
    function majorityOf(uint256 votingCount) internal pure returns (uint256) {
        return votingCount / 2 + 1;
    }

    /// @notice The `data` a membership change signs: the new member's name and key for an
    ///         admission, else 0.
    function changeData(
        IMembership.Action action,
        string memory name,
        bytes memory key
    ) internal pure returns (bytes32) {
        return action == IMembership.Action.Admit ? keccak256(abi.encode(name, key)) : bytes32(0);
    }

    function isVotingRole(Role role) internal pure returns (bool) {
        return role == Role.LeadBank || role == Role.PartnerBank;
    }
}

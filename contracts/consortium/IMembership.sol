// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Role} from "../common/Types.sol";

/// @title Consortium membership
/// @notice Who belongs to the consortium, in which role, and how that changes: only by a majority
///         of the voting members (the banks). No single key can change the consortium once sealed.
interface IMembership {
    /// @notice A founding member, given at deployment.
    struct Founder {
        address account; // the member node's account
        Role role; // its role
        string name; // institution name, public
        bytes encryptionKey; // 33-byte compressed secp256k1 public key for encrypted disclosure
    }

    /// @notice What the consortium knows about a member.
    struct Member {
        Role role; // role while a member (kept after removal, for history)
        bool active; // false once removed
        uint32 admittedSeq; // membership sequence number at admission
        uint32 removedSeq; // membership sequence number at removal, 0 while active
        uint40 admittedBlock; // block of admission
        uint40 removedBlock; // block of removal, 0 while active
        uint8 index; // position in `allMembers()`, fixed for good (accounts are never reused)
        uint64 admittedAt; // block time of admission (0 for founders): signatures issued earlier do not count
    }

    /// @notice What a membership proposal changes.
    enum Action {
        Admit, // admit `account` in `role`
        Remove, // remove `account`
        EnableModule, // let contract `account` write records through the ledger
        DisableModule, // stop contract `account` writing records
        ChangeRole // give active member `account` the role `role`
    }

    /// @notice State of a membership proposal.
    enum ChangeState {
        None,
        Open,
        Executed,
        Rejected
    }

    /// @notice A membership change as members propose or sign it.
    struct ChangeInput {
        Action action; // what to change
        address account; // the member or module concerned
        Role role; // the new member's role (Admit), the new role (ChangeRole), else None
        string name; // the new member's name (Admit only)
        bytes encryptionKey; // the new member's 33-byte compressed encryption key (Admit only)
    }

    /// @notice A membership change on the voting path, with its votes so far.
    struct Change {
        Action action;
        ChangeState state;
        Role role;
        uint16 approvals; // banks that approved (the proposer included)
        uint16 objections; // banks that objected
        uint64 epoch; // membership epoch at proposal: the change is void once another executes
        uint64 proposedAt; // block time of the proposal
        uint64 deadline; // last second at which votes are taken
        address account;
        address proposer;
        string name;
        bytes encryptionKey;
    }

    /// @notice Emitted when `account` becomes a member.
    event MemberAdmitted(address indexed account, Role indexed role, string name, bytes encryptionKey, uint32 seq);
    /// @notice Emitted when `account` stops being a member.
    event MemberRemoved(address indexed account, Role indexed role, uint32 seq);
    /// @notice Emitted when a module contract is enabled or disabled.
    event ModuleSet(address indexed module, bool enabled);
    /// @notice Emitted when the genesis administrator hands the consortium over to its members.
    event GenesisSealed(address indexed admin);
    /// @notice Emitted when a voting member proposes a membership change.
    event ChangeProposed(uint256 indexed id, Action indexed action, address indexed account, address proposer);
    /// @notice Emitted when a voting member votes on a membership change.
    event ChangeVoted(uint256 indexed id, address indexed voter, bool approve);
    /// @notice Emitted when a membership change reached its majority and took effect.
    event ChangeExecuted(uint256 indexed id);
    /// @notice Emitted when a membership change can no longer reach its majority, expired, or was
    ///         overtaken by another change.
    event ChangeRejected(uint256 indexed id);
    /// @notice Emitted when an active member's role changes.
    event MemberRoleChanged(address indexed account, Role from, Role to, uint32 seq);
    /// @notice Emitted for every membership change the consortium executed, by either path. With
    ///         the founders, these events prove the membership at every epoch offline.
    /// @param epoch the membership epoch the change was made at (afterwards the epoch is `epoch + 1`)
    /// @param data keccak256(abi.encode(name, encryptionKey)) for an admission, else 0
    /// @param issuedAt when the banks signed (voting path: when it was proposed)
    /// @param deadline the signatures' (or the proposal's) deadline
    /// @param signatures the banks' 64-byte compact signatures, ascending by signer; empty for the
    ///        voting path (its proof is the ChangeVoted events on chain)
    event MembershipChangeExecuted(
        uint64 indexed epoch,
        Action action,
        address indexed account,
        Role role,
        bytes32 data,
        uint64 issuedAt,
        uint64 deadline,
        bytes signatures
    );

    /// @notice `account` is not an active member.
    error NotMember(address account);
    /// @notice `account` is not an active voting member (lead or partner bank).
    error NotVotingMember(address account);
    /// @notice `caller` is not an enabled module contract.
    error NotModule(address caller);
    /// @notice `account` is already an active member.
    error AlreadyMember(address account);
    /// @notice `account` was a member once; accounts are never reused.
    error AccountReused(address account);
    /// @notice The role given is not one a member can hold.
    error InvalidRole(Role role);
    /// @notice The encryption key is not a 33-byte compressed secp256k1 point.
    error InvalidEncryptionKey(uint256 length);
    /// @notice A consortium needs at least `minimum` voting members; the change would leave `count`.
    error TooFewVotingMembers(uint256 count, uint256 minimum);
    /// @notice The consortium has more members than the ledger handles.
    error TooManyMembers(uint256 count, uint256 maximum);
    /// @notice The genesis phase is over: only majority proposals change the consortium now.
    error GenesisAlreadySealed();
    /// @notice `module` is not a contract, or already in the requested state.
    error InvalidModule(address module);
    /// @notice A module claimed `kind`, which module `owner` owns already: each module kind has one module.
    error KindAlreadyOwned(bytes32 kind, address owner);
    /// @notice A module claimed `kind`, which no module may own: Batch (`commitBatch` only),
    ///         Membership (nobody), or a kind that is not in `Kinds.moduleOwned` (the banks' own kinds).
    error NotModuleKind(bytes32 kind);
    /// @notice No membership change `id` is open.
    error ChangeNotOpen(uint256 id);
    /// @notice `member` already voted on change `id`.
    error AlreadyVoted(uint256 id, address member);
    /// @notice Change `id` passed its deadline `deadline`.
    error ChangeExpired(uint256 id, uint64 deadline);
    /// @notice Change `id` is open until `deadline` and its epoch is current: it cannot be expired yet.
    error ChangeStillOpen(uint256 id, uint64 deadline);
    /// @notice The signatures were made for membership epoch `signed`; the current epoch is `current`.
    error WrongEpoch(uint64 signed, uint64 current);
    /// @notice `count` valid signatures of banks were given; a majority, `required`, is needed.
    error MajorityNotMet(uint256 count, uint256 required);

    /// @notice Role of `account` if it is an active member, else `Role.None`.
    function roleOf(address account) external view returns (Role);

    /// @notice Whether `account` is an active lead or partner bank.
    function isVotingMember(address account) external view returns (bool);

    /// @notice Full membership record of `account` (also for former members).
    function memberInfo(address account) external view returns (Member memory);

    /// @notice Public encryption key registered for `account`.
    function encryptionKeyOf(address account) external view returns (bytes memory);

    /// @notice Name registered for `account`.
    function nameOf(address account) external view returns (string memory);

    /// @notice Every account that was ever admitted, in admission order.
    function allMembers() external view returns (address[] memory);

    /// @notice Number of active voting members.
    function votingMemberCount() external view returns (uint256);

    /// @notice Membership changes executed by the consortium so far: the epoch a signature for the
    ///         next change must name.
    function membershipEpoch() external view returns (uint64);

    /// @notice Block time at which `account` was admitted (0 for founders and non-members).
    function admittedAt(address account) external view returns (uint64);

    /// @notice The genesis administrator, or the zero address once sealed.
    function genesisAdmin() external view returns (address);

    /// @notice A membership change on the voting path, with its votes so far.
    function changeInfo(uint256 id) external view returns (Change memory);

    /// @notice Whether `member` voted on change `id`.
    function hasVotedOnChange(uint256 id, address member) external view returns (bool);

    /// @notice Number of membership changes ever proposed on the voting path (ids run from 1).
    function changeCount() external view returns (uint256);

    /// @notice EIP-712 digest the banks sign for a membership change at `epoch`.
    function membershipChangeDigest(
        ChangeInput calldata change,
        uint64 epoch,
        uint64 issuedAt,
        uint64 deadline
    ) external view returns (bytes32);

    /// @notice Endorsements from other members a record needs when `votingCount` banks vote:
    ///         more than half of the others.
    function quorumFor(uint256 votingCount) external pure returns (uint256);

    /// @notice Whether `module` may write records through the ledger.
    function isModule(address module) external view returns (bool);

    /// @notice The enabled module that alone may write records of `kind` (one of the kinds it
    ///         declared with `ownedKinds` when it was enabled), or the zero address.
    function kindOwner(bytes32 kind) external view returns (address);

    /// @notice Enables or disables a module before the consortium is sealed.
    /// @param module the module contract
    /// @param enabled whether it may write records
    function setModuleAtGenesis(address module, bool enabled) external;

    /// @notice Ends the genesis phase; from now on only majority proposals change the consortium.
    function sealGenesis() external;

    /// @notice Proposes a membership change; the proposer's approval counts.
    /// @param action what to change
    /// @param account the member or module concerned
    /// @param role role of a new member (Admit only)
    /// @param name name of a new member (Admit only)
    /// @param encryptionKey encryption key of a new member (Admit only)
    /// @return id the change's id
    function proposeChange(
        Action action,
        address account,
        Role role,
        string calldata name,
        bytes calldata encryptionKey
    ) external returns (uint256 id);

    /// @notice Votes on membership change `id`; the change executes once a majority of the banks
    ///         approve, within `CHANGE_PERIOD` of the proposal and while no other change executed
    ///         since (a vote on a change overtaken by another rejects it).
    /// @param id the change
    /// @param approve true to approve, false to object
    function voteChange(uint256 id, bool approve) external;

    /// @notice Rejects change `id` once its deadline passed or another change executed. Anyone may call.
    function expireChange(uint256 id) external;

    /// @notice Executes a membership change signed (EIP-712 `MembershipChange`) by a majority of the
    ///         banks at membership epoch `epoch`, which must be the current one. Signatures are
    ///         compact 64-byte, ascending by signer, each by an active bank admitted no later than
    ///         `issuedAt`; `issuedAt <= block.timestamp <= deadline`, `deadline - issuedAt <= 1 day`.
    function executeChange(
        ChangeInput calldata change,
        uint64 epoch,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IEvidenceLedger} from "./IEvidenceLedger.sol";
import {IMembership} from "../consortium/IMembership.sol";
import {Membership} from "../consortium/Membership.sol";
import {MembershipLib} from "../consortium/MembershipLib.sol";
import {Attestation, Kinds, ProposalState, RecordInfo, RecordInput} from "../common/Types.sol";
import {ZeroAddress} from "../common/Errors.sol";

/// @title EvidenceLedger
/// @notice The consortium's ledger: membership plus majority-endorsed, signed, timestamped,
///         hash-chained records. One contract, so the hot path reads membership without calls.
contract EvidenceLedger is Membership, EIP712, IEvidenceLedger {
    /// @notice EIP-712 type every endorser signs.
    bytes32 public constant ENDORSEMENT_TYPEHASH = keccak256(
        "Endorsement(bytes32 subject,bytes32 kind,bytes32 contentHash,bytes32 attrs,bytes32 prev,address proposer,uint64 issuedAt,uint64 deadline)"
    );
    /// @notice Longest a signature lives: from the time it was issued to its deadline. Every
    ///         committed record's block time lies in [issuedAt, deadline], a window at most this long.
    uint256 public constant MAX_SIGNATURE_WINDOW = 1 days;
    /// @notice EIP-712 type the banks sign to change the membership (`executeChange`).
    bytes32 public constant MEMBERSHIP_CHANGE_TYPEHASH = keccak256(
        "MembershipChange(uint8 action,address account,uint8 role,bytes32 data,uint64 epoch,uint64 issuedAt,uint64 deadline)"
    );
    /// @notice Longest time a record may be put to an on-chain vote.
    uint256 public constant MAX_VOTING_PERIOD = 30 days;
    /// @notice Most leaves one batch may hold.
    uint256 public constant MAX_BATCH_LEAVES = 65_536;

    mapping(bytes32 subject => bytes32) private _heads;
    mapping(bytes32 key => RecordInfo) private _records;
    mapping(bytes32 id => Proposal) private _proposals;

    /// @param founders the founding members (at least three banks)
    constructor(Founder[] memory founders) Membership(founders) EIP712("colend", "1") {}

    // ---------------------------------------------------------------- one transaction

    /// @inheritdoc IEvidenceLedger
    function commit(
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32) {
        if (Kinds.moduleOwned(record.kind)) revert ReservedKind(record.kind);
        return _commitSigned(msg.sender, record, issuedAt, deadline, signatures);
    }

    /// @inheritdoc IEvidenceLedger
    function commitFor(
        address proposer,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32) {
        _checkModuleFor(record.kind);
        return _commitSigned(proposer, record, issuedAt, deadline, signatures);
    }

    /// @inheritdoc IEvidenceLedger
    function commitBatch(
        bytes32 subject,
        bytes32 root,
        uint256 leafCount,
        bytes32 prev,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32 head) {
        if (leafCount == 0 || leafCount > MAX_BATCH_LEAVES) revert InvalidBatchSize(leafCount, MAX_BATCH_LEAVES);
        RecordInput memory record = RecordInput(subject, Kinds.BATCH, root, bytes32(leafCount), prev);
        _checkFields(record);
        _checkProposerAndWindow(msg.sender, issuedAt, deadline);
        _checkSignatures(_digest(record, msg.sender, issuedAt, deadline), msg.sender, issuedAt, signatures);
        head = _append(msg.sender, record, Attestation.Signatures, issuedAt, deadline, signatures, leafCount);
        emit BatchCommitted(subject, root, leafCount);
    }

    /// @inheritdoc IEvidenceLedger
    function recordFact(
        address actor,
        bytes32 subject,
        bytes32 kind,
        bytes32 contentHash,
        bytes32 attrs
    ) external returns (bytes32) {
        _checkModuleFor(kind);
        RecordInput memory record = RecordInput(subject, kind, contentHash, attrs, _heads[subject]);
        _checkFields(record);
        // Facts are unique by construction (modules put a sequence number in the content), so
        // they skip the duplicate index and cost one storage write.
        return _append(actor, record, Attestation.Fact, 0, 0, abi.encodePacked(msg.sender), 0);
    }

    /// @dev The caller is an enabled module that may write `kind`: the kind's owner, or any module
    ///      for a kind no module may own (the banks' kinds). A module-owned kind that no enabled
    ///      module owns (Batch, Membership, a kind whose module is not enabled) no module writes.
    function _checkModuleFor(bytes32 kind) private view {
        address owner = _m.kindOwner[kind];
        if (owner == msg.sender) return; // an owner is an enabled module: disabling one frees its kinds
        if (!_m.modules[msg.sender]) revert NotModule(msg.sender);
        if (owner != address(0)) revert KindOfAnotherModule(kind, owner);
        if (Kinds.moduleOwned(kind)) revert ReservedKind(kind);
    }

    function _commitSigned(
        address proposer,
        RecordInput calldata input,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) private returns (bytes32) {
        RecordInput memory record = input;
        _checkFields(record);
        _checkProposerAndWindow(proposer, issuedAt, deadline);
        _checkSignatures(_digest(record, proposer, issuedAt, deadline), proposer, issuedAt, signatures);
        return _append(proposer, record, Attestation.Signatures, issuedAt, deadline, signatures, 0);
    }

    /// @dev The proposer is a bank, and the signatures' window is open now and at most
    ///      `MAX_SIGNATURE_WINDOW` long: `issuedAt <= block.timestamp <= deadline`.
    function _checkProposerAndWindow(address proposer, uint64 issuedAt, uint64 deadline) private view {
        if (!_isVoting(proposer)) revert NotVotingMember(proposer);
        if (deadline < block.timestamp) revert EndorsementExpired(deadline, block.timestamp);
        if (issuedAt > block.timestamp) revert IssuedInFuture(issuedAt, block.timestamp);
        if (deadline - issuedAt > MAX_SIGNATURE_WINDOW) {
            revert SignatureWindowTooLong(issuedAt, deadline, MAX_SIGNATURE_WINDOW);
        }
    }

    /// @dev The signatures meet the quorum and each is valid (`_checkSigners`).
    function _checkSignatures(
        bytes32 digest,
        address proposer,
        uint64 issuedAt,
        bytes calldata signatures
    ) private view {
        if (signatures.length % 64 != 0) revert MalformedSignatures(signatures.length);
        uint256 count = signatures.length / 64;
        uint256 required = quorumFor(_votingMembers());
        if (count < required) revert QuorumNotMet(count, required);
        _checkSigners(digest, proposer, issuedAt, signatures, count);
    }

    /// @dev Every signature must recover to a distinct active voting member other than `proposer`,
    ///      admitted no later than `issuedAt`, in ascending order.
    function _checkSigners(
        bytes32 digest,
        address proposer,
        uint64 issuedAt,
        bytes calldata signatures,
        uint256 count
    ) private view {
        address last = address(0);
        for (uint256 i = 0; i < count; i++) {
            bytes32 r;
            bytes32 vs;
            assembly ("memory-safe") {
                let p := add(signatures.offset, mul(i, 64))
                r := calldataload(p)
                vs := calldataload(add(p, 32))
            }
            (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, r, vs);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            if (signer <= last) revert SignersNotSorted(i, signer);
            if (signer == proposer) revert ProposerCannotEndorse(proposer);
            Member storage m = _member(signer);
            if (!m.active || !_isVotingRole(m.role)) revert UnknownSigner(i, signer);
            if (issuedAt < m.admittedAt) revert SignedBeforeAdmission(i, signer, issuedAt, m.admittedAt);
            last = signer;
        }
    }

    function _checkFields(RecordInput memory record) private pure {
        if (record.subject == bytes32(0) || record.kind == bytes32(0) || record.contentHash == bytes32(0)) {
            revert EmptyRecordField();
        }
    }

    /// @dev Extends the subject's chain. Endorsed records (not facts) are also indexed by content,
    ///      which rejects a second record with the same content on the same subject.
    function _append(
        address proposer,
        RecordInput memory record,
        Attestation attestation,
        uint64 issuedAt,
        uint64 deadline,
        bytes memory endorsements,
        uint256 leafCount
    ) private returns (bytes32 head) {
        bytes32 current = _heads[record.subject];
        if (current != record.prev) revert StaleHead(record.subject, record.prev, current);
        if (attestation != Attestation.Fact) {
            bytes32 key = _recordKey(record.subject, record.contentHash);
            RecordInfo storage info = _records[key];
            if (info.blockNumber != 0) revert DuplicateContent(record.subject, record.contentHash);
            info.blockNumber = uint64(block.number);
            info.timestamp = uint64(block.timestamp);
            info.attestation = attestation;
            if (leafCount != 0) info.leafCount = uint32(leafCount);
        }
        head = keccak256(abi.encodePacked(current, _recordHash(record, proposer)));
        _heads[record.subject] = head;
        emit RecordCommitted(
            record.subject,
            record.kind,
            proposer,
            record.contentHash,
            record.attrs,
            current,
            head,
            attestation,
            issuedAt,
            deadline,
            endorsements
        );
    }

    // ---------------------------------------------------------------- membership by signatures

    /// @inheritdoc IMembership
    function executeChange(
        ChangeInput calldata change,
        uint64 epoch,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external onlyVotingMember {
        if (change.account == address(0)) revert ZeroAddress();
        uint64 current = _m.epoch;
        if (epoch != current) revert WrongEpoch(epoch, current);
        _checkProposerAndWindow(msg.sender, issuedAt, deadline);
        if (signatures.length % 64 != 0) revert MalformedSignatures(signatures.length);
        uint256 count = signatures.length / 64;
        uint256 required = MembershipLib.majorityOf(_votingMembers());
        if (count < required) revert MajorityNotMet(count, required);
        _checkSigners(_changeDigest(change, epoch, issuedAt, deadline), address(0), issuedAt, signatures, count);
        MembershipLib.executeSigned(_m, change, issuedAt, deadline, signatures);
    }

    /// @inheritdoc IMembership
    function membershipChangeDigest(
        ChangeInput calldata change,
        uint64 epoch,
        uint64 issuedAt,
        uint64 deadline
    ) external view returns (bytes32) {
        return _changeDigest(change, epoch, issuedAt, deadline);
    }

    function _changeDigest(
        ChangeInput calldata c,
        uint64 epoch,
        uint64 issuedAt,
        uint64 deadline
    ) private view returns (bytes32) {
        bytes32 data = MembershipLib.changeData(c.action, c.name, c.encryptionKey);
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(MEMBERSHIP_CHANGE_TYPEHASH, c.action, c.account, c.role, data, epoch, issuedAt, deadline)
                )
            );
    }

    // ---------------------------------------------------------------- on-chain voting

    /// @inheritdoc IEvidenceLedger
    function propose(RecordInput calldata record, uint64 deadline) external onlyVotingMember returns (bytes32 id) {
        _checkFields(record);
        if (Kinds.moduleOwned(record.kind)) revert ReservedKind(record.kind);
        if (deadline < block.timestamp || deadline > block.timestamp + MAX_VOTING_PERIOD) {
            revert InvalidDeadline(deadline, MAX_VOTING_PERIOD);
        }
        bytes32 current = _heads[record.subject];
        if (current != record.prev) revert StaleHead(record.subject, record.prev, current);
        if (_records[_recordKey(record.subject, record.contentHash)].blockNumber != 0) {
            revert DuplicateContent(record.subject, record.contentHash);
        }
        id = _recordHash(record, msg.sender);
        Proposal storage p = _proposals[id];
        if (p.state != ProposalState.None) revert ProposalExists(id);
        uint256 voting = _votingMembers();
        uint256 quorum = quorumFor(voting);
        p.record = record;
        p.proposer = msg.sender;
        p.deadline = deadline;
        p.state = ProposalState.Open;
        p.snapshotSeq = _seq();
        p.quorum = uint32(quorum);
        p.eligible = uint32(voting - 1);
        emit RecordProposed(
            id,
            record.subject,
            msg.sender,
            record.kind,
            record.contentHash,
            record.attrs,
            record.prev,
            deadline,
            quorum
        );
    }

    /// @inheritdoc IEvidenceLedger
    function endorse(bytes32 id) external onlyVotingMember {
        Proposal storage p = _proposals[id];
        p.endorsed |= _voteBit(id, p);
        emit RecordEndorsed(id, msg.sender);
        _settle(id, p);
    }

    /// @inheritdoc IEvidenceLedger
    function object(bytes32 id) external onlyVotingMember {
        Proposal storage p = _proposals[id];
        p.objected |= _voteBit(id, p);
        emit RecordObjected(id, msg.sender);
        _settle(id, p);
    }

    /// @inheritdoc IEvidenceLedger
    function expire(bytes32 id) external {
        Proposal storage p = _proposals[id];
        if (p.state != ProposalState.Open) revert ProposalNotOpen(id, p.state);
        if (block.timestamp <= p.deadline) revert ProposalNotExpired(id, p.deadline);
        _reject(id, p, RejectReason.Expired);
    }

    /// @inheritdoc IEvidenceLedger
    function proposalInfo(bytes32 id) external view returns (Proposal memory) {
        return _proposals[id];
    }

    /// @inheritdoc IEvidenceLedger
    function proposalVoters(bytes32 id) external view returns (address[] memory endorsers, address[] memory objectors) {
        Proposal storage p = _proposals[id];
        endorsers = _membersIn(p.endorsed);
        objectors = _membersIn(p.objected);
    }

    /// @dev Checks the caller may vote on `id` now, and returns its bit in the vote bitmaps.
    function _voteBit(bytes32 id, Proposal storage p) private view returns (uint64 bit) {
        if (p.state != ProposalState.Open) revert ProposalNotOpen(id, p.state);
        if (block.timestamp > p.deadline) revert EndorsementExpired(p.deadline, block.timestamp);
        if (msg.sender == p.proposer) revert ProposerCannotEndorse(msg.sender);
        Member storage m = _member(msg.sender);
        if (m.admittedSeq > p.snapshotSeq) revert JoinedAfterProposal(id, msg.sender);
        bit = uint64(1) << m.index;
        if ((p.endorsed | p.objected) & bit != 0) revert AlreadyVotedOn(id, msg.sender);
    }

    /// @dev Commits once quorum is met by endorsers who are still members; rejects once it cannot be.
    ///      While membership is as it was at the proposal, the bitmaps alone decide; after a change,
    ///      every member is looked at again.
    function _settle(bytes32 id, Proposal storage p) private {
        uint256 endorsed = p.endorsed;
        bool changed = _seq() != p.snapshotSeq;
        uint256 valid;
        uint256 undecided;
        uint256 quorum = p.quorum;
        if (!changed) {
            valid = _popcount(endorsed);
            undecided = p.eligible - _popcount(endorsed | p.objected);
        } else {
            if (!_isVoting(p.proposer)) return _reject(id, p, RejectReason.QuorumUnreachable);
            (valid, undecided) = _tally(p, endorsed);
            // The quorum is the one of the banks as they are when the record commits.
            quorum = quorumFor(_votingMembers());
        }
        if (valid >= quorum) {
            RecordInput memory record = p.record;
            if (
                _heads[record.subject] != record.prev ||
                _records[_recordKey(record.subject, record.contentHash)].blockNumber != 0
            ) return _reject(id, p, RejectReason.ChainMoved);
            p.state = ProposalState.Committed;
            _append(p.proposer, record, Attestation.Votes, 0, p.deadline, _endorsers(endorsed, changed), 0);
            return;
        }
        if (valid + undecided < quorum) _reject(id, p, RejectReason.QuorumUnreachable);
    }

    /// @dev Endorsements by current banks, and eligible current banks that have not voted yet.
    function _tally(Proposal storage p, uint256 endorsed) private view returns (uint256 valid, uint256 undecided) {
        uint256 voted = endorsed | p.objected;
        address proposer = p.proposer;
        uint32 snapshot = p.snapshotSeq;
        address[] storage all = _allMembers();
        for (uint256 i = 0; i < all.length; i++) {
            address a = all[i];
            if (!_isVoting(a)) continue;
            if ((endorsed >> i) & 1 != 0) valid++;
            else if ((voted >> i) & 1 == 0 && a != proposer && _member(a).admittedSeq <= snapshot) undecided++;
        }
    }

    /// @dev The endorsers' 20-byte addresses, packed in member order; after a membership change,
    ///      only those still banks.
    function _endorsers(uint256 endorsed, bool changed) private view returns (bytes memory packed) {
        address[] storage all = _allMembers();
        packed = new bytes(_popcount(endorsed) * 20);
        uint256 n = 0;
        for (uint256 i = 0; endorsed >> i != 0; i++) {
            if ((endorsed >> i) & 1 == 0) continue;
            address a = all[i];
            if (changed && !_isVoting(a)) continue;
            assembly ("memory-safe") {
                mstore(add(add(packed, 32), mul(n, 20)), shl(96, a))
            }
            n++;
        }
        assembly ("memory-safe") {
            mstore(packed, mul(n, 20))
        }
    }

    function _membersIn(uint256 bits) private view returns (address[] memory accounts) {
        address[] storage all = _allMembers();
        accounts = new address[](_popcount(bits));
        uint256 n = 0;
        for (uint256 i = 0; bits >> i != 0; i++) {
            if ((bits >> i) & 1 != 0) accounts[n++] = all[i];
        }
    }

    function _reject(bytes32 id, Proposal storage p, RejectReason reason) private {
        p.state = ProposalState.Rejected;
        emit ProposalRejected(id, reason);
    }

    function _popcount(uint256 x) private pure returns (uint256 n) {
        for (; x != 0; n++) x &= x - 1;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IEvidenceLedger
    function headOf(bytes32 subject) external view returns (bytes32) {
        return _heads[subject];
    }

    /// @inheritdoc IEvidenceLedger
    function recordInfo(bytes32 subject, bytes32 contentHash) external view returns (RecordInfo memory) {
        return _records[_recordKey(subject, contentHash)];
    }

    /// @inheritdoc IEvidenceLedger
    function endorsementDigest(
        RecordInput calldata record,
        address proposer,
        uint64 issuedAt,
        uint64 deadline
    ) external view returns (bytes32) {
        return _digest(record, proposer, issuedAt, deadline);
    }

    /// @inheritdoc IEvidenceLedger
    function recordHash(RecordInput calldata record, address proposer) external pure returns (bytes32) {
        return _recordHash(record, proposer);
    }

    /// @inheritdoc IEvidenceLedger
    function verifyBatchLeaf(
        bytes32 batchSubject,
        bytes32 root,
        bytes32[] calldata proof,
        bytes32[4] calldata leaf
    ) external view returns (bool) {
        // Only a root committed by `commitBatch` has leaves.
        if (_records[_recordKey(batchSubject, root)].leafCount == 0) return false;
        bytes32 leafHash = keccak256(bytes.concat(keccak256(abi.encode(leaf[0], leaf[1], leaf[2], leaf[3]))));
        return MerkleProof.verifyCalldata(proof, root, leafHash);
    }

    /// @inheritdoc IEvidenceLedger
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _digest(
        RecordInput memory r,
        address proposer,
        uint64 issuedAt,
        uint64 deadline
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        ENDORSEMENT_TYPEHASH,
                        r.subject,
                        r.kind,
                        r.contentHash,
                        r.attrs,
                        r.prev,
                        proposer,
                        issuedAt,
                        deadline
                    )
                )
            );
    }

    function _recordHash(RecordInput memory r, address proposer) private pure returns (bytes32) {
        return keccak256(abi.encode(r.subject, r.kind, r.contentHash, r.attrs, r.prev, proposer));
    }

    function _recordKey(bytes32 subject, bytes32 contentHash) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(subject, contentHash));
    }
}

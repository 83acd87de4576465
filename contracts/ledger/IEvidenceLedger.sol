// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Attestation, ProposalState, RecordInput, RecordInfo} from "../common/Types.sol";

/// @title Majority-endorsed evidence ledger
/// @notice A record takes effect only once its proposer (a voting member) and more than half of
///         the other voting members have endorsed it. Each subject keeps a hash chain
///         `head = keccak256(prev ‖ recordHash)` so any omission or reordering shows.
interface IEvidenceLedger {
    /// @notice A record put to an on-chain vote. Votes are bitmaps over member indexes
    ///         (`memberInfo(account).index`), so a vote costs one storage write.
    struct Proposal {
        RecordInput record; // the record; `record.prev` is the head it extends
        address proposer; // the bank that proposed it (its endorsement is implied)
        uint64 deadline; // last second at which votes are taken
        ProposalState state; // where it stands
        uint32 snapshotSeq; // membership sequence at proposal: later joiners do not vote
        uint32 quorum; // endorsements needed, fixed at proposal
        uint32 eligible; // banks other than the proposer at proposal
        uint64 endorsed; // bit i set: member i endorsed
        uint64 objected; // bit i set: member i objected
    }

    /// @notice Emitted when a record joins its subject's chain. Carries everything needed to
    ///         rebuild and re-verify the chain from logs alone.
    /// @param subject the chain the record extends
    /// @param kind the record's schema
    /// @param proposer the member (or, for facts, the actor) who put the record forward
    /// @param contentHash salted hash of the off-chain document
    /// @param attrs hash of the kind's on-chain parameters, or 0
    /// @param prev the head before this record
    /// @param head the head after this record
    /// @param attestation how it was endorsed
    /// @param issuedAt the time the signers signed (0 for votes and facts)
    /// @param deadline the endorsement deadline the signers signed (0 for facts)
    /// @param endorsements 64-byte compact signatures (Signatures), 20-byte endorser addresses in
    ///        member order (Votes), or the 20-byte reporting module (Fact)
    event RecordCommitted(
        bytes32 indexed subject,
        bytes32 indexed kind,
        address indexed proposer,
        bytes32 contentHash,
        bytes32 attrs,
        bytes32 prev,
        bytes32 head,
        Attestation attestation,
        uint64 issuedAt,
        uint64 deadline,
        bytes endorsements
    );

    /// @notice Emitted when a batch root was committed; its leaves are proven by inclusion proofs.
    event BatchCommitted(bytes32 indexed subject, bytes32 indexed root, uint256 leafCount);

    /// @notice Emitted when a record is put to an on-chain vote.
    event RecordProposed(
        bytes32 indexed id,
        bytes32 indexed subject,
        address indexed proposer,
        bytes32 kind,
        bytes32 contentHash,
        bytes32 attrs,
        bytes32 prev,
        uint64 deadline,
        uint256 quorum
    );
    /// @notice Emitted when a member endorses a proposed record.
    event RecordEndorsed(bytes32 indexed id, address indexed member);
    /// @notice Emitted when a member objects to a proposed record.
    event RecordObjected(bytes32 indexed id, address indexed member);
    /// @notice Emitted when a proposal can no longer be committed.
    event ProposalRejected(bytes32 indexed id, RejectReason reason);

    /// @notice Why a proposal was rejected.
    enum RejectReason {
        QuorumUnreachable, // too many objections or removals
        Expired, // its deadline passed
        ChainMoved // another record extended the subject first
    }

    /// @notice The endorsement deadline `deadline` passed at `nowTime`.
    error EndorsementExpired(uint64 deadline, uint256 nowTime);
    /// @notice The signatures claim to be made at `issuedAt`, after `nowTime`.
    error IssuedInFuture(uint64 issuedAt, uint256 nowTime);
    /// @notice A signature may live at most `maximum` seconds: from `issuedAt` to `deadline` is longer
    ///         (or the deadline is before `issuedAt`).
    error SignatureWindowTooLong(uint64 issuedAt, uint64 deadline, uint256 maximum);
    /// @notice `signer` (signature `index`) was admitted at `admittedAt`, after the signatures were
    ///         issued (`issuedAt`): a signature made before its signer was admitted does not count.
    error SignedBeforeAdmission(uint256 index, address signer, uint64 issuedAt, uint64 admittedAt);
    /// @notice `count` valid endorsements were given; `required` are needed.
    error QuorumNotMet(uint256 count, uint256 required);
    /// @notice The signatures blob is not a whole number of 64-byte signatures.
    error MalformedSignatures(uint256 length);
    /// @notice Signature `index` does not recover to any address.
    error InvalidSignature(uint256 index);
    /// @notice `signer` (signature `index`) is not an active voting member.
    error UnknownSigner(uint256 index, address signer);
    /// @notice Signers must be in strictly ascending address order; `signer` is out of order or repeated.
    error SignersNotSorted(uint256 index, address signer);
    /// @notice The proposer cannot count as one of its own endorsers.
    error ProposerCannotEndorse(address proposer);
    /// @notice The record claims to extend `claimed`, but the subject's head is `actual`.
    error StaleHead(bytes32 subject, bytes32 claimed, bytes32 actual);
    /// @notice This subject already has a record with this content.
    error DuplicateContent(bytes32 subject, bytes32 contentHash);
    /// @notice Subject, kind and content hash must be non-zero.
    error EmptyRecordField();
    /// @notice Records of `kind` are written only by the module that owns the kind (or, for Batch,
    ///         only by `commitBatch`): not by a bank through `commit`/`propose`, nor by a module while
    ///         no enabled module owns it.
    error ReservedKind(bytes32 kind);
    /// @notice Records of `kind` are written only by module `owner`, which claimed it when enabled.
    error KindOfAnotherModule(bytes32 kind, address owner);
    /// @notice A batch must hold between 1 and `maximum` leaves; it held `count`.
    error InvalidBatchSize(uint256 count, uint256 maximum);
    /// @notice No open proposal `id`; it is in `state`.
    error ProposalNotOpen(bytes32 id, ProposalState state);
    /// @notice Proposal `id` is still open for votes until `deadline`.
    error ProposalNotExpired(bytes32 id, uint64 deadline);
    /// @notice A proposal with this id exists already.
    error ProposalExists(bytes32 id);
    /// @notice `member` already voted on proposal `id`.
    error AlreadyVotedOn(bytes32 id, address member);
    /// @notice `member` joined after proposal `id` and may not vote on it.
    error JoinedAfterProposal(bytes32 id, address member);
    /// @notice The deadline is in the past or more than `maximum` seconds ahead.
    error InvalidDeadline(uint64 deadline, uint256 maximum);

    /// @notice Commits a record endorsed off-chain by EIP-712 signatures, in one transaction.
    /// @param record the record; `record.prev` must be the subject's current head
    /// @param issuedAt the time every endorser signed: `issuedAt <= block.timestamp`, and not before
    ///        any signer's admission
    /// @param deadline the deadline every endorser signed: `block.timestamp <= deadline` and
    ///        `deadline - issuedAt <= MAX_SIGNATURE_WINDOW`
    /// @param signatures concatenated 64-byte compact (EIP-2098) signatures, ascending by signer
    /// @return head the subject's new head
    function commit(
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32 head);

    /// @notice Commits a Merkle root over many records (leaves) as one endorsed record of kind `Kinds.BATCH`.
    /// @param subject the batch chain (e.g. one per proposer and day)
    /// @param root Merkle root (OpenZeppelin standard tree, sorted pairs) of the leaves
    /// @param leafCount how many leaves the tree holds
    /// @param prev the batch subject's current head
    /// @param issuedAt the time every endorser signed (as for `commit`)
    /// @param deadline the deadline every endorser signed
    /// @param signatures as for `commit`
    /// @return head the batch subject's new head
    function commitBatch(
        bytes32 subject,
        bytes32 root,
        uint256 leafCount,
        bytes32 prev,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32 head);

    /// @notice For module contracts: commits a signed record on behalf of `proposer`, who called the module.
    ///         A module-owned kind only from the module that owns it (`kindOwner`).
    function commitFor(
        address proposer,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (bytes32 head);

    /// @notice For module contracts: appends an on-chain fact (a state change the module just made)
    ///         to `subject`'s chain; `actor` is whoever sent the transaction. A module-owned kind
    ///         only from the module that owns it (`kindOwner`).
    function recordFact(
        address actor,
        bytes32 subject,
        bytes32 kind,
        bytes32 contentHash,
        bytes32 attrs
    ) external returns (bytes32 head);

    /// @notice Puts a record to an on-chain vote; the proposer's endorsement is implied.
    /// @return id the proposal id (the record hash)
    function propose(RecordInput calldata record, uint64 deadline) external returns (bytes32 id);

    /// @notice Endorses proposal `id`; the endorsement reaching quorum commits the record.
    function endorse(bytes32 id) external;

    /// @notice Objects to proposal `id`; rejects it once quorum is out of reach.
    function object(bytes32 id) external;

    /// @notice Rejects proposal `id` once its deadline has passed. Anyone may call.
    function expire(bytes32 id) external;

    /// @notice Current head of `subject`'s chain (0 if it has no records).
    function headOf(bytes32 subject) external view returns (bytes32);

    /// @notice When the endorsed record of `subject` with `contentHash` was committed (zero if never;
    ///         facts are not indexed).
    function recordInfo(bytes32 subject, bytes32 contentHash) external view returns (RecordInfo memory);

    /// @notice EIP-712 digest the endorsers of `record` sign.
    function endorsementDigest(
        RecordInput calldata record,
        address proposer,
        uint64 issuedAt,
        uint64 deadline
    ) external view returns (bytes32);

    /// @notice Hash that links `record` into its chain.
    function recordHash(RecordInput calldata record, address proposer) external pure returns (bytes32);

    /// @notice Whether the record `leaf` = [subject, kind, contentHash, attrs] is in the batch `root`
    ///         committed on `batchSubject` by `commitBatch`.
    /// @dev The leaf hash is computed here from the values, as the OpenZeppelin standard tree does:
    ///      keccak256(bytes.concat(keccak256(abi.encode(values)))). A caller can therefore never pass
    ///      an inner node of the tree off as a leaf, whatever the tree's shape.
    function verifyBatchLeaf(
        bytes32 batchSubject,
        bytes32 root,
        bytes32[] calldata proof,
        bytes32[4] calldata leaf
    ) external view returns (bool);

    /// @notice A proposal on the voting path, with its votes so far (bitmaps over member indexes).
    function proposalInfo(bytes32 id) external view returns (Proposal memory);

    /// @notice Who endorsed and who objected to proposal `id` so far, in member order.
    function proposalVoters(bytes32 id) external view returns (address[] memory endorsers, address[] memory objectors);

    /// @notice EIP-712 domain separator of this ledger.
    function domainSeparator() external view returns (bytes32);
}

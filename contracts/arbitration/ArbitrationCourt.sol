// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IArbitrationCourt} from "./IArbitrationCourt.sol";
import {IConsortiumLedger, ILedgerModule, LedgerModule, checkPlace, checkRecord} from "../ledger/LedgerModule.sol";
import {IAwardEnforcement, ILoanCourtHooks} from "../lending/ILoanCourtHooks.sol";
import {Kinds, LoanStatus, RecordInput, Role, Subjects} from "../common/Types.sol";
import {EmptyHash, NotLoanBook} from "../common/Errors.sol";

/// @title ArbitrationCourt
/// @notice Cases over defaulted loans, written to the evidence ledger as a module. Every case has
///         its own chain `Subjects.arbitrationCase(caseId)`:
///         CaseOpened (endorsed) → CaseStatement (endorsed) / CaseResponse, Disclosure (facts) → Award (fact).
///         The award is also appended to the loan's chain, which it closes.
/// @dev Content hashes of the facts the court writes are the parties' salted document hashes,
///      unchanged, so a document verifies directly against its record; the court keeps them unique
///      per case (the ledger does not index facts).
contract ArbitrationCourt is LedgerModule, IArbitrationCourt, IAwardEnforcement {
    /// @notice A constructor argument is not a deployed contract.
    error InvalidContract(address account);

    /// @dev A case as stored: four slots at filing, two more at the award.
    struct StoredCase {
        address claimant;
        uint64 openedAt;
        CaseState state;
        address arbitrator;
        uint64 openedBlock;
        uint256 loanId;
        bytes32 frozenHead;
        bytes32 awardHash;
        uint256 amountOwed;
        Outcome outcome;
    }

    /// @dev What the court keeps of a batched-path loan's case (the loan book knows nothing of it):
    ///      the borrower and its debt at the default, from the loan's committed state.
    struct CycleParties {
        address borrower;
        uint256 payoffAtDefault;
    }

    /// @notice Batched-path loan ids start here (2^64): the loan book's ids never reach them.
    uint256 public constant CYCLE_LOAN_ID_BASE = 1 << 64;
    /// @notice Kind of a cycle's close leaf and of a loan's state leaf (clients/core/types.ts).
    bytes32 public constant CYCLE_CLOSE = keccak256("colend.kind.CycleClose.v1");
    bytes32 public constant CYCLE_LOAN_STATE = keccak256("colend.kind.CycleLoanState.v1");
    /// @dev Layout of a loan's state words (CycleLoanState in clients/evidence/cycle.ts): 17 head
    ///      words, then per funder its account, funded amount, principal returned, income received.
    uint256 private constant STATE_HEAD = 17;
    uint256 private constant W_BORROWER = 2;
    uint256 private constant W_STATUS = 3;
    uint256 private constant W_PAYOFF = 15;
    uint256 private constant W_FUNDERS = 16;
    uint256 private constant MAX_FUNDERS = 256;

    /// @notice The loan book whose defaulted loans the court hears.
    ILoanCourtHooks public immutable loanBook;

    mapping(uint256 caseId => StoredCase) private _cases;
    mapping(uint256 caseId => CycleParties) private _cycleParties;
    mapping(uint256 caseId => mapping(address account => bool)) private _cycleLender;
    /// @inheritdoc IArbitrationCourt
    mapping(uint256 loanId => uint256 caseId) public cycleCaseOf;
    mapping(bytes32 key => bool) private _factContent;
    uint256 private _nextCaseId = 1;

    /// @param ledger_ the evidence ledger (it must enable the court as a module)
    /// @param loanBook_ the loan book (it must bind this court before genesis is sealed)
    constructor(IConsortiumLedger ledger_, ILoanCourtHooks loanBook_) LedgerModule(ledger_) {
        if (address(ledger_).code.length == 0) revert InvalidContract(address(ledger_));
        if (address(loanBook_).code.length == 0) revert InvalidContract(address(loanBook_));
        loanBook = loanBook_;
    }

    // ---------------------------------------------------------------- filing

    /// @inheritdoc IArbitrationCourt
    /// @dev `claim.attrs` must be `keccak256(abi.encode(loanId, arbitrator, frozenHead))` with
    ///      `frozenHead = ledger.headOf(Subjects.loan(loanId))`, so the endorsers signed what is filed.
    function openCase(
        uint256 loanId,
        address arbitrator,
        RecordInput calldata claim,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (uint256 caseId) {
        if (loanBook.loanStatus(loanId) != LoanStatus.Defaulted) revert LoanNotDefaulted(loanId);
        if (!loanBook.isLender(loanId, msg.sender)) revert NotLender(loanId, msg.sender);
        caseId = _file(loanId, arbitrator, ledger.headOf(Subjects.loan(loanId)), claim, issuedAt, deadline, signatures);
        loanBook.onCaseOpened(loanId, caseId);
    }

    /// @inheritdoc IArbitrationCourt
    /// @dev The smallest sound form of "the court opens cases on the batched path": a default is
    ///      final on that path (partners refuse every later operation on the loan), so one
    ///      committed state saying Defaulted proves it for good; the court keeps the borrower, the
    ///      lenders and the payoff at the default from those words, for the case's later steps.
    function openCycleCase(
        CycleDefaultProof calldata proof,
        address arbitrator,
        RecordInput calldata claim,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external returns (uint256 caseId) {
        caseId = _file(_cycleClaim(proof), arbitrator, proof.root, claim, issuedAt, deadline, signatures);
        _keepCycleParties(caseId, proof.state);
    }

    /// @dev The default is proven, the caller funded the loan and the loan has no case yet; returns the loan.
    function _cycleClaim(CycleDefaultProof calldata proof) private view returns (uint256 loanId) {
        uint256 funders;
        (loanId, funders) = _provenCycleDefault(proof);
        bytes32[] calldata w = proof.state;
        bool lender = false;
        for (uint256 i = 0; i < funders && !lender; i++) {
            lender = address(uint160(uint256(w[STATE_HEAD + i]))) == msg.sender;
        }
        if (!lender) revert NotLender(loanId, msg.sender);
        uint256 filed = cycleCaseOf[loanId];
        if (filed != 0) revert CaseAlreadyFiled(loanId, filed);
    }

    /// @dev Keeps what the case's later steps need from the committed state: borrower, lenders, payoff.
    function _keepCycleParties(uint256 caseId, bytes32[] calldata w) private {
        cycleCaseOf[uint256(w[0])] = caseId;
        _cycleParties[caseId] = CycleParties({
            borrower: address(uint160(uint256(w[W_BORROWER]))),
            payoffAtDefault: uint256(w[W_PAYOFF])
        });
        uint256 funders = uint256(w[W_FUNDERS]);
        for (uint256 i = 0; i < funders; i++) _cycleLender[caseId][address(uint160(uint256(w[STATE_HEAD + i])))] = true;
    }

    /// @dev Checks the batched-path default proof; returns the loan and its funder count.
    function _provenCycleDefault(CycleDefaultProof calldata p) private view returns (uint256 loanId, uint256 funders) {
        bytes32[] calldata w = p.state;
        if (w.length < STATE_HEAD) revert CycleStateMalformed(w.length);
        loanId = uint256(w[0]);
        if (loanId < CYCLE_LOAN_ID_BASE) revert NotCycleLoan(loanId);
        funders = uint256(w[W_FUNDERS]);
        if (funders == 0 || funders > MAX_FUNDERS || w.length != STATE_HEAD + 4 * funders) {
            revert CycleStateMalformed(w.length);
        }
        bytes32 stateLeaf = keccak256(
            bytes.concat(
                keccak256(
                    abi.encode(Subjects.loan(loanId), CYCLE_LOAN_STATE, keccak256(abi.encodePacked(w)), bytes32(0))
                )
            )
        );
        if (
            !MerkleProof.verifyCalldata(p.stateProof, p.stateRoot, stateLeaf) ||
            !ledger.verifyBatchLeaf(
                p.cycleSubject,
                p.root,
                p.closeProof,
                [p.cycleSubject, CYCLE_CLOSE, p.closeContent, p.stateRoot]
            )
        ) revert CycleStateNotCommitted(p.cycleSubject, p.root);
        if (uint256(w[W_STATUS]) != uint256(LoanStatus.Defaulted)) revert LoanNotDefaulted(loanId);
    }

    /// @dev Files the claim (an endorsed CaseOpened record) on the next case, freezing `frozenHead`.
    function _file(
        uint256 loanId,
        address arbitrator,
        bytes32 frozenHead,
        RecordInput calldata claim,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) private returns (uint256 caseId) {
        if (ledger.roleOf(arbitrator) != Role.Arbitrator) revert NotArbitrator(arbitrator);
        caseId = _nextCaseId;
        checkRecord(
            Subjects.arbitrationCase(caseId),
            Kinds.CASE_OPENED,
            keccak256(abi.encode(loanId, arbitrator, frozenHead)),
            claim
        );

        _nextCaseId = caseId + 1;
        StoredCase storage c = _cases[caseId];
        c.claimant = msg.sender;
        c.openedAt = uint64(block.timestamp);
        c.state = CaseState.Open;
        c.arbitrator = arbitrator;
        c.openedBlock = uint64(block.number);
        c.loanId = loanId;
        c.frozenHead = frozenHead;

        ledger.commitFor(msg.sender, claim, issuedAt, deadline, signatures);
        emit CaseOpened(caseId, loanId, arbitrator, msg.sender, frozenHead, claim.contentHash);
    }

    /// @inheritdoc IArbitrationCourt
    function fileStatement(
        uint256 caseId,
        RecordInput calldata statement,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        StoredCase storage c = _openCase(caseId);
        if (!_isLender(caseId, c.loanId, msg.sender)) revert NotLender(c.loanId, msg.sender);
        checkPlace(Subjects.arbitrationCase(caseId), Kinds.CASE_STATEMENT, statement);
        ledger.commitFor(msg.sender, statement, issuedAt, deadline, signatures);
        emit StatementFiled(caseId, msg.sender, statement.contentHash);
    }

    /// @inheritdoc IArbitrationCourt
    /// @dev `contentHash` is the salted hash of the response document; it must be new on the case.
    function respond(uint256 caseId, bytes32 contentHash) external {
        StoredCase storage c = _openCase(caseId);
        address borrower = _borrowerOf(caseId, c.loanId);
        if (msg.sender != borrower) revert NotBorrower(caseId, msg.sender);
        bytes32 subject = Subjects.arbitrationCase(caseId);
        _claimContent(caseId, subject, contentHash, true);
        ledger.recordFact(msg.sender, subject, Kinds.CASE_RESPONSE, contentHash, bytes32(0));
        emit ResponseFiled(caseId, msg.sender, contentHash);
    }

    /// @inheritdoc IArbitrationCourt
    /// @dev Recorded as a fact of kind Disclosure on the case chain, with
    ///      `attrs = keccak256(abi.encode(arbitrator))`: the recipient the documents were wrapped to.
    function recordDisclosure(uint256 caseId, bytes32 manifestHash) external {
        StoredCase storage c = _openCase(caseId);
        if (msg.sender != c.claimant) revert NotClaimant(caseId, msg.sender);
        address arbitrator = c.arbitrator;
        bytes32 subject = Subjects.arbitrationCase(caseId);
        _claimContent(caseId, subject, manifestHash, true);
        ledger.recordFact(msg.sender, subject, Kinds.DISCLOSURE, manifestHash, keccak256(abi.encode(arbitrator)));
        emit EvidenceDisclosed(caseId, arbitrator, manifestHash);
    }

    /// @inheritdoc IArbitrationCourt
    function reassignArbitrator(
        uint256 caseId,
        address arbitrator,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        StoredCase storage c = _openCase(caseId);
        address current = c.arbitrator;
        if (ledger.roleOf(current) == Role.Arbitrator) revert ArbitratorStillActive(caseId, current);
        if (ledger.roleOf(arbitrator) != Role.Arbitrator) revert NotArbitrator(arbitrator);
        checkRecord(
            Subjects.arbitrationCase(caseId),
            Kinds.CASE_REASSIGNED,
            keccak256(abi.encode(caseId, arbitrator)),
            record
        );
        // The ledger checks the proposer is a bank and the quorum of the other banks endorsed it.
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
        c.arbitrator = arbitrator;
        emit ArbitratorReassigned(caseId, current, arbitrator);
    }

    // ---------------------------------------------------------------- ruling

    /// @inheritdoc IArbitrationCourt
    /// @dev The award fact carries `attrs = keccak256(abi.encode(caseId, loanId, amountOwed))` on
    ///      both chains. An arbitrator removed from the consortium can no longer rule.
    ///      Rules: a dismissal owes 0, a partly upheld award more than 0, and no award exceeds what
    ///      the loan book says the borrower owes now (its payoff); an award of 0 lists nobody.
    function issueAward(uint256 caseId, bytes32 awardHash, Outcome outcome, uint256 amountOwed) external {
        StoredCase storage c = _openCase(caseId);
        if (msg.sender != c.arbitrator) revert NotAssignedArbitrator(caseId, c.arbitrator);
        if (ledger.roleOf(msg.sender) != Role.Arbitrator) revert NotArbitrator(msg.sender);
        if (
            outcome == Outcome.None ||
            (outcome == Outcome.Dismissed && amountOwed != 0) ||
            (outcome == Outcome.PartlyUpheld && amountOwed == 0)
        ) revert InvalidOutcome(outcome, amountOwed);
        uint256 loanId = c.loanId;
        bool batched = loanId >= CYCLE_LOAN_ID_BASE;
        // A batched-path loan's debt is bounded by its payoff at the default, as committed.
        uint256 payoff = batched ? _cycleParties[caseId].payoffAtDefault : loanBook.payoffOf(loanId);
        if (amountOwed > payoff) revert AwardExceedsDebt(amountOwed, payoff);
        bytes32 caseSubject = Subjects.arbitrationCase(caseId);
        bytes32 loanSubject = Subjects.loan(loanId);
        // The award is the case chain's last fact: nothing needs to remember its hash.
        _claimContent(caseId, caseSubject, awardHash, false);
        if (ledger.recordInfo(loanSubject, awardHash).blockNumber != 0)
            revert ContentAlreadyRecorded(caseId, awardHash);

        c.state = CaseState.Awarded;
        c.awardHash = awardHash;
        c.amountOwed = amountOwed;
        c.outcome = outcome;

        bytes32 attrs = keccak256(abi.encode(caseId, loanId, amountOwed));
        ledger.recordFact(msg.sender, caseSubject, Kinds.AWARD, awardHash, attrs);
        ledger.recordFact(msg.sender, loanSubject, Kinds.AWARD, awardHash, attrs);
        if (!batched) loanBook.onAward(loanId, caseId, amountOwed);
        emit AwardIssued(caseId, loanId, awardHash, amountOwed);
        emit AwardReasoned(caseId, outcome);
    }

    // ---------------------------------------------------------------- enforcement

    /// @notice The loan book reports that payments against the award of case `caseId` reached it
    ///         (`paid` in all, split to the funders like any repayment): the case closes, with a
    ///         CaseClosed fact on its chain (attrs = keccak256(abi.encode(caseId, loanId, paid)))
    ///         whose actor is `payer`, who sent the payment that reached the award.
    function onAwardSatisfied(uint256 caseId, uint256 paid, address payer) external {
        if (msg.sender != address(loanBook)) revert NotLoanBook(msg.sender);
        StoredCase storage c = _cases[caseId];
        if (c.state != CaseState.Awarded) revert CaseNotAwarded(caseId, c.state);
        c.state = CaseState.Closed;
        uint256 loanId = c.loanId;
        bytes32 subject = Subjects.arbitrationCase(caseId);
        ledger.recordFact(
            payer,
            subject,
            Kinds.CASE_CLOSED,
            _factHash(subject, 1),
            keccak256(abi.encode(caseId, loanId, paid))
        );
        emit CaseClosed(caseId, loanId, paid);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IArbitrationCourt
    function caseInfo(uint256 caseId) external view returns (Case memory) {
        StoredCase storage c = _cases[caseId];
        return
            Case({
                loanId: c.loanId,
                claimant: c.claimant,
                arbitrator: c.arbitrator,
                state: c.state,
                openedAt: c.openedAt,
                openedBlock: c.openedBlock,
                frozenHead: c.frozenHead,
                awardHash: c.awardHash,
                amountOwed: c.amountOwed,
                outcome: c.outcome
            });
    }

    /// @inheritdoc IArbitrationCourt
    function nextCaseId() external view returns (uint256) {
        return _nextCaseId;
    }

    /// @inheritdoc ILedgerModule
    function ownedKinds() external pure override returns (bytes32[] memory) {
        return Kinds.ofCourt();
    }

    // ---------------------------------------------------------------- internal

    function _isLender(uint256 caseId, uint256 loanId, address account) private view returns (bool) {
        return loanId >= CYCLE_LOAN_ID_BASE ? _cycleLender[caseId][account] : loanBook.isLender(loanId, account);
    }

    function _borrowerOf(uint256 caseId, uint256 loanId) private view returns (address borrower) {
        if (loanId >= CYCLE_LOAN_ID_BASE) return _cycleParties[caseId].borrower;
        (borrower, ) = loanBook.borrowerOf(loanId);
    }

    function _openCase(uint256 caseId) private view returns (StoredCase storage c) {
        c = _cases[caseId];
        if (c.state != CaseState.Open) revert CaseNotOpen(caseId);
    }

    /// @dev Checks that `contentHash` is new on the case chain (non-zero, not used by an earlier fact
    ///      of the case, not the content of an endorsed record on it) and, if `reserve`, remembers it.
    function _claimContent(uint256 caseId, bytes32 subject, bytes32 contentHash, bool reserve) private {
        if (contentHash == bytes32(0)) revert EmptyHash();
        bytes32 key = keccak256(abi.encode(caseId, contentHash));
        if (_factContent[key] || ledger.recordInfo(subject, contentHash).blockNumber != 0) {
            revert ContentAlreadyRecorded(caseId, contentHash);
        }
        if (reserve) _factContent[key] = true;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {IConsortiumLedger, ILedgerModule, LedgerModule, checkRecord} from "../ledger/LedgerModule.sol";
import {Kinds, RecordInput, Role, Subjects} from "../common/Types.sol";
import {NotBank, NotLoanBook, ZeroAddress} from "../common/Errors.sol";

/// @title CreditRegistry
/// @notice Whitelist, credit limits, outside loans and the delinquency list, keyed by pseudonym.
contract CreditRegistry is LedgerModule, ICreditRegistry {
    /// @notice The settlement token, which learns of every whitelisted borrower account.
    ISettlementToken public immutable token;
    /// @notice Smallest credit limit, token units (default 500 CNY).
    uint256 public immutable minLimit;
    /// @notice Largest credit limit, token units (default 300,000 CNY).
    uint256 public immutable maxLimit;
    /// @notice The loan book, bound once at genesis.
    ILoanBook public loanBook;

    mapping(bytes32 pseudonym => CreditLine) private _lines;
    mapping(address account => bytes32) private _pseudonyms;
    mapping(bytes32 pseudonym => mapping(bytes32 institution => OutsideLoan)) private _outside;
    mapping(bytes32 pseudonym => uint256) private _outsideCount;
    mapping(bytes32 pseudonym => uint256) private _outsideExposure;
    uint64 private _seq;

    /// @param ledger_ the consortium ledger
    /// @param token_ the settlement token
    /// @param minLimit_ smallest credit limit, token units
    /// @param maxLimit_ largest credit limit, token units
    constructor(
        IConsortiumLedger ledger_,
        ISettlementToken token_,
        uint256 minLimit_,
        uint256 maxLimit_
    ) LedgerModule(ledger_) {
        if (address(token_) == address(0)) revert ZeroAddress();
        if (minLimit_ == 0 || minLimit_ > maxLimit_ || maxLimit_ > type(uint128).max) {
            revert LimitOutOfBounds(minLimit_, 1, maxLimit_);
        }
        token = token_;
        minLimit = minLimit_;
        maxLimit = maxLimit_;
    }

    /// @inheritdoc ICreditRegistry
    function bindLoanBook(address loanBook_) external onlyGenesisAdmin {
        if (address(loanBook) != address(0)) revert AlreadyBound(address(loanBook));
        if (loanBook_ == address(0)) revert ZeroAddress();
        loanBook = ILoanBook(loanBook_);
        emit LoanBookBound(loanBook_);
    }

    // ---------------------------------------------------------------- decisions

    /// @inheritdoc ICreditRegistry
    function whitelist(
        bytes32 pseudonym,
        address account,
        uint256 limit,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external onlyRole(Role.LeadBank) {
        if (pseudonym == bytes32(0)) revert ZeroPseudonym();
        if (_lines[pseudonym].state != CreditState.None) revert AlreadyWhitelisted(pseudonym);
        if (account == address(0)) revert ZeroAddress();
        bytes32 owner = _pseudonyms[account];
        if (owner != bytes32(0) || ledger.roleOf(account) != Role.None || ledger.isModule(account)) {
            revert AccountTaken(account, owner);
        }
        _checkLimit(limit);
        checkRecord(
            Subjects.borrower(pseudonym),
            Kinds.CREDIT_DECISION,
            keccak256(abi.encode(pseudonym, account, limit)),
            record
        );
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);

        uint64 seq = ++_seq;
        _lines[pseudonym] = CreditLine({
            account: account,
            lead: msg.sender,
            limit: uint128(limit),
            state: CreditState.Active,
            decidedAt: uint64(block.timestamp),
            decisionSeq: seq,
            listedSeq: 0,
            listings: 0
        });
        _pseudonyms[account] = pseudonym;
        emit CreditDecided(pseudonym, account, msg.sender, limit, seq);
        token.register(account);
    }

    /// @inheritdoc ICreditRegistry
    function reevaluate(
        bytes32 pseudonym,
        uint256 limit,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        CreditLine storage line = _heldLine(pseudonym);
        _checkLimit(limit);
        checkRecord(
            Subjects.borrower(pseudonym),
            Kinds.CREDIT_DECISION,
            keccak256(abi.encode(pseudonym, line.account, limit)),
            record
        );
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);

        uint64 seq = ++_seq;
        line.limit = uint128(limit);
        line.state = CreditState.Active;
        line.decidedAt = uint64(block.timestamp);
        line.decisionSeq = seq;
        emit CreditDecided(pseudonym, line.account, msg.sender, limit, seq);
    }

    /// @inheritdoc ICreditRegistry
    function close(
        bytes32 pseudonym,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        CreditLine storage line = _heldLine(pseudonym);
        if (line.state != CreditState.Active) revert LineNotActive(pseudonym);
        checkRecord(Subjects.borrower(pseudonym), Kinds.CREDIT_CLOSED, keccak256(abi.encode(pseudonym)), record);
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);

        uint64 seq = ++_seq;
        line.state = CreditState.Closed;
        emit CreditClosed(pseudonym, msg.sender, seq);
    }

    /// @inheritdoc ICreditRegistry
    function reportOutsideLoan(
        bytes32 pseudonym,
        bytes32 institution,
        uint256 amount,
        bool active,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        if (!ledger.isVotingMember(msg.sender)) revert NotBank(msg.sender);
        if (pseudonym == bytes32(0)) revert ZeroPseudonym();
        OutsideLoan storage loan = _outside[pseudonym][institution];
        if (
            institution == bytes32(0) ||
            amount > type(uint128).max ||
            (active && amount == 0) ||
            (!active && (amount != 0 || !loan.active))
        ) revert InvalidOutsideLoan(institution, amount, active);
        checkRecord(
            Subjects.borrower(pseudonym),
            Kinds.OUTSIDE_LOAN,
            keccak256(abi.encode(pseudonym, institution, amount, active)),
            record
        );
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);

        if (loan.active) _outsideExposure[pseudonym] -= loan.amount;
        else _outsideCount[pseudonym] += 1;
        if (active) _outsideExposure[pseudonym] += amount;
        else _outsideCount[pseudonym] -= 1;
        loan.amount = uint128(amount);
        loan.active = active;
        loan.reporter = msg.sender;
        emit OutsideLoanReported(pseudonym, institution, msg.sender, amount, active);
    }

    /// @inheritdoc ICreditRegistry
    function listDelinquent(bytes32 pseudonym, uint256 loanId, address actor) external {
        if (msg.sender != address(loanBook)) revert NotLoanBook(msg.sender);
        CreditLine storage line = _lines[pseudonym];
        if (line.state == CreditState.None) revert UnknownBorrower(pseudonym);
        uint64 seq = ++_seq;
        line.listedSeq = seq;
        uint32 listings = ++line.listings;
        bytes32 subject = Subjects.borrower(pseudonym);
        ledger.recordFact(
            actor,
            subject,
            Kinds.DELINQUENCY_LISTED,
            _factHash(subject, seq),
            keccak256(abi.encode(pseudonym, loanId, listings))
        );
        emit BorrowerListed(pseudonym, loanId, listings, seq);
    }

    /// @inheritdoc ICreditRegistry
    function recordCure(bytes32 pseudonym, uint256 loanId, address actor) external {
        if (msg.sender != address(loanBook)) revert NotLoanBook(msg.sender);
        CreditLine storage line = _lines[pseudonym];
        uint64 seq = ++_seq;
        bytes32 subject = Subjects.borrower(pseudonym);
        ledger.recordFact(
            actor,
            subject,
            Kinds.DELINQUENCY_CURED,
            _factHash(subject, seq),
            keccak256(abi.encode(pseudonym, loanId, line.listings))
        );
        emit BorrowerCured(pseudonym, loanId, seq);
    }

    /// @inheritdoc ILedgerModule
    function ownedKinds() external pure override returns (bytes32[] memory) {
        return Kinds.ofCreditRegistry();
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICreditRegistry
    function creditLine(bytes32 pseudonym) external view returns (CreditLine memory) {
        return _lines[pseudonym];
    }

    /// @inheritdoc ICreditRegistry
    function pseudonymOf(address account) external view returns (bytes32) {
        return _pseudonyms[account];
    }

    /// @inheritdoc ICreditRegistry
    function canBorrow(bytes32 pseudonym) external view returns (bool) {
        CreditLine storage line = _lines[pseudonym];
        return line.state == CreditState.Active && line.decisionSeq > line.listedSeq;
    }

    /// @inheritdoc ICreditRegistry
    function isDelinquent(bytes32 pseudonym) external view returns (bool) {
        return _lines[pseudonym].listings != 0;
    }

    /// @inheritdoc ICreditRegistry
    function multiHead(bytes32 pseudonym) external view returns (MultiHead memory m) {
        if (address(loanBook) != address(0)) {
            (m.consortiumLenders, m.consortiumExposure) = loanBook.consortiumExposure(pseudonym);
        }
        m.outsideInstitutions = _outsideCount[pseudonym];
        m.outsideExposure = _outsideExposure[pseudonym];
        m.institutions = m.consortiumLenders + m.outsideInstitutions;
        m.exposure = m.consortiumExposure + m.outsideExposure;
    }

    /// @inheritdoc ICreditRegistry
    function outsideLoan(bytes32 pseudonym, bytes32 institution) external view returns (OutsideLoan memory) {
        return _outside[pseudonym][institution];
    }

    /// @inheritdoc ICreditRegistry
    function limitBounds() external view returns (uint256, uint256) {
        return (minLimit, maxLimit);
    }

    // ---------------------------------------------------------------- internals

    function _heldLine(bytes32 pseudonym) private view returns (CreditLine storage line) {
        line = _lines[pseudonym];
        if (line.state == CreditState.None) revert UnknownBorrower(pseudonym);
        if (line.lead != msg.sender || ledger.roleOf(msg.sender) != Role.LeadBank) {
            revert NotLineHolder(pseudonym, line.lead);
        }
    }

    function _checkLimit(uint256 limit) private view {
        if (limit < minLimit || limit > maxLimit) revert LimitOutOfBounds(limit, minLimit, maxLimit);
    }
}

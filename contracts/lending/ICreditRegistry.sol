// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ILoanBook} from "./ILoanBook.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {RecordInput} from "../common/Types.sol";

/// @title Credit registry
/// @notice Who may borrow, up to how much, and what the consortium knows of each borrower's other
///         debts and defaults. Borrowers appear only as pseudonyms: HMAC-SHA256(consortium secret,
///         identity number), computed off chain; no name or identity number ever reaches the chain.
///         Every decision is a majority-endorsed record on the borrower's chain `Subjects.borrower(pseudonym)`.
interface ICreditRegistry {
    /// @notice Where a borrower's credit line stands.
    enum CreditState {
        None, // never whitelisted
        Active, // whitelisted: may draw down within its limit
        Closed // closed by its lead bank: no new drawdowns (existing loans run on)
    }

    /// @notice A borrower's credit line.
    struct CreditLine {
        address account; // the borrower's account (fixed for the pseudonym)
        address lead; // the lead bank that holds the line
        uint128 limit; // credit limit, token units (fen)
        CreditState state; // where it stands
        uint64 decidedAt; // timestamp of the latest decision
        uint64 decisionSeq; // registry sequence number of the latest decision
        uint64 listedSeq; // registry sequence number of the latest delinquency listing (0: never listed)
        uint32 listings; // how many times the borrower was listed delinquent
    }

    /// @notice A loan a member reported at an institution outside the consortium.
    struct OutsideLoan {
        uint128 amount; // outstanding amount as reported, token units
        bool active; // whether the loan is still outstanding
        address reporter; // the member that reported it last
    }

    /// @notice What the consortium knows of a borrower's debts: the multi-head picture.
    struct MultiHead {
        uint256 institutions; // distinct institutions with an active loan: outside ones plus one per consortium lead bank
        uint256 exposure; // outstanding principal at all of them
        uint256 consortiumLenders; // lead banks of the consortium with an active loan to the borrower
        uint256 consortiumExposure; // outstanding principal of the consortium's loans
        uint256 outsideInstitutions; // institutions outside the consortium with an active loan
        uint256 outsideExposure; // what is outstanding at them, as reported
    }

    /// @notice Emitted when a lead bank whitelists a borrower or re-evaluates its line.
    event CreditDecided(
        bytes32 indexed pseudonym,
        address indexed account,
        address indexed lead,
        uint256 limit,
        uint64 seq
    );
    /// @notice Emitted when the lead bank closes a borrower's line.
    event CreditClosed(bytes32 indexed pseudonym, address indexed lead, uint64 seq);
    /// @notice Emitted when a member reports a borrower's loan at an outside institution.
    event OutsideLoanReported(
        bytes32 indexed pseudonym,
        bytes32 indexed institution,
        address indexed reporter,
        uint256 amount,
        bool active
    );
    /// @notice Emitted when the loan book lists a borrower as delinquent (失信名单).
    event BorrowerListed(bytes32 indexed pseudonym, uint256 indexed loanId, uint32 listings, uint64 seq);
    /// @notice A listed borrower's default on `loanId` was cured.
    event BorrowerCured(bytes32 indexed pseudonym, uint256 indexed loanId, uint64 seq);
    /// @notice Emitted when the loan book is bound at genesis.
    event LoanBookBound(address indexed loanBook);

    /// @notice The pseudonym is zero.
    error ZeroPseudonym();
    /// @notice The credit limit `limit` is outside [`min`, `max`].
    error LimitOutOfBounds(uint256 limit, uint256 min, uint256 max);
    /// @notice `pseudonym` already has a credit line; re-evaluate it instead.
    error AlreadyWhitelisted(bytes32 pseudonym);
    /// @notice `pseudonym` was never whitelisted.
    error UnknownBorrower(bytes32 pseudonym);
    /// @notice `account` already belongs to borrower `pseudonym`, or is a member or module.
    error AccountTaken(address account, bytes32 pseudonym);
    /// @notice Only `lead`, the lead bank holding the line of `pseudonym`, may do this.
    error NotLineHolder(bytes32 pseudonym, address lead);
    /// @notice The line of `pseudonym` is not active.
    error LineNotActive(bytes32 pseudonym);
    /// @notice An outside-loan report is inconsistent (zero institution, active with no amount,
    ///         inactive with an amount, or closing a loan that is not active).
    error InvalidOutsideLoan(bytes32 institution, uint256 amount, bool active);

    /// @notice The lead bank whitelists a borrower through an endorsed record (kind CreditDecision on
    ///         `Subjects.borrower(pseudonym)`, attrs = keccak256(abi.encode(pseudonym, account, limit))).
    ///         Registers `account` as a holder of the settlement token.
    /// @param pseudonym the borrower's pseudonym
    /// @param account the borrower's account
    /// @param limit credit limit, token units
    /// @param record the endorsed decision
    /// @param issuedAt when the endorsers signed
    /// @param deadline the endorsement deadline
    /// @param signatures the endorsers' signatures
    function whitelist(
        bytes32 pseudonym,
        address account,
        uint256 limit,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;

    /// @notice The line's lead bank sets a new limit (and reopens a closed line) through an endorsed
    ///         record of kind CreditDecision with the same attrs layout. A fresh decision is also what
    ///         lets a listed (delinquent) borrower draw down again.
    function reevaluate(
        bytes32 pseudonym,
        uint256 limit,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;

    /// @notice The line's lead bank closes it through an endorsed record (kind CreditClosed,
    ///         attrs = keccak256(abi.encode(pseudonym))).
    function close(
        bytes32 pseudonym,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;

    /// @notice A bank reports the borrower's loan at an outside institution (or that it ended) through
    ///         an endorsed record (kind OutsideLoan, attrs = keccak256(abi.encode(pseudonym,
    ///         institution, amount, active))). The pseudonym need not be whitelisted yet.
    /// @param institution hash identifying the outside institution
    /// @param amount outstanding amount (0 when `active` is false)
    /// @param active whether the loan is outstanding
    function reportOutsideLoan(
        bytes32 pseudonym,
        bytes32 institution,
        uint256 amount,
        bool active,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;

    /// @notice The loan book lists a borrower delinquent (default declared, or award made); recorded
    ///         as a fact (kind DelinquencyListed, attrs = keccak256(abi.encode(pseudonym, loanId,
    ///         listings))) on the borrower's chain.
    /// @param actor who caused the listing (the lead bank declaring default, or the court)
    function listDelinquent(bytes32 pseudonym, uint256 loanId, address actor) external;

    /// @notice Records on the borrower's listing that its default on `loanId` was cured (all arrears
    ///         paid): a DelinquencyCured fact on the borrower's chain. Only the bound loan book. The
    ///         listing itself stays: a new drawdown still needs a credit decision after it.
    /// @param actor the payer whose repayment cured the loan
    function recordCure(bytes32 pseudonym, uint256 loanId, address actor) external;

    /// @notice Binds the loan book, once, before genesis is sealed.
    function bindLoanBook(address loanBook) external;

    /// @notice The credit line of `pseudonym`.
    function creditLine(bytes32 pseudonym) external view returns (CreditLine memory);

    /// @notice The pseudonym `account` was whitelisted under (0 if none).
    function pseudonymOf(address account) external view returns (bytes32);

    /// @notice Whether `pseudonym` may draw down now: active line, and not listed since its latest decision.
    function canBorrow(bytes32 pseudonym) external view returns (bool);

    /// @notice Whether `pseudonym` was ever listed delinquent.
    function isDelinquent(bytes32 pseudonym) external view returns (bool);

    /// @notice The multi-head picture of `pseudonym`: an input to credit decisions, not a verdict.
    function multiHead(bytes32 pseudonym) external view returns (MultiHead memory);

    /// @notice What was reported of the borrower's loan at `institution`.
    function outsideLoan(bytes32 pseudonym, bytes32 institution) external view returns (OutsideLoan memory);

    /// @notice Bounds of a credit limit, token units.
    function limitBounds() external view returns (uint256 min, uint256 max);

    /// @notice The settlement token whose registration a whitelisted borrower gets.
    function token() external view returns (ISettlementToken);

    /// @notice Smallest credit limit a decision may set.
    function minLimit() external view returns (uint256);

    /// @notice Largest credit limit a decision may set.
    function maxLimit() external view returns (uint256);

    /// @notice The loan book bound at genesis (0 until bound).
    function loanBook() external view returns (ILoanBook);
}

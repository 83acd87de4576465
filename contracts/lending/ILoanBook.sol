// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanCourtHooks} from "./ILoanCourtHooks.sol";
import {ILoanUseAccount} from "./ILoanUseAccount.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {LoanClass, LoanStatus, RecordInput} from "../common/Types.sol";

/// @title Co-lending loan book
/// @notice Loans originated by a lead bank for whitelisted borrowers, co-funded by partner banks in
///         the settlement token, repaid in equal installments, split among the funders to the unit.
///
///         Repayment rules (mirrored by `clients/lending/loanModel.ts`):
///         - Installment k (0-based) falls due `(k + 1) * periodDays` days after disbursement.
///         - A payment goes, in order, to: the overdue surcharge, the overdue interest, then each
///           installment due by now, oldest first (its interest, then its principal), then the
///           installment of the current period (paying a few days early is normal), and whatever is
///           left is an early repayment of principal.
///         - Early repayment keeps the end date and re-amortizes: the remaining principal is spread
///           over the remaining installments, so each installment gets smaller (if the balance is
///           too small to spread, a few units per period, it all falls due with the next installment).
///           The current period's interest is paid in full first: interest is per period, not per day.
///         - Overdue interest accrues per whole day late on each overdue installment's unpaid amount,
///           at the loan's rate (`AnnuityMath.overdueInterest`), plus a surcharge of `surchargeBps`
///           of it (default 50%).
///         - Principal goes to the funders in proportion to their outstanding principal (their funding
///           share: nobody gets back more than it lent); interest, overdue interest and surcharge by
///           interest share: `leadInterestBps` to the lead, the rest to the partners by funded amount.
///           Both splits are exact (`SplitMath`), credited to `claimable` and paid out by `claim`.
///
///         Collection before arbitration: a defaulted loan may go to outsourced collection
///         `reminderStageDays` after its reminder (`startCollection`, an endorsed CollectionStarted
///         record), and the court may open a case on it `collectionStageDays` after that. After an
///         award, payments go against the award (at most what is left of it) and are split like any
///         repayment; the one that reaches it closes the loan (`Closed`, the principal left written
///         off) and the case. Each lender's outstanding principal is kept by class for its
///         loan-loss provisions (`provisionsOf`).
///
///         Loan facts appended to `Subjects.loan(loanId)` (contentHash = keccak256(abi.encode(loanBook,
///         subject, seq))), each with attrs = keccak256(abi.encode(...)) of:
///         LoanFunded (funder, amount); FundingWithdrawn (funder, amount); LoanCancelled (lead, refunded);
///         LoanDisbursed (to, amount, viaUseAccount); Repayment (payer, amount, surcharge, overdueInterest,
///         interest, principal, prepaid); Reminder (installment, noticeHash); Classified (from, to, daysPastDue).
interface ILoanBook is ILoanCourtHooks {
    /// @notice Consortium bounds and rules, fixed at deployment. Amounts in token units (fen).
    struct Params {
        uint128 minDrawdown; // smallest principal (default 100 CNY)
        uint128 maxDrawdown; // largest single drawdown (default 40,000 CNY)
        uint128 partnerExposureCap; // each partner's committed plus outstanding principal, at most
        uint32 reminderWindow; // seconds a reminder must go unanswered before default (default 24 h)
        uint16 maxRateBps; // highest annual rate (default 2,400 = 24%)
        uint16 maxPeriodDays; // longest period (default 92 days)
        uint16 minLeadFundingBps; // lead's funding share, at least (default 1,000)
        uint16 partnerFundingFloorBps; // partners' funding share, at least (default 5,000)
        uint16 maxLeadInterestBps; // lead's interest share, at most (default 5,000)
        uint16 surchargeBps; // surcharge on overdue interest (default 5,000 = 50%)
        uint16 specialMentionDays; // days past due from which a loan is special mention (default 1)
        uint16 substandardDays; // ... substandard (default 60)
        uint16 doubtfulDays; // ... doubtful (default 90)
        uint16 lossDays; // ... loss (default 180)
        uint8 maxFunders; // funders per loan, the lead included (default 20)
        uint16 reminderStageDays; // days after the reminder before outsourced collection may start (default 30)
        uint16 collectionStageDays; // days of outsourced collection before a case may be filed (default 30)
        uint16 provisionNormalBps; // loan-loss provision rate of a normal balance (default 0)
        uint16 provisionSpecialMentionBps; // ... special mention (default 200 = 2%)
        uint16 provisionSubstandardBps; // ... substandard (default 2,500 = 25%)
        uint16 provisionDoubtfulBps; // ... doubtful (default 5,000 = 50%)
        uint16 provisionLossBps; // ... loss (default 10,000 = 100%)
    }

    /// @notice Where a loan stands in collection and enforcement (kept next to the loan).
    struct Collection {
        uint64 startedAt; // when outsourced collection started (0: not started)
        bytes32 agency; // the collection agency's identifier (a hash of its name)
        uint128 awardPaid; // paid against the award so far
        uint128 writtenOff; // principal written off when the award was satisfied
    }

    /// @notice A lender's loan-loss provisions: its outstanding principal by class (index =
    ///         `LoanClass`), the provision of each class at the consortium's rates, their total, and
    ///         the coverage ratio (total over the non-performing balance, in basis points; 0 when
    ///         nothing is non-performing).
    struct Provisions {
        uint256[5] balance;
        uint256[5] provision;
        uint256 total;
        uint256 nonPerforming;
        uint256 coverageBps;
    }

    /// @notice What the lead bank proposes; bound, with the loan id and borrower account, by the
    ///         LoanContract record: attrs = keccak256(abi.encode(loanId, borrower, terms)).
    struct LoanTerms {
        bytes32 pseudonym; // the borrower
        uint256 principal; // token units
        uint256 annualRateBps; // annual interest rate, basis points
        uint256 periods; // 5, 10 or 20 installments
        uint256 periodDays; // days per period
        uint256 leadFundingBps; // lead's funding share (default 2,000); partners fund the rest by commitment
        uint256 leadInterestBps; // lead's interest share (default 3,000); partners share the rest by funded amount
        bytes32 useCategory; // 0: disburse to the borrower; else into the restricted loan-use account,
        // spendable only with payees the lead approved in this category
    }

    /// @notice A loan as stored (field order packs it into nine slots).
    /// @notice The borrower's assent to a loan contract: an EIP-712 signature by the account bound to
    ///         its credit line at whitelisting, over
    ///         `LoanAssent(bytes32 termsHash,bytes32 contractHash,uint64 deadline)` in the domain
    ///         (name "colend LoanBook", version "1", chain id, this loan book), where `termsHash` is
    ///         the LoanContract record's attrs (loan id, borrower, pseudonym and every term) and
    ///         `contractHash` its content hash (the salted contract document, schedule included).
    struct Assent {
        uint64 deadline; // the signature is valid up to this time
        bytes signature; // 65 bytes (r, s, v)
    }

    struct Loan {
        bytes32 pseudonym; // the borrower
        address borrower; // the borrower's account
        LoanStatus status;
        LoanClass class_; // classification as last computed
        uint8 periods; // installments as originated
        uint8 rows; // installments now (fewer only if a tiny balance fell due early)
        uint8 cursor; // first installment not fully paid
        uint16 periodDays;
        uint16 leadFundingBps;
        uint16 leadInterestBps;
        address lead; // originating lead bank
        uint32 annualRateBps;
        uint64 originatedAt;
        uint64 disbursedAt; // 0 until disbursed
        uint128 principal;
        uint32 factSeq; // facts this loan book recorded on the loan's chain
        uint128 funded; // committed so far, the lead's share included
        uint128 outstanding; // principal not yet repaid
        uint128 cursorPaid; // paid so far on installment `cursor` (interest first)
        uint128 overdueInterest; // accrued, unpaid (as of `accruedDay`)
        uint128 surcharge; // accrued, unpaid (as of `accruedDay`)
        uint32 accruedDay; // whole days after disbursement up to which overdue interest is accrued
        uint8 remindedInstallment; // installment the latest reminder was about
        uint64 remindedAt; // time of the latest reminder (0: none)
        uint128 totalRepaid; // everything paid in
        uint128 awardAmount; // what the award said the borrower owes
        bytes32 useCategory; // 0, or the payee category of the restricted loan-use account
    }

    /// @notice One funder of a loan; index 0 is always the lead bank.
    struct Funder {
        address account;
        uint96 funded; // principal funded (escrowed until disbursement)
        uint128 principalReturned; // principal credited back so far
        uint128 incomeReceived; // interest, overdue interest and surcharge credited so far
    }

    /// @notice One installment of the schedule.
    struct Row {
        uint64 dueDate; // timestamp (0 before disbursement)
        uint256 principal;
        uint256 interest;
        uint256 paid; // paid so far towards it (interest first)
    }

    /// @notice What the borrower owes now.
    struct Dues {
        uint256 surcharge; // accrued surcharge, unpaid
        uint256 overdueInterest; // accrued overdue interest, unpaid
        uint256 interestDue; // interest of installments due by now, unpaid
        uint256 principalDue; // principal of installments due by now, unpaid
        uint256 currentInterest; // interest of the current period's installment, unpaid
        uint256 currentPrincipal; // principal of the current period's installment, unpaid
        uint256 amountDue; // surcharge + overdue interest + interest due + principal due
        uint256 payoff; // everything that closes the loan now
        uint256 outstanding; // principal not yet repaid
        uint256 daysPastDue; // whole days the oldest unpaid installment is late
        uint64 nextDueDate; // due date of the oldest unpaid installment (0: none)
    }

    /// @notice How one repayment was applied.
    struct Allocation {
        uint256 surcharge;
        uint256 overdueInterest;
        uint256 interest; // scheduled interest
        uint256 principal; // scheduled principal
        uint256 prepaid; // early repayment of principal
    }

    /// @notice A lender's book across all loans.
    struct LenderPosition {
        uint256 escrow; // committed to loans not yet disbursed
        uint256 outstanding; // principal lent and not yet returned
        uint256 nonPerforming; // the part of `outstanding` in substandard, doubtful or loss loans
        uint256 claimable; // credited repayments not yet claimed
    }

    /// @notice Emitted when the lead bank originates a loan.
    event LoanOriginated(
        uint256 indexed loanId,
        bytes32 indexed pseudonym,
        address indexed lead,
        address borrower,
        LoanTerms terms
    );
    /// @notice Emitted when a funder escrows `amount` for the loan.
    /// @notice The borrower's assent, verified at origination (evidence for the loan's chain).
    event LoanAssented(
        uint256 indexed loanId,
        address indexed borrower,
        bytes32 contractHash,
        uint64 deadline,
        bytes signature
    );
    event LoanFunded(uint256 indexed loanId, address indexed funder, uint256 amount, uint256 totalFunded);
    /// @notice Emitted when a partner withdraws `amount` of its commitment.
    event FundingWithdrawn(uint256 indexed loanId, address indexed funder, uint256 amount, uint256 totalFunded);
    /// @notice Emitted when the lead cancels a loan before disbursement.
    event LoanCancelled(uint256 indexed loanId, address indexed lead);
    /// @notice Emitted when the principal goes out to `to` (the borrower or the loan-use account).
    event LoanDisbursed(uint256 indexed loanId, address indexed to, uint256 amount, uint64 firstDueDate);
    /// @notice Emitted for every repayment, with how it was applied.
    event RepaymentApplied(
        uint256 indexed loanId,
        address indexed payer,
        uint256 amount,
        Allocation allocation,
        uint256 outstanding
    );
    /// @notice Emitted when an early repayment re-amortized the rest of the loan from `fromInstallment`.
    event ScheduleRecomputed(uint256 indexed loanId, uint256 fromInstallment, uint256 principal, uint256 periods);
    /// @notice Emitted when the last unit of principal came back.
    event LoanSettled(uint256 indexed loanId);
    /// @notice Emitted when the lead bank reminds the borrower of installment `installment`.
    event ReminderRecorded(uint256 indexed loanId, uint256 installment, bytes32 noticeHash, uint64 remindedAt);
    /// @notice Emitted when the lead bank declares the loan in default.
    event LoanDefaulted(uint256 indexed loanId, bytes32 indexed pseudonym, uint256 installment);
    /// @notice A defaulted loan's arrears were all paid: it performs again (its listing records the cure).
    event LoanCured(uint256 indexed loanId, bytes32 indexed pseudonym, uint256 installment);
    /// @notice Emitted when a loan's classification changes.
    event LoanClassified(uint256 indexed loanId, LoanClass from, LoanClass to, uint256 daysPastDue);
    /// @notice Emitted when a case is opened on the loan.
    event ArbitrationStarted(uint256 indexed loanId, uint256 indexed caseId);
    /// @notice Emitted when the award on the loan is recorded.
    event AwardRecorded(uint256 indexed loanId, uint256 indexed caseId, uint256 amountOwed);
    /// @notice Outsourced collection of defaulted loan `loanId` started (an endorsed CollectionStarted
    ///         record); a case may be filed from `arbitrableFrom` on.
    event CollectionStarted(uint256 indexed loanId, bytes32 indexed agency, uint64 startedAt, uint64 arbitrableFrom);
    /// @notice Payments against the award on case `caseId` reached it: the loan is Closed, `writtenOff`
    ///         principal (what the award did not cover) is taken off the funders' books.
    event AwardSatisfied(uint256 indexed loanId, uint256 indexed caseId, uint256 paid, uint256 writtenOff);
    /// @notice Emitted when a funder claims its credited repayments.
    event Claimed(address indexed funder, uint256 amount);
    /// @notice Emitted when the arbitration court is bound at genesis.
    event CourtBound(address indexed court);
    /// @notice Emitted when the loan-use account is bound at genesis.
    event LoanUseBound(address indexed loanUse);

    /// @notice A deployment parameter is out of range.
    error InvalidParam(bytes32 name);
    /// @notice The assent is not a valid signature of the borrower's bound account (`recovered` is
    ///         who signed it, 0 for a malformed signature).
    error BadAssent(uint256 loanId, address recovered);
    /// @notice The borrower's assent expired before origination.
    error AssentExpired(uint256 loanId, uint64 deadline);
    /// @notice No loan `loanId`.
    error UnknownLoan(uint256 loanId);
    /// @notice Loan `loanId` is `status`, which does not allow this.
    error WrongStatus(uint256 loanId, LoanStatus status);
    /// @notice Only `lead`, the loan's (or the borrower's) lead bank, may do this.
    error NotLoanLead(address caller, address lead);
    /// @notice Borrower `pseudonym` has no active credit line.
    error NotWhitelisted(bytes32 pseudonym);
    /// @notice Borrower `pseudonym` was listed delinquent after its latest credit decision.
    error BorrowerDelinquent(bytes32 pseudonym);
    /// @notice `principal` is outside [`min`, `max`] (`max` is the single-drawdown cap).
    error PrincipalOutOfBounds(uint256 principal, uint256 min, uint256 max);
    /// @notice The loan would take the borrower's principal past its limit: `available` is left.
    error CreditLimitExceeded(bytes32 pseudonym, uint256 requested, uint256 available);
    /// @notice The funding or interest shares are outside the consortium's bounds.
    error ShareOutOfBounds(uint256 leadFundingBps, uint256 leadInterestBps);
    /// @notice The loan terms are outside the consortium's bounds: periods not 5, 10 or 20, a period of
    ///         0 days or longer than `maxPeriodDays`, or a rate above `maxRateBps`. (Terms within the
    ///         bounds whose schedule cannot amortize revert `TermsDoNotAmortize`, common/Errors.sol.)
    error TermsOutOfBounds(uint256 periods, uint256 periodDays, uint256 annualRateBps);
    /// @notice The loan-use account is not bound, so loans cannot disburse into it.
    error LoanUseNotBound();
    /// @notice Only a partner bank other than the loan's lead may commit funding.
    error NotPartner(address caller);
    /// @notice `amount` exceeds what the partners may still commit (`remaining`).
    error FundingExceeded(uint256 loanId, uint256 amount, uint256 remaining);
    /// @notice The loan already has the most funders allowed.
    error TooManyFunders(uint256 loanId, uint256 maximum);
    /// @notice The commitment would take `partner`'s exposure to `exposure`, above `cap`.
    error ExposureCapExceeded(address partner, uint256 exposure, uint256 cap);
    /// @notice `partner` committed only `committed` to loan `loanId`.
    error CommitmentTooSmall(uint256 loanId, address partner, uint256 committed);
    /// @notice The loan is funded `funded` of `principal`.
    error NotFullyFunded(uint256 loanId, uint256 funded, uint256 principal);
    /// @notice `amount` exceeds what closes the loan (`payoff`).
    error Overpayment(uint256 loanId, uint256 amount, uint256 payoff);
    /// @notice No installment of loan `loanId` is past due.
    error NothingOverdue(uint256 loanId);
    /// @notice Loan `loanId` has no reminder still unanswered.
    error NoUnansweredReminder(uint256 loanId);
    /// @notice Default may be declared from `earliest` on.
    error DefaultTooEarly(uint256 loanId, uint256 earliest);
    /// @notice Only the bound court may call this.
    error NotCourt(address caller);
    /// @notice The award names case `caseId`, but the loan's case is `expected`.
    error CaseMismatch(uint256 loanId, uint256 caseId, uint256 expected);
    /// @notice The reminder stage of loan `loanId` lasts until `earliest`: collection may start then.
    error ReminderStageNotOver(uint256 loanId, uint256 earliest);
    /// @notice Collection of loan `loanId` already started.
    error CollectionAlreadyStarted(uint256 loanId);
    /// @notice Loan `loanId` never went to outsourced collection: a case needs the collection stage first.
    error NotInCollection(uint256 loanId);
    /// @notice The collection stage of loan `loanId` lasts until `earliest`: a case may be filed then.
    error CollectionStageNotOver(uint256 loanId, uint256 earliest);
    /// @notice `amount` exceeds what is left of the award on loan `loanId` (`remaining`).
    error AwardOverpayment(uint256 loanId, uint256 amount, uint256 remaining);
    /// @notice `account` has nothing to claim.
    error NothingToClaim(address account);

    /// @notice The lead bank originates a loan for a borrower whose line it holds, and escrows its
    ///         funding share. `record` is the endorsed loan contract: kind LoanContract on
    ///         `Subjects.loan(nextLoanId())`, attrs = keccak256(abi.encode(loanId, borrower, terms)).
    /// @return loanId the new loan
    function originate(
        LoanTerms calldata terms,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures,
        Assent calldata assent
    ) external returns (uint256 loanId);

    /// @notice A partner bank escrows `amount` towards the partners' share of loan `loanId`.
    function commitFunding(uint256 loanId, uint256 amount) external;

    /// @notice A partner takes back `amount` of its commitment before disbursement (or after cancellation).
    function withdrawCommitment(uint256 loanId, uint256 amount) external;

    /// @notice The lead bank cancels a loan before disbursement; its share is refunded, partners withdraw theirs.
    function cancel(uint256 loanId) external;

    /// @notice The lead bank disburses a fully funded loan: to the borrower, or into the loan-use account.
    function disburse(uint256 loanId) external;

    /// @notice Pays `amount` towards loan `loanId` from the caller (anyone; usually the borrower).
    /// @return allocation how the payment was applied
    function repay(uint256 loanId, uint256 amount) external returns (Allocation memory allocation);

    /// @notice The lead bank records that it reminded the borrower of the oldest missed installment.
    /// @param noticeHash salted hash of the reminder sent
    function remind(uint256 loanId, bytes32 noticeHash) external;

    /// @notice The lead bank declares default once a reminder went unanswered for `reminderWindow`:
    ///         an endorsed record (kind DefaultNotice on the loan's subject, attrs =
    ///         keccak256(abi.encode(loanId, installment, remindedAt))). The borrower is listed delinquent.
    function declareDefault(
        uint256 loanId,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;

    /// @notice The lead bank hands defaulted loan `loanId` to outsourced collection (agency `agency`),
    ///         `reminderStageDays` after the reminder at the earliest: an endorsed record (kind
    ///         CollectionStarted on the loan's subject, attrs = keccak256(abi.encode(loanId, agency,
    ///         remindedAt))). A case may be filed `collectionStageDays` later.
    function startCollection(
        uint256 loanId,
        bytes32 agency,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external;

    /// @notice Reclassifies loan `loanId` by its days past due; anyone may call. Records a Classified
    ///         fact when the class changes.
    /// @return class_ the loan's class now
    function classify(uint256 loanId) external returns (LoanClass class_);

    /// @notice Pays the caller everything credited to it.
    /// @return amount what was paid
    function claim() external returns (uint256 amount);

    /// @notice Binds the arbitration court, once, before genesis is sealed.
    function bindCourt(address court) external;

    /// @notice Binds the restricted loan-use account, once, before genesis is sealed.
    function bindLoanUse(address loanUse) external;

    /// @notice Loan `loanId`.
    function loanInfo(uint256 loanId) external view returns (Loan memory);

    /// @notice The funders of loan `loanId`, the lead first.
    function fundersOf(uint256 loanId) external view returns (Funder[] memory);

    /// @notice The loan's installments: due dates, scheduled principal and interest, what was paid.
    function schedule(uint256 loanId) external view returns (Row[] memory rows);

    /// @notice What the borrower owes on loan `loanId` now.
    function dues(uint256 loanId) external view returns (Dues memory);

    /// @notice Whole days the oldest unpaid installment of loan `loanId` is late.
    function daysPastDue(uint256 loanId) external view returns (uint256);

    /// @notice The class `daysPastDue` days late maps to.
    function classFor(uint256 daysPastDue_) external view returns (LoanClass);

    /// @notice Equal installment of a schedule (reverts on terms that do not amortize).
    function installmentOf(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) external pure returns (uint256);

    /// @notice Loan `loanId`'s collection and enforcement.
    function collectionOf(uint256 loanId) external view returns (Collection memory);

    /// @notice `account`'s loan-loss provisions by class and its provision coverage ratio.
    function provisionsOf(address account) external view returns (Provisions memory);

    /// @notice `account`'s book across all loans.
    function lenderPosition(address account) external view returns (LenderPosition memory);

    /// @notice The consortium's outstanding principal and its non-performing part.
    function portfolio() external view returns (uint256 outstanding, uint256 nonPerforming);

    /// @notice Non-performing over total balance, in basis points (0 when nothing is outstanding).
    function nplRatioBps() external view returns (uint256);

    /// @notice A lender's non-performing over total balance, in basis points.
    function lenderNplRatioBps(address account) external view returns (uint256);

    /// @notice The consortium's active loans to `pseudonym`: lead banks lending, principal outstanding.
    function consortiumExposure(bytes32 pseudonym) external view returns (uint256 lenders, uint256 principal);

    /// @notice Principal of `pseudonym`'s loans counted against its limit: outstanding plus loans being funded.
    function committedPrincipal(bytes32 pseudonym) external view returns (uint256);

    /// @notice The id the next loan will get.
    function nextLoanId() external view returns (uint256);

    /// @notice The consortium's lending parameters.
    function params() external view returns (Params memory);

    /// @notice The settlement token loans are funded and repaid in.
    function token() external view returns (ISettlementToken);

    /// @notice The credit registry deciding who may borrow.
    function registry() external view returns (ICreditRegistry);

    /// @notice The arbitration court bound at genesis (0 until bound).
    function court() external view returns (address);

    /// @notice The restricted loan-use account bound at genesis (0 until bound).
    function loanUse() external view returns (ILoanUseAccount);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AnnuityMath} from "./AnnuityMath.sol";
import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {ILoanCourtHooks} from "./ILoanCourtHooks.sol";
import {ILoanUseAccount} from "./ILoanUseAccount.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {IConsortiumLedger, LedgerModule} from "../ledger/LedgerModule.sol";
import {LoanAccounting} from "./LoanAccounting.sol";
import {LoanEngine} from "./LoanEngine.sol";
import {Kinds, LoanClass, LoanStatus, RecordInput, Role, Subjects} from "../common/Types.sol";

/// @title LoanBook
/// @notice The co-lending loan book: origination, funding, disbursement, repayment and its split,
///         overdue charges, reminders and default, classification and the NPL views. The rules are
///         stated in `ILoanBook`.
contract LoanBook is LedgerModule, ILoanBook {
    using SafeERC20 for ISettlementToken;

    uint256 private constant BPS = 10_000;
    uint256 private constant DAY = 1 days;

    /// @dev The consortium's position towards one borrower.
    struct BorrowerBook {
        uint128 committed; // outstanding principal plus loans being funded: what counts against the limit
        uint128 outstanding; // outstanding principal of disbursed loans
        uint32 lenders; // lead banks with an active loan to the borrower
    }

    /// @notice The settlement token loans are funded and repaid in.
    ISettlementToken public immutable token;
    /// @notice The credit registry deciding who may borrow.
    ICreditRegistry public immutable registry;
    /// @notice The arbitration court, bound once at genesis.
    address public court;
    /// @notice The restricted loan-use account, bound once at genesis.
    ILoanUseAccount public loanUse;

    Params private _params;
    uint256 private _loanCount;
    mapping(uint256 loanId => Loan) private _loans;
    LoanAccounting.Book private _book;
    mapping(uint256 loanId => LoanEngine.Base[]) private _bases;
    mapping(uint256 loanId => uint256 caseIdPlusOne) private _caseOf;
    mapping(bytes32 pseudonym => BorrowerBook) private _borrowers;
    mapping(bytes32 pseudonym => mapping(address lead => uint256)) private _activeByLead;

    /// @param ledger_ the consortium ledger
    /// @param token_ the settlement token
    /// @param registry_ the credit registry
    /// @param params_ the consortium's lending parameters
    constructor(
        IConsortiumLedger ledger_,
        ISettlementToken token_,
        ICreditRegistry registry_,
        Params memory params_
    ) LedgerModule(ledger_) {
        if (address(token_) == address(0) || address(registry_) == address(0)) revert ZeroAddress();
        _checkParams(params_);
        token = token_;
        registry = registry_;
        _params = params_;
    }

    // ---------------------------------------------------------------- genesis wiring

    /// @inheritdoc ILoanBook
    function bindCourt(address court_) external onlyGenesisAdmin {
        if (court != address(0)) revert AlreadyBound(court);
        if (court_ == address(0)) revert ZeroAddress();
        court = court_;
        emit CourtBound(court_);
    }

    /// @inheritdoc ILoanBook
    function bindLoanUse(address loanUse_) external onlyGenesisAdmin {
        if (address(loanUse) != address(0)) revert AlreadyBound(address(loanUse));
        if (loanUse_ == address(0)) revert ZeroAddress();
        loanUse = ILoanUseAccount(loanUse_);
        emit LoanUseBound(loanUse_);
    }

    // ---------------------------------------------------------------- origination and funding

    /// @inheritdoc ILoanBook
    function originate(
        LoanTerms calldata terms,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external onlyRole(Role.LeadBank) returns (uint256 loanId) {
        address borrower = LoanEngine.checkBorrower(
            address(registry),
            terms.pseudonym,
            terms.principal,
            _borrowers[terms.pseudonym].committed,
            msg.sender
        );
        if (terms.useCategory != bytes32(0) && address(loanUse) == address(0)) revert LoanUseNotBound();
        uint256 leadAmount = LoanEngine.checkTerms(terms, _params);
        loanId = ++_loanCount;
        _checkRecord(loanId, Kinds.LOAN_CONTRACT, keccak256(abi.encode(loanId, borrower, terms)), record);
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
        Loan storage loan = _open(loanId, terms, borrower, leadAmount);
        emit LoanOriginated(loanId, terms.pseudonym, msg.sender, borrower, terms);

        _fact(loanId, loan, Kinds.LOAN_FUNDED, keccak256(abi.encode(msg.sender, leadAmount)));
        emit LoanFunded(loanId, msg.sender, leadAmount, leadAmount);
        token.safeTransferFrom(msg.sender, address(this), leadAmount);
    }

    function _open(
        uint256 loanId,
        LoanTerms calldata terms,
        address borrower,
        uint256 leadAmount
    ) private returns (Loan storage loan) {
        loan = _loans[loanId];
        LoanAccounting.open(_book, loan, loanId, terms, borrower, leadAmount);
        _bases[loanId].push(LoanEngine.Base(0, uint8(terms.periods), uint128(terms.principal), 0));
        _borrowers[terms.pseudonym].committed += uint128(terms.principal);
    }

    /// @inheritdoc ILoanBook
    function commitFunding(uint256 loanId, uint256 amount) external {
        Loan storage loan = _existing(loanId);
        if (loan.status != LoanStatus.Funding) revert WrongStatus(loanId, loan.status);
        if (ledger.roleOf(msg.sender) != Role.PartnerBank) revert NotPartner(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 remaining = loan.principal - loan.funded;
        if (amount > remaining) revert FundingExceeded(loanId, amount, remaining);
        LoanAccounting.commit(_book, loanId, msg.sender, amount, _params.partnerExposureCap, _params.maxFunders);
        uint256 total = loan.funded + amount;
        loan.funded = uint128(total);

        _fact(loanId, loan, Kinds.LOAN_FUNDED, keccak256(abi.encode(msg.sender, amount)));
        emit LoanFunded(loanId, msg.sender, amount, total);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ILoanBook
    function withdrawCommitment(uint256 loanId, uint256 amount) external {
        Loan storage loan = _existing(loanId);
        if (loan.status != LoanStatus.Funding && loan.status != LoanStatus.Cancelled)
            revert WrongStatus(loanId, loan.status);
        if (amount == 0) revert ZeroAmount();
        LoanAccounting.withdraw(_book, loanId, msg.sender, amount);
        uint256 total = loan.funded - amount;
        loan.funded = uint128(total);

        _fact(loanId, loan, Kinds.FUNDING_WITHDRAWN, keccak256(abi.encode(msg.sender, amount)));
        emit FundingWithdrawn(loanId, msg.sender, amount, total);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ILoanBook
    function cancel(uint256 loanId) external {
        Loan storage loan = _ledBy(loanId);
        if (loan.status != LoanStatus.Funding) revert WrongStatus(loanId, loan.status);
        uint256 refund = LoanAccounting.refundLead(_book, loanId);
        loan.status = LoanStatus.Cancelled;
        loan.funded -= uint128(refund);
        _borrowers[loan.pseudonym].committed -= loan.principal;

        _fact(loanId, loan, Kinds.LOAN_CANCELLED, keccak256(abi.encode(msg.sender, refund)));
        emit LoanCancelled(loanId, msg.sender);
        token.safeTransfer(msg.sender, refund);
    }

    /// @inheritdoc ILoanBook
    function disburse(uint256 loanId) external {
        Loan storage loan = _ledBy(loanId);
        if (loan.status != LoanStatus.Funding) revert WrongStatus(loanId, loan.status);
        uint256 principal = loan.principal;
        if (loan.funded != principal) revert NotFullyFunded(loanId, loan.funded, principal);
        loan.status = LoanStatus.Active;
        loan.disbursedAt = uint64(block.timestamp);
        loan.outstanding = uint128(principal);

        LoanAccounting.disburse(_book, loanId, principal);
        BorrowerBook storage bb = _borrowers[loan.pseudonym];
        bb.outstanding += uint128(principal);
        if (_activeByLead[loan.pseudonym][loan.lead]++ == 0) bb.lenders += 1;

        bool restricted = loan.useCategory != bytes32(0);
        address to = restricted ? address(loanUse) : loan.borrower;
        _fact(loanId, loan, Kinds.LOAN_DISBURSED, keccak256(abi.encode(to, principal, restricted)));
        emit LoanDisbursed(loanId, to, principal, uint64(block.timestamp + uint256(loan.periodDays) * DAY));
        token.safeTransfer(to, principal);
        if (restricted) loanUse.onDisbursed(loanId, loan.borrower, loan.lead, loan.useCategory, principal);
    }

    // ---------------------------------------------------------------- repayment

    /// @inheritdoc ILoanBook
    function repay(uint256 loanId, uint256 amount) external returns (Allocation memory a) {
        Loan storage loan = _existing(loanId);
        if (!_repayable(loan.status)) revert WrongStatus(loanId, loan.status);
        if (amount == 0) revert ZeroAmount();
        uint256 payoff;
        bool reamortized;
        (a, payoff, reamortized) = LoanEngine.repay(loan, _bases[loanId], amount, _params.surchargeBps);
        if (amount > payoff) revert Overpayment(loanId, amount, payoff);
        _bookRepayment(loanId, loan, a, amount);
        uint256 outstanding = loan.outstanding;
        // Cure: every overdue installment and charge of a defaulted loan is paid.
        bool cured =
            loan.status == LoanStatus.Defaulted &&
                (outstanding == 0 ||
                    block.timestamp < LoanEngine.dueDate(loan.disbursedAt, loan.periodDays, loan.cursor));
        emit RepaymentApplied(loanId, msg.sender, amount, a, outstanding);
        if (reamortized) emit ScheduleRecomputed(loanId, loan.cursor, outstanding, loan.rows - loan.cursor);
        if (outstanding == 0) {
            loan.status = LoanStatus.Repaid;
            if (--_activeByLead[loan.pseudonym][loan.lead] == 0) _borrowers[loan.pseudonym].lenders -= 1;
            emit LoanSettled(loanId);
        }
        _reclassify(loanId, loan, loan.cursor < loan.rows ? _lateDays(loan, loan.cursor) : 0);
        if (cured) {
            // It performs again (or is repaid); the borrower's listing records the cure.
            if (outstanding != 0) loan.status = LoanStatus.Active;
            loan.remindedAt = 0;
            _fact(loanId, loan, Kinds.DEFAULT_CURED, keccak256(abi.encode(loanId, loan.cursor)));
            emit LoanCured(loanId, loan.pseudonym, loan.cursor);
            registry.recordCure(loan.pseudonym, loanId, msg.sender);
        }
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Credits the funders, updates the borrower's book and records the Repayment fact.
    function _bookRepayment(uint256 loanId, Loan storage loan, Allocation memory a, uint256 amount) private {
        uint256 principal = a.principal + a.prepaid;
        LoanAccounting.credit(
            _book,
            loanId,
            principal,
            a.surcharge + a.overdueInterest + a.interest,
            loan.leadInterestBps,
            loan.class_ >= LoanClass.Substandard,
            loan.outstanding == 0
        );
        loan.totalRepaid += uint128(amount);
        BorrowerBook storage bb = _borrowers[loan.pseudonym];
        bb.committed -= uint128(principal);
        bb.outstanding -= uint128(principal);
        _fact(
            loanId,
            loan,
            Kinds.REPAYMENT,
            keccak256(
                abi.encode(msg.sender, amount, a.surcharge, a.overdueInterest, a.interest, a.principal, a.prepaid)
            )
        );
    }

    /// @inheritdoc ILoanBook
    function claim() external returns (uint256 amount) {
        amount = LoanAccounting.takeClaimable(_book, msg.sender);
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- collection

    /// @inheritdoc ILoanBook
    function remind(uint256 loanId, bytes32 noticeHash) external {
        Loan storage loan = _ledBy(loanId);
        if (loan.status != LoanStatus.Active) revert WrongStatus(loanId, loan.status);
        if (noticeHash == bytes32(0)) revert EmptyHash();
        uint256 cursor = loan.cursor;
        if (cursor >= loan.rows || block.timestamp <= LoanEngine.dueDate(loan.disbursedAt, loan.periodDays, cursor)) {
            revert NothingOverdue(loanId);
        }
        loan.remindedAt = uint64(block.timestamp);
        loan.remindedInstallment = uint8(cursor);
        _fact(loanId, loan, Kinds.REMINDER, keccak256(abi.encode(cursor, noticeHash)));
        emit ReminderRecorded(loanId, cursor, noticeHash, uint64(block.timestamp));
    }

    /// @inheritdoc ILoanBook
    function declareDefault(
        uint256 loanId,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        Loan storage loan = _ledBy(loanId);
        if (loan.status != LoanStatus.Active) revert WrongStatus(loanId, loan.status);
        uint256 remindedAt = loan.remindedAt;
        uint256 installment = loan.remindedInstallment;
        if (remindedAt == 0 || loan.cursor > installment) revert NoUnansweredReminder(loanId);
        uint256 earliest = remindedAt + _params.reminderWindow;
        if (block.timestamp < earliest) revert DefaultTooEarly(loanId, earliest);
        _checkRecord(loanId, Kinds.DEFAULT_NOTICE, keccak256(abi.encode(loanId, installment, remindedAt)), record);
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);

        loan.status = LoanStatus.Defaulted;
        emit LoanDefaulted(loanId, loan.pseudonym, installment);
        registry.listDelinquent(loan.pseudonym, loanId, msg.sender);
    }

    /// @inheritdoc ILoanBook
    function classify(uint256 loanId) external returns (LoanClass) {
        Loan storage loan = _existing(loanId);
        if (!_repayable(loan.status)) revert WrongStatus(loanId, loan.status);
        return _reclassify(loanId, loan, loan.cursor < loan.rows ? _lateDays(loan, loan.cursor) : 0);
    }

    // ---------------------------------------------------------------- court hooks

    /// @inheritdoc ILoanCourtHooks
    function onCaseOpened(uint256 loanId, uint256 caseId) external {
        if (msg.sender != court || msg.sender == address(0)) revert NotCourt(msg.sender);
        Loan storage loan = _existing(loanId);
        if (loan.status != LoanStatus.Defaulted) revert WrongStatus(loanId, loan.status);
        loan.status = LoanStatus.InArbitration;
        _caseOf[loanId] = caseId + 1;
        emit ArbitrationStarted(loanId, caseId);
    }

    /// @inheritdoc ILoanCourtHooks
    function onAward(uint256 loanId, uint256 caseId, uint256 amountOwed) external {
        if (msg.sender != court || msg.sender == address(0)) revert NotCourt(msg.sender);
        Loan storage loan = _existing(loanId);
        uint256 stored = _caseOf[loanId];
        // A borrower may settle in full while the case runs; the award is still recorded.
        bool settled = loan.status == LoanStatus.Repaid && stored != 0;
        if (loan.status != LoanStatus.InArbitration && !settled) revert WrongStatus(loanId, loan.status);
        if (caseId + 1 != stored) revert CaseMismatch(loanId, caseId, stored - 1);
        loan.awardAmount = uint128(amountOwed);
        emit AwardRecorded(loanId, caseId, amountOwed);
        // A dismissal or an award of nothing lists nobody; the loan performs under its contract again.
        if (amountOwed == 0) {
            if (!settled) loan.status = LoanStatus.Active;
            return;
        }
        if (!settled) loan.status = LoanStatus.Awarded;
        registry.listDelinquent(loan.pseudonym, loanId, msg.sender);
    }

    /// @inheritdoc ILoanCourtHooks
    function payoffOf(uint256 loanId) external view returns (uint256) {
        return this.dues(loanId).payoff;
    }

    /// @inheritdoc ILoanCourtHooks
    function loanStatus(uint256 loanId) external view returns (LoanStatus) {
        return _loans[loanId].status;
    }

    /// @inheritdoc ILoanCourtHooks
    function isLender(uint256 loanId, address account) external view returns (bool) {
        if (account == address(0)) return false;
        if (_loans[loanId].lead == account) return true;
        uint256 slot = _book.slots[loanId][account];
        return slot != 0 && _book.funders[loanId][slot - 1].funded != 0;
    }

    /// @inheritdoc ILoanCourtHooks
    function borrowerOf(uint256 loanId) external view returns (address account, bytes32 pseudonym) {
        Loan storage loan = _loans[loanId];
        return (loan.borrower, loan.pseudonym);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ILoanBook
    function loanInfo(uint256 loanId) external view returns (Loan memory) {
        return _loans[loanId];
    }

    /// @inheritdoc ILoanBook
    function fundersOf(uint256 loanId) external view returns (Funder[] memory) {
        return _book.funders[loanId];
    }

    /// @inheritdoc ILoanBook
    function schedule(uint256 loanId) external view returns (Row[] memory) {
        return LoanEngine.rows(_existing(loanId), _bases[loanId]);
    }

    /// @inheritdoc ILoanBook
    function dues(uint256 loanId) external view returns (Dues memory d) {
        Loan storage loan = _existing(loanId);
        if (!_repayable(loan.status)) return d;
        return LoanEngine.quote(loan, _bases[loanId], _params.surchargeBps);
    }

    /// @inheritdoc ILoanBook
    function daysPastDue(uint256 loanId) external view returns (uint256) {
        Loan storage loan = _existing(loanId);
        if (!_repayable(loan.status) || loan.cursor >= loan.rows) return 0;
        return _lateDays(loan, loan.cursor);
    }

    /// @inheritdoc ILoanBook
    function classFor(uint256 dpd) public view returns (LoanClass) {
        Params storage p = _params;
        if (dpd >= p.lossDays) return LoanClass.Loss;
        if (dpd >= p.doubtfulDays) return LoanClass.Doubtful;
        if (dpd >= p.substandardDays) return LoanClass.Substandard;
        if (dpd >= p.specialMentionDays) return LoanClass.SpecialMention;
        return LoanClass.Normal;
    }

    /// @inheritdoc ILoanBook
    function installmentOf(
        uint256 principal,
        uint256 annualRateBps,
        uint256 periods,
        uint256 periodDays
    ) external pure returns (uint256) {
        return LoanEngine.installment(principal, annualRateBps, periods, periodDays);
    }

    /// @inheritdoc ILoanBook
    function lenderPosition(address account) external view returns (LenderPosition memory) {
        LoanAccounting.Lender storage b = _book.lenders[account];
        return LenderPosition(b.escrow, b.outstanding, b.nonPerforming, b.claimable);
    }

    /// @inheritdoc ILoanBook
    function portfolio() external view returns (uint256 outstanding, uint256 nonPerforming) {
        return (_book.totalOutstanding, _book.totalNonPerforming);
    }

    /// @inheritdoc ILoanBook
    function nplRatioBps() external view returns (uint256) {
        return _ratio(_book.totalNonPerforming, _book.totalOutstanding);
    }

    /// @inheritdoc ILoanBook
    function lenderNplRatioBps(address account) external view returns (uint256) {
        LoanAccounting.Lender storage b = _book.lenders[account];
        return _ratio(b.nonPerforming, b.outstanding);
    }

    /// @inheritdoc ILoanBook
    function consortiumExposure(bytes32 pseudonym) external view returns (uint256 lenders, uint256 principal) {
        BorrowerBook storage bb = _borrowers[pseudonym];
        return (bb.lenders, bb.outstanding);
    }

    /// @inheritdoc ILoanBook
    function committedPrincipal(bytes32 pseudonym) external view returns (uint256) {
        return _borrowers[pseudonym].committed;
    }

    /// @inheritdoc ILoanBook
    function nextLoanId() external view returns (uint256) {
        return _loanCount + 1;
    }

    /// @inheritdoc ILoanBook
    function params() external view returns (Params memory) {
        return _params;
    }

    // ---------------------------------------------------------------- checks

    function _existing(uint256 loanId) private view returns (Loan storage loan) {
        loan = _loans[loanId];
        if (loan.status == LoanStatus.None) revert UnknownLoan(loanId);
    }

    function _ledBy(uint256 loanId) private view returns (Loan storage loan) {
        loan = _existing(loanId);
        if (loan.lead != msg.sender) revert NotLoanLead(msg.sender, loan.lead);
    }

    function _repayable(LoanStatus status) private pure returns (bool) {
        return
            status == LoanStatus.Active ||
            status == LoanStatus.Defaulted ||
            status == LoanStatus.InArbitration ||
            status == LoanStatus.Awarded;
    }

    /// @dev `record` is of `kind`, on the loan's subject, and its attrs hash the call's arguments.
    function _checkRecord(uint256 loanId, bytes32 kind, bytes32 attrs, RecordInput calldata record) private pure {
        bytes32 subject = Subjects.loan(loanId);
        if (record.subject != subject || record.kind != kind) {
            revert RecordMismatch(subject, kind, record.subject, record.kind);
        }
        if (record.attrs != attrs) revert AttrsMismatch(attrs, record.attrs);
    }

    function _checkParams(Params memory p) private pure {
        if (p.minDrawdown == 0 || p.minDrawdown > p.maxDrawdown) revert InvalidParam("drawdown");
        if (p.maxDrawdown > AnnuityMath.MAX_PRINCIPAL || p.maxDrawdown > type(uint96).max) {
            revert InvalidParam("maxDrawdown");
        }
        if (p.partnerExposureCap == 0) revert InvalidParam("partnerExposureCap");
        if (p.reminderWindow == 0) revert InvalidParam("reminderWindow");
        if (p.maxRateBps > AnnuityMath.MAX_RATE_BPS) revert InvalidParam("maxRateBps");
        if (p.maxPeriodDays == 0 || p.maxPeriodDays > 366) revert InvalidParam("maxPeriodDays");
        if (p.partnerFundingFloorBps == 0 || uint256(p.minLeadFundingBps) + p.partnerFundingFloorBps > BPS) {
            revert InvalidParam("fundingShares");
        }
        if (p.maxLeadInterestBps > BPS) revert InvalidParam("maxLeadInterestBps");
        if (p.surchargeBps > BPS) revert InvalidParam("surchargeBps");
        if (
            p.specialMentionDays == 0 ||
            p.substandardDays <= p.specialMentionDays ||
            p.doubtfulDays <= p.substandardDays ||
            p.lossDays <= p.doubtfulDays
        ) revert InvalidParam("classThresholds");
        if (p.maxFunders < 2 || p.maxFunders > 64) revert InvalidParam("maxFunders");
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Whole days installment `k` of the loan is late now.
    function _lateDays(Loan storage loan, uint256 k) private view returns (uint256) {
        return LoanEngine.lateDays(LoanEngine.dueDate(loan.disbursedAt, loan.periodDays, k), block.timestamp);
    }

    function _ratio(uint256 part, uint256 whole) private pure returns (uint256) {
        return whole == 0 ? 0 : (part * BPS) / whole;
    }

    /// @dev Reclassifies by `dpd`, moving the loan's outstanding principal between the performing and
    ///      non-performing balances when it crosses the line, and records a Classified fact on change.
    function _reclassify(uint256 loanId, Loan storage loan, uint256 dpd) private returns (LoanClass to) {
        to = loan.status == LoanStatus.Repaid ? LoanClass.Normal : classFor(dpd);
        LoanClass from = loan.class_;
        if (from == to) return to;
        loan.class_ = to;
        bool wasNp = from >= LoanClass.Substandard;
        bool isNp = to >= LoanClass.Substandard;
        if (wasNp != isNp) LoanAccounting.setNonPerforming(_book, loanId, loan.outstanding, isNp);
        _fact(loanId, loan, Kinds.CLASSIFIED, keccak256(abi.encode(from, to, dpd)));
        emit LoanClassified(loanId, from, to, dpd);
    }

    /// @dev Appends an on-chain fact to the loan's chain; the caller is its actor.
    function _fact(uint256 loanId, Loan storage loan, bytes32 kind, bytes32 attrs) private {
        uint256 seq = ++loan.factSeq;
        bytes32 subject = Subjects.loan(loanId);
        ledger.recordFact(msg.sender, subject, kind, _factHash(subject, seq), attrs);
    }
}

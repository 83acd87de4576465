// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AnnuityMath} from "./AnnuityMath.sol";
import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {ILoanCourtHooks} from "./ILoanCourtHooks.sol";
import {ILoanUseAccount} from "./ILoanUseAccount.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {IConsortiumLedger, ILedgerModule, LedgerModule, checkRecord} from "../ledger/LedgerModule.sol";
import {LoanAccounting} from "./LoanAccounting.sol";
import {LoanCollection} from "./LoanCollection.sol";
import {LoanEngine} from "./LoanEngine.sol";
import {LoanFunding} from "./LoanFunding.sol";
import {LoanServicing} from "./LoanServicing.sol";
import {LoanStore} from "./LoanStore.sol";
import {Kinds, LoanClass, LoanStatus, RecordInput, Role, Subjects} from "../common/Types.sol";
import {EmptyHash, ZeroAddress, ZeroAmount} from "../common/Errors.sol";

/// @title LoanBook
/// @notice The co-lending loan book: origination, funding, disbursement, repayment and its split,
///         overdue charges, reminders and default, classification and the NPL views. The rules are
///         stated in `ILoanBook`.
contract LoanBook is LedgerModule, ILoanBook {
    using SafeERC20 for ISettlementToken;

    uint256 private constant BPS = 10_000;
    uint256 private constant DAY = 1 days;

    /// @notice The settlement token loans are funded and repaid in.
    ISettlementToken public immutable token;
    /// @notice The credit registry deciding who may borrow.
    ICreditRegistry public immutable registry;
    /// @notice The arbitration court, bound once at genesis.
    address public court;
    /// @notice The restricted loan-use account, bound once at genesis.
    ILoanUseAccount public loanUse;

    LoanStore.Layout private _s;

    modifier onlyCourt() {
        if (msg.sender != court) revert NotCourt(msg.sender);
        _;
    }

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
        _s.params = params_;
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
        bytes calldata signatures,
        Assent calldata assent
    ) external onlyRole(Role.LeadBank) returns (uint256 loanId) {
        (address borrower, uint256 leadAmount) = _checkOrigination(terms);
        loanId = ++_s.loanCount;
        checkRecord(Subjects.loan(loanId), Kinds.LOAN_CONTRACT, keccak256(abi.encode(loanId, borrower, terms)), record);
        _commitContract(loanId, borrower, record, issuedAt, deadline, signatures, assent);
        _open(loanId, terms, borrower, leadAmount);
        LoanServicing.fact(
            ledger,
            loanId,
            _s.loans[loanId],
            Kinds.LOAN_FUNDED,
            keccak256(abi.encode(msg.sender, leadAmount))
        );
        emit LoanFunded(loanId, msg.sender, leadAmount, leadAmount);
        token.safeTransferFrom(msg.sender, address(this), leadAmount);
    }

    /// @dev The borrower may borrow `terms` from the caller, and the terms are within bounds.
    function _checkOrigination(LoanTerms calldata terms) private view returns (address borrower, uint256 leadAmount) {
        borrower = LoanEngine.checkBorrower(
            address(registry),
            terms.pseudonym,
            terms.principal,
            _s.borrowers[terms.pseudonym].committed,
            msg.sender
        );
        if (terms.useCategory != bytes32(0) && address(loanUse) == address(0)) revert LoanUseNotBound();
        leadAmount = LoanEngine.checkTerms(terms, _s.params);
    }

    /// @dev Verifies the borrower's assent to the contract record and commits the record.
    function _commitContract(
        uint256 loanId,
        address borrower,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures,
        Assent calldata assent
    ) private {
        LoanEngine.checkAssent(loanId, borrower, record.attrs, record.contentHash, assent);
        ledger.commitFor(msg.sender, record, issuedAt, deadline, signatures);
    }

    function _open(uint256 loanId, LoanTerms calldata terms, address borrower, uint256 leadAmount) private {
        LoanAccounting.open(_s.book, _s.loans[loanId], loanId, terms, borrower, leadAmount);
        _s.bases[loanId].push(LoanEngine.Base(0, uint8(terms.periods), uint128(terms.principal), 0));
        _s.borrowers[terms.pseudonym].committed += uint128(terms.principal);
        emit LoanOriginated(loanId, terms.pseudonym, msg.sender, borrower, terms);
    }

    /// @inheritdoc ILoanBook
    function commitFunding(uint256 loanId, uint256 amount) external {
        Loan storage loan = LoanStore.existing(_s, loanId);
        if (loan.status != LoanStatus.Funding) revert WrongStatus(loanId, loan.status);
        if (ledger.roleOf(msg.sender) != Role.PartnerBank) revert NotPartner(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 remaining = loan.principal - loan.funded;
        if (amount > remaining) revert FundingExceeded(loanId, amount, remaining);
        LoanAccounting.commit(_s.book, loanId, msg.sender, amount, _s.params.partnerExposureCap, _s.params.maxFunders);
        uint256 total = loan.funded + amount;
        loan.funded = uint128(total);

        LoanServicing.fact(ledger, loanId, loan, Kinds.LOAN_FUNDED, keccak256(abi.encode(msg.sender, amount)));
        emit LoanFunded(loanId, msg.sender, amount, total);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ILoanBook
    function withdrawCommitment(uint256 loanId, uint256 amount) external {
        LoanFunding.withdrawCommitment(_s, ledger, token, loanId, amount);
    }

    /// @inheritdoc ILoanBook
    function cancel(uint256 loanId) external {
        LoanFunding.cancel(_s, ledger, token, loanId);
    }

    /// @inheritdoc ILoanBook
    function disburse(uint256 loanId) external {
        LoanFunding.disburse(_s, ledger, token, registry, loanUse, loanId);
    }

    // ---------------------------------------------------------------- repayment and collection (LoanServicing)

    /// @inheritdoc ILoanBook
    function repay(uint256 loanId, uint256 amount) external returns (Allocation memory) {
        return LoanServicing.repay(_s, ledger, registry, token, court, loanId, amount);
    }

    /// @inheritdoc ILoanBook
    function claim() external returns (uint256 amount) {
        amount = LoanAccounting.takeClaimable(_s.book, msg.sender);
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ILoanBook
    function remind(uint256 loanId, bytes32 noticeHash) external {
        if (noticeHash == bytes32(0)) revert EmptyHash();
        LoanServicing.remind(_s, ledger, loanId, noticeHash);
    }

    /// @inheritdoc ILoanBook
    function declareDefault(
        uint256 loanId,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        LoanServicing.declareDefault(_s, ledger, registry, loanId, record, issuedAt, deadline, signatures);
    }

    /// @inheritdoc ILoanBook
    function startCollection(
        uint256 loanId,
        bytes32 agency,
        RecordInput calldata record,
        uint64 issuedAt,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        LoanCollection.startCollection(_s, ledger, loanId, agency, record, issuedAt, deadline, signatures);
    }

    /// @inheritdoc ILoanBook
    function classify(uint256 loanId) external returns (LoanClass) {
        // Most calls change nothing: answer those without the library call.
        Loan storage loan = LoanStore.existing(_s, loanId);
        if (LoanStore.repayable(loan.status)) {
            LoanClass now_ = LoanStore.classFor(_s.params, LoanStore.daysPastDue(loan));
            if (now_ == loan.class_) return now_;
        }
        return LoanServicing.reclassify(_s, ledger, loanId);
    }

    // ---------------------------------------------------------------- court hooks

    /// @inheritdoc ILoanCourtHooks
    function onCaseOpened(uint256 loanId, uint256 caseId) external onlyCourt {
        LoanCollection.onCaseOpened(_s, loanId, caseId);
    }

    /// @inheritdoc ILoanCourtHooks
    function onAward(uint256 loanId, uint256 caseId, uint256 amountOwed) external onlyCourt {
        LoanCollection.onAward(_s, registry, loanId, caseId, amountOwed);
    }

    /// @inheritdoc ILoanCourtHooks
    function payoffOf(uint256 loanId) external view returns (uint256) {
        return this.dues(loanId).payoff;
    }

    /// @inheritdoc ILoanCourtHooks
    function loanStatus(uint256 loanId) external view returns (LoanStatus) {
        return _s.loans[loanId].status;
    }

    /// @inheritdoc ILoanCourtHooks
    function isLender(uint256 loanId, address account) external view returns (bool) {
        if (account == address(0)) return false;
        if (_s.loans[loanId].lead == account) return true;
        uint256 slot = _s.book.slots[loanId][account];
        return slot != 0 && _s.book.funders[loanId][slot - 1].funded != 0;
    }

    /// @inheritdoc ILoanCourtHooks
    function borrowerOf(uint256 loanId) external view returns (address account, bytes32 pseudonym) {
        Loan storage loan = _s.loans[loanId];
        return (loan.borrower, loan.pseudonym);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ILoanBook
    function loanInfo(uint256 loanId) external view returns (Loan memory) {
        return _s.loans[loanId];
    }

    /// @inheritdoc ILoanBook
    function fundersOf(uint256 loanId) external view returns (Funder[] memory) {
        return _s.book.funders[loanId];
    }

    /// @inheritdoc ILoanBook
    function schedule(uint256 loanId) external view returns (Row[] memory) {
        return LoanEngine.rows(LoanStore.existing(_s, loanId), _s.bases[loanId]);
    }

    /// @inheritdoc ILoanBook
    function dues(uint256 loanId) external view returns (Dues memory d) {
        Loan storage loan = LoanStore.existing(_s, loanId);
        if (!LoanStore.repayable(loan.status)) return d;
        d = LoanEngine.quote(loan, _s.bases[loanId], _s.params.surchargeBps);
        // After an award, what closes the loan is what is left of the award.
        if (loan.status == LoanStatus.Awarded) {
            uint256 left = loan.awardAmount - _s.collection[loanId].awardPaid;
            if (left < d.payoff) d.payoff = left;
        }
    }

    /// @inheritdoc ILoanBook
    function collectionOf(uint256 loanId) external view returns (Collection memory) {
        return _s.collection[loanId];
    }

    /// @inheritdoc ILoanBook
    function provisionsOf(address account) external view returns (Provisions memory) {
        return LoanAccounting.provisions(_s.book, _s.params, account);
    }

    /// @inheritdoc ILoanBook
    function daysPastDue(uint256 loanId) external view returns (uint256) {
        Loan storage loan = LoanStore.existing(_s, loanId);
        return LoanStore.repayable(loan.status) ? LoanStore.daysPastDue(loan) : 0;
    }

    /// @inheritdoc ILoanBook
    function classFor(uint256 dpd) external view returns (LoanClass) {
        return LoanStore.classFor(_s.params, dpd);
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
        LoanAccounting.Lender storage b = _s.book.lenders[account];
        return LenderPosition(b.escrow, b.outstanding, b.nonPerforming, b.claimable);
    }

    /// @inheritdoc ILoanBook
    function portfolio() external view returns (uint256 outstanding, uint256 nonPerforming) {
        return (_s.book.totalOutstanding, _s.book.totalNonPerforming);
    }

    /// @inheritdoc ILoanBook
    function nplRatioBps() external view returns (uint256) {
        return _ratio(_s.book.totalNonPerforming, _s.book.totalOutstanding);
    }

    /// @inheritdoc ILoanBook
    function lenderNplRatioBps(address account) external view returns (uint256) {
        LoanAccounting.Lender storage b = _s.book.lenders[account];
        return _ratio(b.nonPerforming, b.outstanding);
    }

    /// @inheritdoc ILoanBook
    function consortiumExposure(bytes32 pseudonym) external view returns (uint256 lenders, uint256 principal) {
        LoanStore.BorrowerBook storage bb = _s.borrowers[pseudonym];
        return (bb.lenders, bb.outstanding);
    }

    /// @inheritdoc ILoanBook
    function committedPrincipal(bytes32 pseudonym) external view returns (uint256) {
        return _s.borrowers[pseudonym].committed;
    }

    /// @inheritdoc ILoanBook
    function nextLoanId() external view returns (uint256) {
        return _s.loanCount + 1;
    }

    /// @inheritdoc ILoanBook
    function params() external view returns (Params memory) {
        return _s.params;
    }

    /// @inheritdoc ILedgerModule
    function ownedKinds() external pure override returns (bytes32[] memory) {
        return Kinds.ofLoanBook();
    }

    // ---------------------------------------------------------------- checks

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
        if (
            p.provisionNormalBps > BPS ||
            p.provisionSpecialMentionBps > BPS ||
            p.provisionSubstandardBps > BPS ||
            p.provisionDoubtfulBps > BPS ||
            p.provisionLossBps > BPS
        ) revert InvalidParam("provisionBps");
    }

    // ---------------------------------------------------------------- helpers

    function _ratio(uint256 part, uint256 whole) private pure returns (uint256) {
        return whole == 0 ? 0 : (part * BPS) / whole;
    }
}

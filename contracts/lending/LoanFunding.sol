// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {ILoanUseAccount} from "./ILoanUseAccount.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {LoanAccounting} from "./LoanAccounting.sol";
import {LoanServicing} from "./LoanServicing.sol";
import {LoanStore} from "./LoanStore.sol";
import {IConsortiumLedger} from "../ledger/LedgerModule.sol";
import {Kinds, LoanStatus, Role} from "../common/Types.sol";
import {ZeroAmount} from "../common/Errors.sol";

/// @title LoanFunding
/// @notice The loan book's operations between origination and disbursement: a partner taking back
///         its commitment, the lead cancelling, and the disbursement. An external library over
///         `LoanStore`, called by LoanBook (delegatecall). The rules are stated in `ILoanBook`.
library LoanFunding {
    using SafeERC20 for ISettlementToken;

    uint256 private constant DAY = 1 days;

    /// @notice A partner takes back `amount` of its commitment (also after it was removed from the
    ///         consortium: escrow is its money).
    function withdrawCommitment(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        ISettlementToken token,
        uint256 loanId,
        uint256 amount
    ) external {
        ILoanBook.Loan storage loan = LoanStore.existing(s, loanId);
        if (loan.status != LoanStatus.Funding && loan.status != LoanStatus.Cancelled) {
            revert ILoanBook.WrongStatus(loanId, loan.status);
        }
        if (amount == 0) revert ZeroAmount();
        LoanAccounting.withdraw(s.book, loanId, msg.sender, amount);
        uint256 total = loan.funded - amount;
        loan.funded = uint128(total);

        LoanServicing.fact(ledger, loanId, loan, Kinds.FUNDING_WITHDRAWN, keccak256(abi.encode(msg.sender, amount)));
        emit ILoanBook.FundingWithdrawn(loanId, msg.sender, amount, total);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice The lead cancels a loan before disbursement and takes back its share (also after it
    ///         was removed from the consortium: the refund is its money).
    function cancel(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        ISettlementToken token,
        uint256 loanId
    ) external {
        ILoanBook.Loan storage loan = LoanStore.ledBy(s, loanId);
        if (loan.status != LoanStatus.Funding) revert ILoanBook.WrongStatus(loanId, loan.status);
        uint256 refund = LoanAccounting.refundLead(s.book, loanId);
        loan.status = LoanStatus.Cancelled;
        loan.funded -= uint128(refund);
        s.borrowers[loan.pseudonym].committed -= loan.principal;

        LoanServicing.fact(ledger, loanId, loan, Kinds.LOAN_CANCELLED, keccak256(abi.encode(msg.sender, refund)));
        emit ILoanBook.LoanCancelled(loanId, msg.sender);
        token.safeTransfer(msg.sender, refund);
    }

    /// @notice The lead bank, still a lead bank of the consortium, disburses a fully funded loan to
    ///         a borrower whose line is still open and not listed since its latest decision.
    function disburse(
        LoanStore.Layout storage s,
        IConsortiumLedger ledger,
        ISettlementToken token,
        ICreditRegistry registry,
        ILoanUseAccount loanUse,
        uint256 loanId
    ) external {
        ILoanBook.Loan storage loan = LoanStore.ledBy(s, loanId);
        if (ledger.roleOf(msg.sender) != Role.LeadBank) revert ILoanBook.NotLoanLead(msg.sender, loan.lead);
        if (loan.status != LoanStatus.Funding) revert ILoanBook.WrongStatus(loanId, loan.status);
        uint256 principal = loan.principal;
        if (loan.funded != principal) revert ILoanBook.NotFullyFunded(loanId, loan.funded, principal);
        // The line is checked again: it may have been closed, or the borrower listed, since origination.
        if (!registry.canBorrow(loan.pseudonym)) {
            ICreditRegistry.CreditLine memory line = registry.creditLine(loan.pseudonym);
            if (line.state != ICreditRegistry.CreditState.Active) revert ILoanBook.NotWhitelisted(loan.pseudonym);
            revert ILoanBook.BorrowerDelinquent(loan.pseudonym);
        }
        loan.status = LoanStatus.Active;
        loan.disbursedAt = uint64(block.timestamp);
        loan.outstanding = uint128(principal);

        LoanAccounting.disburse(s.book, loanId, principal);
        LoanStore.BorrowerBook storage bb = s.borrowers[loan.pseudonym];
        bb.outstanding += uint128(principal);
        if (s.activeByLead[loan.pseudonym][loan.lead]++ == 0) bb.lenders += 1;

        bool restricted = loan.useCategory != bytes32(0);
        address to = restricted ? address(loanUse) : loan.borrower;
        LoanServicing.fact(
            ledger,
            loanId,
            loan,
            Kinds.LOAN_DISBURSED,
            keccak256(abi.encode(to, principal, restricted))
        );
        emit ILoanBook.LoanDisbursed(loanId, to, principal, uint64(block.timestamp + uint256(loan.periodDays) * DAY));
        token.safeTransfer(to, principal);
        if (restricted) loanUse.onDisbursed(loanId, loan.borrower, loan.lead, loan.useCategory, principal);
    }
}

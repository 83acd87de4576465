// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICreditRegistry} from "./ICreditRegistry.sol";
import {ILoanBook} from "./ILoanBook.sol";
import {IConsortiumLedger} from "./LedgerModule.sol";
import {Kinds, LoanStatus, Subjects} from "../common/Types.sol";

/// @title LoanCollection
/// @notice The loan book's collection outcomes as an external library over its storage (linked
///         into LoanBook, run in its context): the cure of a defaulted loan and the award of a case.
library LoanCollection {
    /// @notice Cures a defaulted loan whose every overdue installment and charge was just paid: it
    ///         performs again (unless repaid), a new default needs a new reminder, a DefaultCured
    ///         fact goes on the loan's chain and the borrower's listing records the cure.
    /// @param payer the payer whose repayment cured it (the facts' actor)
    function cure(
        ILoanBook.Loan storage loan,
        uint256 loanId,
        IConsortiumLedger ledger,
        ICreditRegistry registry,
        address payer
    ) external {
        if (loan.outstanding != 0) loan.status = LoanStatus.Active;
        loan.remindedAt = 0;
        uint256 seq = ++loan.factSeq;
        bytes32 subject = Subjects.loan(loanId);
        ledger.recordFact(
            payer,
            subject,
            Kinds.DEFAULT_CURED,
            keccak256(abi.encode(address(this), subject, seq)),
            keccak256(abi.encode(loanId, loan.cursor))
        );
        emit ILoanBook.LoanCured(loanId, loan.pseudonym, loan.cursor);
        registry.recordCure(loan.pseudonym, loanId, payer);
    }

    /// @notice Records an award on the loan of its case (`stored` is the loan's case id plus one):
    ///         an amount owed makes the loan Awarded and lists the borrower; a dismissal or an award
    ///         of nothing lists nobody and returns the loan to its contract. A loan settled while its
    ///         case ran stays Repaid.
    /// @param arbitrator the arbitrator (the listing's actor)
    function award(
        ILoanBook.Loan storage loan,
        uint256 loanId,
        uint256 caseId,
        uint256 stored,
        uint256 amountOwed,
        ICreditRegistry registry,
        address arbitrator
    ) external {
        bool settled = loan.status == LoanStatus.Repaid && stored != 0;
        if (loan.status != LoanStatus.InArbitration && !settled) revert ILoanBook.WrongStatus(loanId, loan.status);
        if (caseId + 1 != stored) revert ILoanBook.CaseMismatch(loanId, caseId, stored - 1);
        loan.awardAmount = uint128(amountOwed);
        emit ILoanBook.AwardRecorded(loanId, caseId, amountOwed);
        if (amountOwed == 0) {
            if (!settled) loan.status = LoanStatus.Active;
            return;
        }
        if (!settled) loan.status = LoanStatus.Awarded;
        registry.listDelinquent(loan.pseudonym, loanId, arbitrator);
    }
}

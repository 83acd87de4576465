// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ILoanBook} from "./ILoanBook.sol";
import {LoanAccounting} from "./LoanAccounting.sol";
import {LoanEngine} from "./LoanEngine.sol";
import {LoanClass, LoanStatus} from "../common/Types.sol";

/// @title LoanStore
/// @notice The loan book's state in one struct, so that the book's operations can live in external
///         libraries (`LoanServicing`, ...) over the same storage: the deployed LoanBook stays small
///         and new operations go into a library rather than into the book.
library LoanStore {
    /// @notice The consortium's position towards one borrower.
    struct BorrowerBook {
        uint128 committed; // outstanding principal plus loans being funded: what counts against the limit
        uint128 outstanding; // outstanding principal of disbursed loans
        uint32 lenders; // lead banks with an active loan to the borrower
    }

    /// @notice All of the loan book's state.
    struct Layout {
        ILoanBook.Params params;
        uint256 loanCount;
        mapping(uint256 loanId => ILoanBook.Loan) loans;
        LoanAccounting.Book book;
        mapping(uint256 loanId => LoanEngine.Base[]) bases;
        mapping(uint256 loanId => uint256 caseIdPlusOne) caseOf;
        mapping(bytes32 pseudonym => BorrowerBook) borrowers;
        mapping(bytes32 pseudonym => mapping(address lead => uint256)) activeByLead;
        mapping(uint256 loanId => ILoanBook.Collection) collection;
    }

    /// @notice Loan `loanId`, which must exist.
    function existing(Layout storage s, uint256 loanId) internal view returns (ILoanBook.Loan storage loan) {
        loan = s.loans[loanId];
        if (loan.status == LoanStatus.None) revert ILoanBook.UnknownLoan(loanId);
    }

    /// @notice Loan `loanId`, which must exist and be led by the caller.
    function ledBy(Layout storage s, uint256 loanId) internal view returns (ILoanBook.Loan storage loan) {
        loan = existing(s, loanId);
        if (loan.lead != msg.sender) revert ILoanBook.NotLoanLead(msg.sender, loan.lead);
    }

    /// @notice The case open (or awarded) on loan `loanId`; reverts with `what` if there is none.
    function caseOf(Layout storage s, uint256 loanId) internal view returns (uint256) {
        uint256 stored = s.caseOf[loanId];
        if (stored == 0) revert ILoanBook.WrongStatus(loanId, s.loans[loanId].status);
        return stored - 1;
    }

    /// @notice Whether a loan in `status` is being repaid (it may take payments and be classified).
    function repayable(LoanStatus status) internal pure returns (bool) {
        return
            status == LoanStatus.Active ||
            status == LoanStatus.Defaulted ||
            status == LoanStatus.InArbitration ||
            status == LoanStatus.Awarded;
    }

    /// @notice The class `dpd` days past due maps to under `p`.
    function classFor(ILoanBook.Params storage p, uint256 dpd) internal view returns (LoanClass) {
        if (dpd >= p.lossDays) return LoanClass.Loss;
        if (dpd >= p.doubtfulDays) return LoanClass.Doubtful;
        if (dpd >= p.substandardDays) return LoanClass.Substandard;
        if (dpd >= p.specialMentionDays) return LoanClass.SpecialMention;
        return LoanClass.Normal;
    }

    /// @notice Whole days the loan's oldest unpaid installment is late now (0 if none is).
    function daysPastDue(ILoanBook.Loan storage loan) internal view returns (uint256) {
        if (loan.cursor >= loan.rows) return 0;
        return LoanEngine.lateDays(LoanEngine.dueDate(loan.disbursedAt, loan.periodDays, loan.cursor), block.timestamp);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Kinds, Subjects} from "../common/Types.sol";

/// @title TypesHarness
/// @notice Test-only: exposes the `Kinds` constants and `Subjects` functions of Types.sol so the
///         TypeScript mirror can be checked against them.
contract TypesHarness {
    /// @notice Every kind in `Kinds`, by the name the TypeScript mirror uses.
    function kinds() external pure returns (string[] memory names, bytes32[] memory ids) {
        names = new string[](27);
        ids = new bytes32[](27);
        (names[0], ids[0]) = ("Batch", Kinds.BATCH);
        (names[1], ids[1]) = ("Membership", Kinds.MEMBERSHIP);
        (names[2], ids[2]) = ("CreditDecision", Kinds.CREDIT_DECISION);
        (names[3], ids[3]) = ("CreditClosed", Kinds.CREDIT_CLOSED);
        (names[4], ids[4]) = ("OutsideLoan", Kinds.OUTSIDE_LOAN);
        (names[5], ids[5]) = ("DefaultNotice", Kinds.DEFAULT_NOTICE);
        (names[6], ids[6]) = ("LoanContract", Kinds.LOAN_CONTRACT);
        (names[7], ids[7]) = ("LoanFunded", Kinds.LOAN_FUNDED);
        (names[8], ids[8]) = ("FundingWithdrawn", Kinds.FUNDING_WITHDRAWN);
        (names[9], ids[9]) = ("LoanDisbursed", Kinds.LOAN_DISBURSED);
        (names[10], ids[10]) = ("Repayment", Kinds.REPAYMENT);
        (names[11], ids[11]) = ("Classified", Kinds.CLASSIFIED);
        (names[12], ids[12]) = ("LoanSpend", Kinds.LOAN_SPEND);
        (names[13], ids[13]) = ("CaseOpened", Kinds.CASE_OPENED);
        (names[14], ids[14]) = ("CaseStatement", Kinds.CASE_STATEMENT);
        (names[15], ids[15]) = ("CaseResponse", Kinds.CASE_RESPONSE);
        (names[16], ids[16]) = ("Award", Kinds.AWARD);
        (names[17], ids[17]) = ("Reminder", Kinds.REMINDER);
        (names[18], ids[18]) = ("DelinquencyListed", Kinds.DELINQUENCY_LISTED);
        (names[19], ids[19]) = ("LoanCancelled", Kinds.LOAN_CANCELLED);
        (names[20], ids[20]) = ("Disclosure", Kinds.DISCLOSURE);
        (names[21], ids[21]) = ("DefaultCured", Kinds.DEFAULT_CURED);
        (names[22], ids[22]) = ("DelinquencyCured", Kinds.DELINQUENCY_CURED);
        (names[23], ids[23]) = ("CaseReassigned", Kinds.CASE_REASSIGNED);
        (names[24], ids[24]) = ("CollectionStarted", Kinds.COLLECTION_STARTED);
        (names[25], ids[25]) = ("AwardSatisfied", Kinds.AWARD_SATISFIED);
        (names[26], ids[26]) = ("CaseClosed", Kinds.CASE_CLOSED);
    }

    /// @notice `Kinds.moduleOwned(kind)`.
    function moduleOwned(bytes32 kind) external pure returns (bool) {
        return Kinds.moduleOwned(kind);
    }

    /// @notice The kinds of each module, as its `ownedKinds` declares them: registry, loan book,
    ///         loan-use account, court.
    function kindsOfModules() external pure returns (bytes32[][] memory lists) {
        lists = new bytes32[][](4);
        (lists[0], lists[1]) = (Kinds.ofCreditRegistry(), Kinds.ofLoanBook());
        (lists[2], lists[3]) = (Kinds.ofLoanUseAccount(), Kinds.ofCourt());
    }

    /// @notice `Subjects.loan(loanId)`.
    function loanSubject(uint256 loanId) external pure returns (bytes32) {
        return Subjects.loan(loanId);
    }

    /// @notice `Subjects.borrower(pseudonym)`.
    function borrowerSubject(bytes32 pseudonym) external pure returns (bytes32) {
        return Subjects.borrower(pseudonym);
    }

    /// @notice `Subjects.arbitrationCase(caseId)`.
    function caseSubject(uint256 caseId) external pure returns (bytes32) {
        return Subjects.arbitrationCase(caseId);
    }
}

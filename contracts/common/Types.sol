// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Role of a consortium member. Mirrored once in TypeScript (`clients/core/types.ts`).
enum Role {
    None, // not a member (default of an empty mapping slot)
    LeadBank, // originates, scores and serves borrowers; votes on records
    PartnerBank, // co-funds loans; votes on records
    Arbitrator, // rules on cases; never votes on records
    Regulator // observes; never writes business records
}

/// @notice How a record reached the ledger.
enum Attestation {
    Signatures, // proposer's transaction plus EIP-712 endorsement signatures, one transaction
    Votes, // proposer's proposal plus one endorsement transaction per member
    Fact // an on-chain state change reported by a consortium module; the actor's transaction is the signature
}

/// @notice Lifecycle of a record proposal on the voting path.
enum ProposalState {
    None, // no such proposal
    Open, // collecting endorsements
    Committed, // reached quorum and committed to the subject's chain
    Rejected // could no longer reach quorum, passed its deadline, or its chain moved on
}

/// @notice Lifecycle of a co-lending loan. Mirrored in TypeScript (`clients/core/types.ts`).
enum LoanStatus {
    None, // no such loan
    Funding, // originated, collecting funders' commitments
    Active, // disbursed, being repaid
    Repaid, // fully repaid
    Defaulted, // a missed installment went unanswered past the reminder window
    InArbitration, // a case is open for it
    Awarded, // the arbitrator ruled
    Cancelled, // never disbursed
    Closed // the award was satisfied: the case is closed and any principal left was written off
}

/// @notice Five-category loan classification; the last three are non-performing.
enum LoanClass {
    Normal,
    SpecialMention,
    Substandard,
    Doubtful,
    Loss
}

/// @notice The fields of an evidence record that the endorsers sign.
struct RecordInput {
    bytes32 subject; // what the record is about: a loan, a borrower pseudonym, a case
    bytes32 kind; // schema of the record (see `Kinds`)
    bytes32 contentHash; // keccak256(salt ‖ document): the off-chain original, salted
    bytes32 attrs; // keccak256(abi.encode(...)) of the on-chain parameters the record's kind defines, or 0
    bytes32 prev; // the subject's chain head the record extends (0 for the first record)
}

/// @notice When an endorsed record was committed, stored once per (subject, contentHash). Facts
///         reported by modules are not indexed; their position shows in the subject's logs.
struct RecordInfo {
    uint64 blockNumber; // block that committed it
    uint64 timestamp; // that block's timestamp
    uint32 leafCount; // leaves under the root if it is a batch (`commitBatch`), else 0
    Attestation attestation; // how it was endorsed
}

/// @notice Record kinds (schemas) that contracts write themselves. Off-chain kinds live in TypeScript.
library Kinds {
    bytes32 internal constant BATCH = keccak256("colend.kind.Batch.v1");
    bytes32 internal constant MEMBERSHIP = keccak256("colend.kind.Membership.v1");
    bytes32 internal constant CREDIT_DECISION = keccak256("colend.kind.CreditDecision.v1");
    bytes32 internal constant CREDIT_CLOSED = keccak256("colend.kind.CreditClosed.v1");
    bytes32 internal constant OUTSIDE_LOAN = keccak256("colend.kind.OutsideLoan.v1");
    bytes32 internal constant DEFAULT_NOTICE = keccak256("colend.kind.DefaultNotice.v1");
    bytes32 internal constant LOAN_CONTRACT = keccak256("colend.kind.LoanContract.v1");
    bytes32 internal constant LOAN_FUNDED = keccak256("colend.kind.LoanFunded.v1");
    bytes32 internal constant FUNDING_WITHDRAWN = keccak256("colend.kind.FundingWithdrawn.v1");
    bytes32 internal constant LOAN_DISBURSED = keccak256("colend.kind.LoanDisbursed.v1");
    bytes32 internal constant REPAYMENT = keccak256("colend.kind.Repayment.v1");
    bytes32 internal constant CLASSIFIED = keccak256("colend.kind.Classified.v1");
    bytes32 internal constant LOAN_SPEND = keccak256("colend.kind.LoanSpend.v1");
    bytes32 internal constant CASE_OPENED = keccak256("colend.kind.CaseOpened.v1");
    bytes32 internal constant CASE_STATEMENT = keccak256("colend.kind.CaseStatement.v1");
    bytes32 internal constant CASE_RESPONSE = keccak256("colend.kind.CaseResponse.v1");
    bytes32 internal constant AWARD = keccak256("colend.kind.Award.v1");
    bytes32 internal constant REMINDER = keccak256("colend.kind.Reminder.v1");
    bytes32 internal constant DELINQUENCY_LISTED = keccak256("colend.kind.DelinquencyListed.v1");
    bytes32 internal constant LOAN_CANCELLED = keccak256("colend.kind.LoanCancelled.v1");
    bytes32 internal constant DISCLOSURE = keccak256("colend.kind.Disclosure.v1");
    bytes32 internal constant DEFAULT_CURED = keccak256("colend.kind.DefaultCured.v1");
    bytes32 internal constant DELINQUENCY_CURED = keccak256("colend.kind.DelinquencyCured.v1");
    bytes32 internal constant CASE_REASSIGNED = keccak256("colend.kind.CaseReassigned.v1");
    bytes32 internal constant COLLECTION_STARTED = keccak256("colend.kind.CollectionStarted.v1");
    bytes32 internal constant AWARD_SATISFIED = keccak256("colend.kind.AwardSatisfied.v1");
    bytes32 internal constant CASE_CLOSED = keccak256("colend.kind.CaseClosed.v1");

    /// @notice Whether `kind` is written only by a consortium module (an endorsed record the module
    ///         checks, or a fact) or only by `commitBatch`: a bank may not commit or propose such a
    ///         record itself, or a majority could put on a chain what no module rule checked (a loan
    ///         contract the loan book never made, a credit line the registry never opened) or
    ///         front-run the module (an Award before the arbitrator's). Membership is the ledger's
    ///         own: its changes are `MembershipChangeExecuted` events, never records.
    ///         Every kind in `Kinds` is module-owned; banks write the off-chain kinds (notes, receipts).
    ///         Each one but Batch and Membership belongs to exactly one module: the ledger records
    ///         its owner when the module is enabled (`ownedKinds`, the lists below) and takes it
    ///         from that module only.
    function moduleOwned(bytes32 kind) internal pure returns (bool) {
        return
            kind == BATCH ||
            kind == MEMBERSHIP ||
            // CreditRegistry
            kind == CREDIT_DECISION ||
            kind == CREDIT_CLOSED ||
            kind == OUTSIDE_LOAN ||
            kind == DELINQUENCY_LISTED ||
            kind == DELINQUENCY_CURED ||
            // LoanBook
            kind == LOAN_CONTRACT ||
            kind == LOAN_FUNDED ||
            kind == FUNDING_WITHDRAWN ||
            kind == LOAN_DISBURSED ||
            kind == LOAN_CANCELLED ||
            kind == REPAYMENT ||
            kind == REMINDER ||
            kind == DEFAULT_NOTICE ||
            kind == DEFAULT_CURED ||
            kind == CLASSIFIED ||
            kind == COLLECTION_STARTED ||
            kind == AWARD_SATISFIED ||
            // LoanUseAccount
            kind == LOAN_SPEND ||
            // ArbitrationCourt
            kind == CASE_OPENED ||
            kind == CASE_STATEMENT ||
            kind == CASE_RESPONSE ||
            kind == DISCLOSURE ||
            kind == CASE_REASSIGNED ||
            kind == AWARD ||
            kind == CASE_CLOSED;
    }

    /// @notice The kinds the credit registry writes (its `ownedKinds`).
    function ofCreditRegistry() internal pure returns (bytes32[] memory kinds) {
        kinds = new bytes32[](5);
        (kinds[0], kinds[1], kinds[2]) = (CREDIT_DECISION, CREDIT_CLOSED, OUTSIDE_LOAN);
        (kinds[3], kinds[4]) = (DELINQUENCY_LISTED, DELINQUENCY_CURED);
    }

    /// @notice The kinds the loan book writes (its `ownedKinds`).
    function ofLoanBook() internal pure returns (bytes32[] memory kinds) {
        kinds = new bytes32[](12);
        (kinds[0], kinds[1], kinds[2], kinds[3]) = (LOAN_CONTRACT, LOAN_FUNDED, FUNDING_WITHDRAWN, LOAN_DISBURSED);
        (kinds[4], kinds[5], kinds[6], kinds[7]) = (LOAN_CANCELLED, REPAYMENT, REMINDER, DEFAULT_NOTICE);
        (kinds[8], kinds[9], kinds[10], kinds[11]) = (DEFAULT_CURED, CLASSIFIED, COLLECTION_STARTED, AWARD_SATISFIED);
    }

    /// @notice The kinds the loan-use account writes (its `ownedKinds`).
    function ofLoanUseAccount() internal pure returns (bytes32[] memory kinds) {
        kinds = new bytes32[](1);
        kinds[0] = LOAN_SPEND;
    }

    /// @notice The kinds the arbitration court writes (its `ownedKinds`).
    function ofCourt() internal pure returns (bytes32[] memory kinds) {
        kinds = new bytes32[](7);
        (kinds[0], kinds[1], kinds[2], kinds[3]) = (CASE_OPENED, CASE_STATEMENT, CASE_RESPONSE, DISCLOSURE);
        (kinds[4], kinds[5], kinds[6]) = (CASE_REASSIGNED, AWARD, CASE_CLOSED);
    }
}

/// @notice Subject identifiers shared by contracts and clients.
library Subjects {
    /// @notice Subject of a loan's evidence chain.
    function loan(uint256 loanId) internal pure returns (bytes32) {
        return keccak256(abi.encode("colend.loan", loanId));
    }

    /// @notice Subject of a borrower's credit chain (decisions, outside loans, delinquency), keyed by pseudonym.
    function borrower(bytes32 pseudonym) internal pure returns (bytes32) {
        return keccak256(abi.encode("colend.borrower", pseudonym));
    }

    /// @notice Subject of an arbitration case's chain.
    function arbitrationCase(uint256 caseId) internal pure returns (bytes32) {
        return keccak256(abi.encode("colend.case", caseId));
    }
}

import { time } from "@nomicfoundation/hardhat-network-helpers";
import { BorrowerClient, LeadBankNode, LendingParams, PartnerBankNode, deployLending } from "../../clients/lending";
import { deployArbitration, installCaseReviewers } from "../../clients/arbitration";
import { DocumentStore } from "../../clients/store";
import { deployLedgerFixture, fixtureAddressBook } from "../helpers/consortium";
import { BANK_FLOAT, LendingFixture, admit, openLoan, standardTerms } from "../lending/fixtures";

const DAY = 86_400n;

/**
 * The collection stage of a defaulted loan, as the court requires it before a case: once the
 * reminder stage is over the lead bank hands the loan to an outsourced agency (an endorsed
 * CollectionStarted record), and the collection stage runs its course.
 */
export async function throughCollection(lead: LeadBankNode, peers: readonly PartnerBankNode[], loanId: bigint) {
  const params = await lead.loanParams();
  const loan = await lead.lending.loanBook.loanInfo(loanId);
  const until = async (t: bigint) => {
    if (t > BigInt(await time.latest())) await time.increaseTo(t);
  };
  await until(loan.remindedAt + params.reminderStageDays * DAY);
  const started = await lead.startCollection(loanId, "Pearl River Collections", peers);
  await until(started.arbitrableFrom);
  return started;
}

/**
 * The real lending modules and the court deployed together during genesis, as `deployColend`
 * does; one standard loan funded by the lead and partners 0 and 1, then defaulted (first
 * installment missed, or paid only `paidOnDueDate`, reminder unanswered for 24 hours) and, unless `collected` is false, taken
 * through the collection stage so that a case may be filed. Shared by the court's integration
 * test and the evidence case tests; each wraps it in its own `loadFixture` function.
 */
export async function deployDefaultedLoan(
  opts: { collected?: boolean; store?: DocumentStore; paidOnDueDate?: bigint; params?: Partial<LendingParams> } = {},
) {
  const base = await deployLedgerFixture({ banks: 5, outsiders: 8 });
  // Short reminder and collection stages (a day each), so that a case is filed days, not months,
  // after the default (test/arbitration/collection.test.ts reads the stages from the parameters).
  const lending = await deployLending(base.deployer, base.ledger, {
    reminderStageDays: 1,
    collectionStageDays: 1,
    ...opts.params,
  });
  const arbitration = await deployArbitration(base.deployer, base.ledger, lending.addresses.loanBook);
  await (await base.ledger.sealGenesis()).wait();
  const book = await fixtureAddressBook(base, { ...lending.addresses, court: arbitration.address });
  const lead = new LeadBankNode("W Bank", base.leadBank, book);
  if (opts.store) lead.keepDocuments(opts.store);
  const partnerNodes = base.partners.map((p, i) => new PartnerBankNode(`Partner ${i + 1}`, p, book));
  for (const node of [lead, ...partnerNodes]) {
    await node.deposit(BANK_FLOAT);
    installCaseReviewers(node);
  }
  const [, payee, ...borrowers] = base.outsiders;
  for (const b of borrowers) await lead.connectBorrower(new BorrowerClient(b, book));
  const fx: LendingFixture = {
    ...base,
    params: lending.params,
    book,
    token: lending.token,
    registry: lending.registry,
    loanBook: lending.loanBook,
    loanUse: lending.loanUse,
    lead,
    partnerNodes,
    borrowers: borrowers.slice(0, 4),
    payee,
  };
  const pseudonym = await admit(fx, 0);
  const { loanId, disbursedAt, originated } = await openLoan(fx, standardTerms(pseudonym));
  if (opts.paidOnDueDate) {
    // A partial payment on the first installment, on its due date: a repayment receipt on the chain.
    await time.setNextBlockTimestamp(disbursedAt + 30n * DAY);
    await new BorrowerClient(fx.borrowers[0], book).repay(loanId, opts.paidOnDueDate);
  }
  await time.setNextBlockTimestamp(disbursedAt + 31n * DAY);
  const { remindedAt } = await lead.remind(loanId, "SMS: installment 1 is overdue");
  await time.increaseTo(remindedAt + DAY);
  await lead.declareDefault(loanId, partnerNodes);
  if (opts.collected !== false) await throughCollection(lead, partnerNodes, loanId);
  return { fx, arbitration, pseudonym, loanId, originated };
}

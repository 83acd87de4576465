import { Signer } from "ethers";
import { AddressBook } from "../core/addressBook";
import { LoanBookAllowance } from "./allowance";
import { contentHash, newSalt } from "../core/records";
import { LoanStatus } from "../core/types";
import { eventsOf } from "./bank";
import {
  ASSENT_LIFETIME,
  Assent,
  AssentRefused,
  AssentRequest,
  Assenter,
  assentDomain,
  checkAssentRequest,
  signAssent,
} from "./assent";
import { LendingContracts, lendingContracts } from "./contracts";
import type { Allocation, Dues, Row } from "./loanModel";

/** What a repayment did. */
export interface Repayment {
  loanId: bigint;
  amount: bigint;
  allocation: Allocation;
  /** Principal still owed afterwards. */
  outstanding: bigint;
  /** Whether the loan is now repaid in full. */
  settled: boolean;
}

/** A borrower's view of one loan. */
export interface BorrowerLoan {
  loanId: bigint;
  status: LoanStatus;
  principal: bigint;
  outstanding: bigint;
  restricted: boolean;
}

/**
 * A borrower's client: sees its own loans, schedules and dues, repays, and spends from a
 * restricted loan-use account. The borrower is not a consortium member; it signs only its own
 * transactions.
 */
/** The loan book's `Dues` struct (an ethers Result) as the plain `Dues` of the money library. */
export function duesOf(d: Dues): Dues {
  return {
    surcharge: d.surcharge,
    overdueInterest: d.overdueInterest,
    interestDue: d.interestDue,
    principalDue: d.principalDue,
    currentInterest: d.currentInterest,
    currentPrincipal: d.currentPrincipal,
    amountDue: d.amountDue,
    payoff: d.payoff,
    outstanding: d.outstanding,
    daysPastDue: d.daysPastDue,
    nextDueDate: d.nextDueDate,
  };
}

/**
 * `amount` or, when less, the payoff: near the end of a loan the payoff (the current period's
 * interest only to the day) can be below the scheduled installment.
 */
export function capAtPayoff(d: Pick<Dues, "payoff">, amount: bigint): bigint {
  return amount < d.payoff ? amount : d.payoff;
}

/** What a borrower who pays on schedule pays now: what is overdue, else the current installment. */
export function scheduledPayment(d: Dues): bigint {
  return capAtPayoff(d, d.amountDue > 0n ? d.amountDue : d.currentInterest + d.currentPrincipal);
}

export class BorrowerClient implements Assenter {
  readonly lending: LendingContracts;
  private addressCache?: string;
  /** The loan book's allowance over this borrower's tokens. */
  private readonly allowance: LoanBookAllowance;

  constructor(
    readonly signer: Signer,
    readonly book: AddressBook,
  ) {
    this.lending = lendingContracts(book, signer);
    this.allowance = new LoanBookAllowance(this.lending, () => this.address());
  }

  async address(): Promise<string> {
    this.addressCache ??= await this.signer.getAddress();
    return this.addressCache;
  }

  /**
   * The borrower accepts a loan contract: checks that the document it is shown is the one going on
   * the chain, for this borrower and exactly these terms, on this consortium's loan book, and signs
   * its assent (valid for `ASSENT_LIFETIME`). Throws `AssentRefused` otherwise.
   */
  async assent(r: AssentRequest): Promise<Assent> {
    const loanBook = await this.lending.loanBook.getAddress();
    if (r.loanBook.toLowerCase() !== loanBook.toLowerCase())
      throw new AssentRefused(`the assent is asked for loan book ${r.loanBook}, not ${loanBook}`);
    checkAssentRequest(r, await this.address());
    const domain = assentDomain(r.chainId, r.loanBook);
    return signAssent(this.signer, domain, r.termsHash, r.contractHash, r.now + ASSENT_LIFETIME);
  }

  /** Settlement-token balance. */
  async balance(): Promise<bigint> {
    return this.lending.token.balanceOf(await this.address());
  }

  /** The loans originated to this borrower's account. */
  async loans(): Promise<BorrowerLoan[]> {
    const { loanBook } = this.lending;
    const me = (await this.address()).toLowerCase();
    const events = await loanBook.queryFilter(loanBook.filters.LoanOriginated(), this.book.deployBlock);
    const out: BorrowerLoan[] = [];
    for (const e of events) {
      if (e.args.borrower.toLowerCase() !== me) continue;
      const loan = await loanBook.loanInfo(e.args.loanId);
      out.push({
        loanId: e.args.loanId,
        status: Number(loan.status) as LoanStatus,
        principal: loan.principal,
        outstanding: loan.outstanding,
        restricted: BigInt(loan.useCategory) !== 0n,
      });
    }
    return out;
  }

  /** The loan's installments. */
  async schedule(loanId: bigint): Promise<Row[]> {
    const rows = await this.lending.loanBook.schedule(loanId);
    return rows.map((r) => ({ dueDate: r.dueDate, principal: r.principal, interest: r.interest, paid: r.paid }));
  }

  /** What is owed now. */
  async dues(loanId: bigint): Promise<Dues> {
    return duesOf(await this.lending.loanBook.dues(loanId));
  }

  /** Pays `amount` towards the loan (approving the loan book first if needed). */
  async repay(loanId: bigint, amount: bigint): Promise<Repayment> {
    const { loanBook } = this.lending;
    const receipt = await this.allowance.pay(amount, async () => (await loanBook.repay(loanId, amount)).wait());
    const [e] = eventsOf(loanBook, receipt, "RepaymentApplied");
    const a = e.allocation;
    return {
      loanId,
      amount,
      allocation: {
        surcharge: a.surcharge,
        overdueInterest: a.overdueInterest,
        interest: a.interest,
        principal: a.principal,
        prepaid: a.prepaid,
      },
      outstanding: e.outstanding,
      settled: eventsOf(loanBook, receipt, "LoanSettled").length > 0,
    };
  }

  /** Pays what is due now (overdue charges, installments due, the current installment). */
  async payDue(loanId: bigint): Promise<Repayment> {
    const d = await this.dues(loanId);
    const amount = capAtPayoff(d, d.amountDue + d.currentInterest + d.currentPrincipal);
    if (amount === 0n) throw new Error(`nothing is owed on loan ${loanId}`);
    return this.repay(loanId, amount);
  }

  /** Repays the loan in full. */
  async payOff(loanId: bigint): Promise<Repayment> {
    return this.repay(loanId, (await this.dues(loanId)).payoff);
  }

  /**
   * Pays an approved payee from the loan's restricted account; `purpose` (an invoice reference,
   * say) stays off chain, its salted hash goes on the loan's evidence chain.
   */
  async spend(
    loanId: bigint,
    payee: string,
    amount: bigint,
    purpose: string,
  ): Promise<{ purposeHash: string; salt: Uint8Array; balance: bigint }> {
    const { loanUse } = this.lending;
    const salt = newSalt();
    const purposeHash = contentHash(new TextEncoder().encode(purpose), salt);
    // Checked as a call first: a refused spend (an unapproved payee, a frozen account) throws the
    // contract's own error, decoded, and sends nothing (a chain that keeps no history cannot
    // replay a mined revert to say why).
    await loanUse.spend.staticCall(loanId, payee, amount, purposeHash);
    await (await loanUse.spend(loanId, payee, amount, purposeHash)).wait();
    return { purposeHash, salt, balance: (await loanUse.accountOf(loanId)).balance };
  }

  /** Sends unspent restricted funds back to the lenders as a repayment. */
  async returnToLenders(loanId: bigint, amount: bigint): Promise<bigint> {
    await (await this.lending.loanUse.returnToLenders(loanId, amount)).wait();
    return (await this.lending.loanUse.accountOf(loanId)).balance;
  }
}

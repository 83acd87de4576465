import { MaxUint256, keccak256, toUtf8Bytes } from "ethers";
import { deployColend } from "../deploy";
import { Role } from "../core/types";
import { SettlementToken__factory, CycleSettlement__factory } from "../../typechain-types";
import { AssembledCycle, assembleCycle, checkCycle, commitCycle, settleCycle } from "../cycle/cycle";
import { CycleBook, CycleConfig, CycleOp, Syndicate, cycleSubject, openLoanOps, signAssent } from "../cycle/model";
import { CYCLE_LOAN_ID_BASE } from "../evidence/cycle";
import { LeadBankNode, PartnerBankNode } from "../lending/bank";
import { scheduledPayment } from "../lending/borrower";
import { DEFAULT_LENDING_PARAMS, DEFAULT_SHARES } from "../lending/params";
import { pseudonymOf } from "../lending/pseudonym";
import { consortiumMembers, seededWallet } from "./consortium";
import type { SimEnv } from "./lendingScenario";
import { DAY, PERIOD_DAYS, PlannedApplication, PlannedLoan, STAGE_HOUR, scenarioPlan } from "./plan";

/**
 * The demo's scenario on the batched path (`npm run demo -- --settlement batched`, docs/CYCLE.md):
 * the same seed's plan (applicants, loans with their own syndicates, repayment behaviour) played
 * as one cycle a simulated day. The lead bank assembles each day's operations (whitelistings,
 * originations with the borrower's assent, funding by the loan's syndicate, disbursements,
 * reminders, repayments, defaults) on its `CycleBook`; the partners check and endorse it; the
 * batches are committed and the day's net settlement executed once on `CycleSettlement`.
 * Stages run at the per-loan demo's hours (`STAGE_HOUR`), and payments follow the same rules
 * (`scheduledPayment`, halves for a partial payer, the payoff for an early one).
 */
export interface BatchedOptions {
  loans: number;
  partners: number;
  months: number;
  seed: string;
  log: (line: string) => void;
}

/** What a batched run reports. */
export interface BatchedReport {
  loans: number;
  cycles: number;
  leaves: number;
  reminders: number;
  defaults: number;
  repayments: number;
  /** Gas of every cycle's commitBatch and settle. */
  gas: { commit: bigint; settle: bigint };
  /** Each loan's money by funder (lead first): funded, principal returned, income received. */
  money: Map<bigint, { account: string; funded: bigint; principalReturned: bigint; incomeReceived: bigint }[]>;
  /** The sum of every cycle's nets moved between the banks (gross). */
  settledGross: bigint;
}

interface Followed {
  id: bigint;
  planned: PlannedLoan;
  dueDays: number[];
  next: number;
  closed: boolean;
  defaulted: boolean;
}

export async function runBatchedScenario(env: SimEnv, opts: BatchedOptions): Promise<BatchedReport> {
  const plan = scenarioPlan({ seed: opts.seed, loans: opts.loans, months: opts.months, partners: opts.partners });
  const provider = env.provider;
  const members = consortiumMembers(opts.seed, opts.partners, provider);
  const deployer = seededWallet(opts.seed, "deployer", provider);
  for (const w of [deployer, ...members.map((m) => m.wallet)]) {
    const hex = "0x" + (10n ** 24n).toString(16);
    await env.rpc
      .send("hardhat_setBalance", [w.address, hex])
      .catch(() => env.rpc.send("anvil_setBalance", [w.address, hex]));
  }
  const { book } = await deployColend(
    deployer,
    members.map((m) => ({
      name: m.name,
      role: m.role,
      signer: m.wallet,
      encryptionKey: m.wallet.signingKey.compressedPublicKey,
    })),
  );
  if (!book.cycleSettlement || !book.token) throw new Error("deployColend deployed no cycle settlement");
  const lead = new LeadBankNode(members[0].name, members[0].wallet, book);
  const partners = members
    .filter((m) => m.role === Role.PartnerBank)
    .map((m) => new PartnerBankNode(m.name, m.wallet, book));
  for (const bank of [lead, ...partners]) {
    await bank.deposit(10n ** 15n);
    await (
      await SettlementToken__factory.connect(book.token, bank.signer).approve(book.cycleSettlement, MaxUint256)
    ).wait();
  }
  const settlement = CycleSettlement__factory.connect(book.cycleSettlement, lead.signer);
  const partnerAccounts = await Promise.all(partners.map((p) => p.address()));
  const cfg: CycleConfig = {
    params: { ...DEFAULT_LENDING_PARAMS },
    lead: await lead.address(),
    partners: partnerAccounts.map((account) => ({ account, weight: 1n })),
    chainId: BigInt(book.chainId),
    ledger: book.ledger,
  };
  const books = new Map<LeadBankNode | PartnerBankNode, CycleBook>(
    [lead, ...partners].map((n) => [n, new CycleBook(cfg)]),
  );
  const secret = keccak256(toUtf8Bytes(`colend.sim.consortium-secret.${opts.seed}`));
  const t0 = BigInt((await provider.getBlock("latest"))!.timestamp);
  const at = (d: number, hour: number) => t0 + BigInt(d) * DAY_N + BigInt(hour * 3_600);
  const report: BatchedReport = {
    loans: 0,
    cycles: 0,
    leaves: 0,
    reminders: 0,
    defaults: 0,
    repayments: 0,
    gas: { commit: 0n, settle: 0n },
    money: new Map(),
    settledGross: 0n,
  };
  const followed: Followed[] = [];

  for (let m = 0; m < opts.months; m++) {
    const first = m * PERIOD_DAYS;
    const last = first + PERIOD_DAYS;
    const days = new Set<number>(plan.month(m).map((a) => a.day));
    for (const l of followed) {
      for (const [i, due] of l.dueDays.entries()) {
        const delay = l.planned.repayment.delays[i];
        days.add(due + 1);
        if (delay === null) days.add(due + 2);
        else days.add(due + delay);
      }
    }
    for (const d of [...days].filter((x) => x >= first && x < last).sort((x, y) => x - y)) {
      const work = books.get(lead)!.fork();
      const ops: CycleOp[] = [];
      const window = { start: at(d, 0), end: at(d, 23) };
      const flows = new Map<string, bigint>();
      const push = (op: CycleOp) => {
        work.apply(op, window, flows);
        ops.push(op);
      };
      // applications: whitelist, originate with the borrower's assent, fund by the syndicate, disburse
      for (const app of plan.month(m).filter((a) => a.day === d && a.loan)) {
        const l = (app as PlannedApplication & { loan: PlannedLoan }).loan;
        const key = seededWallet(opts.seed, `borrower.${app.applicant.index}`, provider);
        const pseudonym = pseudonymOf(secret, app.applicant.identity);
        const id = CYCLE_LOAN_ID_BASE + BigInt(l.loanId);
        const terms = {
          loanId: id,
          pseudonym,
          principal: l.principal,
          annualRateBps: BigInt(l.annualRateBps),
          periods: BigInt(l.periods),
          periodDays: BigInt(PERIOD_DAYS),
          leadFundingBps: BigInt(DEFAULT_SHARES.leadFundingBps),
          leadInterestBps: BigInt(DEFAULT_SHARES.leadInterestBps),
        };
        const syndicate: Syndicate = l.syndicate.map((s) => ({
          account: partnerAccounts[s.partner],
          weight: s.amount,
        }));
        const t = at(d, STAGE_HOUR.applications);
        push({ type: "whitelist", pseudonym, account: key.address, limit: l.limit });
        for (const op of openLoanOps(cfg, terms, signAssent(key.signingKey, cfg, terms), t, syndicate)) push(op);
        const disbursedDay = d;
        followed.push({
          id,
          planned: l,
          dueDays: Array.from({ length: l.periods }, (_, i) => disbursedDay + (i + 1) * PERIOD_DAYS),
          next: 0,
          closed: false,
          defaulted: false,
        });
        report.loans++;
      }
      // reminders, payments, defaults at the per-loan demo's hours and rules
      for (const loan of followed) {
        if (loan.closed || loan.defaulted) continue;
        for (let i = loan.next; i < loan.dueDays.length; i++) {
          const due = loan.dueDays[i];
          if (due - 2 > d) break; // a borrower pays up to two days early
          const delay = loan.planned.repayment.delays[i];
          const model = () => work.loans.get(loan.id)!.model;
          if (
            (delay === null || delay >= 1) &&
            due + 1 === d &&
            model().dues(at(d, STAGE_HOUR.reminders)).amountDue > 0n
          ) {
            push({
              type: "remind",
              loanId: loan.id,
              installment: BigInt(model().cursor),
              at: at(d, STAGE_HOUR.reminders),
            });
            report.reminders++;
          }
          if (delay !== null && delay !== undefined && due + delay === d && loan.next <= i) {
            const t = at(d, STAGE_HOUR.payments);
            const dues = model().dues(t);
            const owed = scheduledPayment(dues);
            const pay = (amount: bigint) => push({ type: "repay", loanId: loan.id, amount, at: t });
            if (i === loan.planned.repayment.payoffAt) pay(dues.payoff);
            else if (owed === 0n) continue;
            else if (loan.planned.repayment.partial[i] && owed > 1n) {
              pay(owed / 2n);
              pay(owed - owed / 2n);
            } else pay(owed);
            report.repayments++;
            loan.next = i + 1;
            if (model().outstanding === 0n || i === loan.planned.repayment.payoffAt || loan.next >= loan.dueDays.length)
              loan.closed = true;
          }
          if (delay === null && due + 2 === d && !loan.defaulted) {
            push({ type: "default", loanId: loan.id, at: at(d, STAGE_HOUR.defaults) });
            loan.defaulted = true;
            report.defaults++;
          }
        }
      }
      if (ops.length === 0) continue;
      const label = `day-${d}`;
      const subject = cycleSubject(cfg.lead, label);
      const assembled: AssembledCycle = assembleCycle(books.get(lead)!, { cycleSubject: subject, ...window, ops });
      const committed = await commitCycle(
        { node: lead, book: books.get(lead)! },
        partners.map((node) => ({ node, book: books.get(node)! })),
        assembled,
      );
      for (const node of [lead, ...partners])
        books.set(node, committed.books.get(node) ?? checkCycle(books.get(node)!, assembled.proposal).book);
      const receipt = await settleCycle(settlement, subject, assembled.proposal, committed);
      const s = assembled.proposal.settlement;
      report.cycles++;
      report.leaves += ops.length + 1;
      report.gas.commit += committed.batches.reduce((sum, b) => sum + b.gasUsed, 0n);
      report.gas.settle += receipt.gasUsed;
      report.settledGross += s.nets.slice(1).reduce((sum, n) => sum + (n < 0n ? -n : n), 0n);
    }
    opts.log(`month ${m + 1}/${opts.months}: ${report.loans} loans, ${report.cycles} cycles committed and settled`);
  }
  for (const loan of followed)
    report.money.set(
      loan.id,
      books
        .get(lead)!
        .loans.get(loan.id)!
        .model.funders.map((f) => ({ ...f })),
    );
  return report;
}

const DAY_N = BigInt(DAY);

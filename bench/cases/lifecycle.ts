import { performance } from "node:perf_hooks";
import { ethers } from "hardhat";
import { MaxUint256, SigningKey, Wallet, keccak256, toUtf8Bytes } from "ethers";
import { deployColend } from "../../clients/deploy";
import { Role } from "../../clients/core/types";
import { LeadBankNode, PartnerBankNode } from "../../clients/lending/bank";
import { BorrowerClient } from "../../clients/lending/borrower";
import { cny } from "../../clients/lending/params";
import { CYCLE_LOAN_ID_BASE } from "../../clients/evidence/cycle";
import { AssembledCycle, assembleCycle, commitCycle, settleCycle } from "../../clients/cycle/cycle";
import {
  CycleBook,
  CycleConfig,
  CycleOp,
  NewLoan,
  agreedFunding,
  cycleSubject,
  openLoanOps,
  signAssent,
} from "../../clients/cycle/model";
import type { CycleSettlement } from "../../typechain-types";
import { benchWallet, fund, latestTimestamp, resetChain, rpc } from "../lib/chain";
import { BenchContext, Measured, Progress } from "../lib/report";

const DAY = 86_400n;
const PERIOD_DAYS = 30n;
/** Installments of the loan whose life is measured (20-period loans, the first 12 repaid). */
export const INSTALLMENTS = 12;

interface Bank {
  wallet: Wallet;
  node: LeadBankNode | PartnerBankNode;
}

/** A fresh consortium of `members` banks with lending, each bank holding settlement money. */
async function consortium(members: number) {
  await resetChain();
  const wallets = Array.from({ length: members }, (_, i) => benchWallet(`lifecycle${members}`, i));
  await fund(wallets.map((w) => w.address));
  const [deployer] = await ethers.getSigners();
  const { ledger, book, lending, cycleSettlement } = await deployColend(
    deployer,
    wallets.map((w, i) => ({
      name: i === 0 ? "W Bank" : `Partner ${i}`,
      role: i === 0 ? Role.LeadBank : Role.PartnerBank,
      signer: w,
      encryptionKey: w.signingKey.compressedPublicKey,
    })),
    // A partner's share of 200,000 loans is far above the default 5 M CNY exposure cap.
    { lending: { partnerExposureCap: cny(10_000_000_000) } },
  );
  const lead = new LeadBankNode("W Bank", wallets[0], book);
  const partners = wallets.slice(1).map((w, i) => new PartnerBankNode(`Partner ${i + 1}`, w, book));
  for (const n of [lead, ...partners]) await n.deposit(cny(1_000_000_000));
  const banks: Bank[] = [lead, ...partners].map((node, i) => ({ wallet: wallets[i], node }));
  const config: CycleConfig = {
    params: lending!.params,
    lead: wallets[0].address.toLowerCase(),
    partners: wallets.slice(1).map((w) => ({ account: w.address.toLowerCase(), weight: 1n })),
    chainId: BigInt(book.chainId),
    ledger: book.ledger,
  };
  return {
    ledger,
    book,
    lending: lending!,
    cycleSettlement: cycleSettlement!,
    lead,
    partners,
    banks,
    config,
    deployer,
  };
}

/** Sum of `gasUsed` of blocks (from, to]. */
async function gasBetween(from: number, to: number): Promise<bigint> {
  let total = 0n;
  for (let n = from + 1; n <= to; n++) {
    const b = await rpc<{ gasUsed: string }>("eth_getBlockByNumber", ["0x" + n.toString(16), false]);
    total += BigInt(b.gasUsed);
  }
  return total;
}

/** Moves the chain's clock: mines an empty block at `time`. */
async function mineAt(time: bigint): Promise<void> {
  await rpc("evm_setNextBlockTimestamp", [Number(time)]);
  await rpc("evm_mine");
}

const blockNumber = async () => Number(await rpc<string>("eth_blockNumber"));

function loanTerms(i: number, pseudonym: string, loanId: bigint): NewLoan {
  return {
    loanId,
    pseudonym,
    principal: cny(3_000 + (i % 17) * 1_000) + BigInt(i % 101),
    annualRateBps: 1_200n + BigInt(i % 7) * 100n,
    periods: 20n,
    periodDays: PERIOD_DAYS,
    leadFundingBps: 2_000n,
    leadInterestBps: 3_000n,
  };
}

function pseudonymOf(i: number): string {
  return keccak256(toUtf8Bytes(`colend.bench.lifecycle.pseudonym.${i}`));
}

function borrowerKey(i: number): SigningKey {
  return new SigningKey(keccak256(toUtf8Bytes(`colend.bench.lifecycle.borrower.${i}`)));
}

/**
 * `loan.lifecycle.per-loan.n7`: the real per-loan flow through the role nodes: whitelisting,
 * origination (4 endorsements), funding by each of the 6 partners at the agreed equal shares,
 * disbursement, then 12 monthly repayments. Gas is summed over the blocks each phase mined
 * (automine: one transaction per block), per loan; a warm-up loan first pays the one-time
 * approvals.
 */
export async function lifecyclePerLoan(ctx: BenchContext, opts: { members: number; loans: number }): Promise<Measured> {
  const name = `loan.lifecycle.per-loan.n${opts.members}`;
  const c = await consortium(opts.members);
  const borrowers = Array.from({ length: opts.loans + 1 }, (_, i) => benchWallet("lifecycle-borrower", i));
  await fund(borrowers.map((b) => b.address));
  const phases = { whitelist: 0n, originate: 0n, fund: 0n, disburse: 0n, repay: 0n };
  const progress = new Progress(ctx, name, opts.loans * (4 + INSTALLMENTS));
  const t0 = performance.now();
  for (let i = 0; i <= opts.loans; i++) {
    const measured = i > 0; // loan 0 warms up approvals
    const b = borrowers[i];
    const p = pseudonymOf(i);
    let at = await blockNumber();
    const step = async (phase: keyof typeof phases) => {
      const now = await blockNumber();
      if (measured) phases[phase] += await gasBetween(at, now);
      at = now;
      if (measured) progress.tick(1);
    };
    await c.lead.admit({ pseudonym: p, account: b.address, score: 850, requestedLimit: cny(100_000) }, c.partners);
    await step("whitelist");
    await c.lead.connectBorrower(new BorrowerClient(b, c.book)); // the borrower signs its assent off chain
    const t = loanTerms(i, p, 0n);
    const o = await c.lead.originate({ ...t, periods: 20 }, c.partners);
    await step("originate");
    // each partner funds its agreed share (the same split the batched path uses)
    const shares = agreedFunding(c.config, t.principal, t.leadFundingBps).slice(1);
    for (const [j, partner] of c.partners.entries()) await partner.commitFunding(o.loanId, shares[j].amount);
    await step("fund");
    await c.lead.disburse(o.loanId);
    await step("disburse");
    // the borrower's money (outside the measured blocks)
    await (await c.lending.token.connect(c.banks[0].wallet).transfer(b.address, o.installment * 20n)).wait();
    await (await c.lending.token.connect(b).approve(await c.lending.loanBook.getAddress(), MaxUint256)).wait();
    at = await blockNumber();
    const book = c.lending.loanBook.connect(b);
    for (let k = 0; k < INSTALLMENTS; k++) {
      const due = (await c.lending.loanBook.schedule(o.loanId))[k].dueDate;
      await rpc("evm_setNextBlockTimestamp", [Number(due)]);
      await (await book.repay(o.loanId, o.installment)).wait();
      await step("repay");
    }
  }
  const ms = performance.now() - t0;
  const total = Object.values(phases).reduce((s, g) => s + g, 0n);
  const per = (g: bigint) => Math.round(Number(g) / opts.loans);
  return {
    name,
    members: opts.members,
    records: opts.loans,
    gasPerRecord: Number(total) / opts.loans,
    recordsPerSecond: opts.loans / (ms / 1000),
    installments: INSTALLMENTS,
    gasPerLoanByPhase: {
      whitelist: per(phases.whitelist),
      originate: per(phases.originate),
      fund: per(phases.fund),
      disburse: per(phases.disburse),
      repayEach: Math.round(Number(phases.repay) / opts.loans / INSTALLMENTS),
    },
    timing: "role nodes end to end with automine (endorsements, transactions, mining)",
  };
}

interface CycleRun {
  assembleMs: number;
  commitMs: number;
  settleMs: number;
  gas: bigint;
  leaves: number;
}

/** One cycle end to end: assemble (lead), check and sign (quorum of partners), commit, settle. */
async function runCycle(
  c: Awaited<ReturnType<typeof consortium>>,
  settlement: CycleSettlement,
  books: CycleBook[],
  cycle: { cycleSubject: string; start: bigint; end: bigint; ops: CycleOp[] },
  threads = 0,
): Promise<CycleRun & { books: CycleBook[] }> {
  const t0 = performance.now();
  const assembled: AssembledCycle = assembleCycle(books[0], cycle);
  const t1 = performance.now();
  const before = await blockNumber();
  const committed = await commitCycle(
    { node: c.lead, book: books[0] },
    c.partners.map((node, i) => ({ node, book: books[i + 1] })),
    assembled,
    { threads },
  );
  const t2 = performance.now();
  await settleCycle(settlement.connect(c.banks[0].wallet), cycle.cycleSubject, assembled.proposal, committed);
  const t3 = performance.now();
  const gas = await gasBetween(before, await blockNumber());
  // every node that endorsed adopts the new state; the others (not asked) replay it too
  const next = books.map((b, i) => {
    const node = i === 0 ? c.lead : c.partners[i - 1];
    return committed.books.get(node) ?? assembled.replayed.book;
  });
  return {
    assembleMs: t1 - t0,
    commitMs: t2 - t1, // the partners' replay and signatures, then the commit transactions

    settleMs: t3 - t2,
    gas,
    leaves: committed.replayed.trees.reduce((n, t) => n + t.leaves.length, 0),
    books: next,
  };
}

/** The consortium's `CycleSettlement` (deployed by `deployColend`), approved by every bank. */
async function approvedSettlement(c: Awaited<ReturnType<typeof consortium>>): Promise<CycleSettlement> {
  const s = c.cycleSettlement;
  for (const b of c.banks)
    await (await c.lending.token.connect(b.wallet).approve(await s.getAddress(), MaxUint256)).wait();
  return s;
}

function openingOps(config: CycleConfig, from: number, count: number, at: bigint, progress?: Progress): CycleOp[] {
  const ops: CycleOp[] = [];
  for (let i = from; i < from + count; i++) {
    const key = borrowerKey(i);
    const p = pseudonymOf(i);
    const t = loanTerms(i, p, CYCLE_LOAN_ID_BASE + BigInt(i + 1));
    ops.push({ type: "whitelist", pseudonym: p, account: new Wallet(key).address, limit: cny(100_000) });
    ops.push(...openLoanOps(config, t, signAssent(key, config, t), at));
    progress?.tick(1);
  }
  return ops;
}

/**
 * `loan.lifecycle.batched.n7`: `loans` loans opened in one cycle (whitelisting, origination with
 * the borrower's assent, funding at the agreed shares, disbursement) and repaid in 12 monthly
 * cycles; every cycle is assembled by the lead, replayed and signed by a quorum of partners,
 * committed with `commitBatch` and settled with one `CycleSettlement.settle`. Gas per loan is
 * all the cycles' gas over the loans.
 */
export async function lifecycleBatched(ctx: BenchContext, opts: { members: number; loans: number }): Promise<Measured> {
  const name = `loan.lifecycle.batched.n${opts.members}`;
  const c = await consortium(opts.members);
  const settlement = await approvedSettlement(c);
  let books = Array.from({ length: opts.members }, () => new CycleBook(c.config));
  const start = await latestTimestamp();
  const building = new Progress(ctx, `${name} assents`, opts.loans);
  const ops = openingOps(c.config, 0, opts.loans, start + 60n, building);
  const window = (k: number) => ({
    cycleSubject: cycleSubject(c.config.lead, `day-${k}`),
    start: start + BigInt(k) * PERIOD_DAYS * DAY,
    end: start + BigInt(k) * PERIOD_DAYS * DAY + DAY,
  });
  const progress = new Progress(ctx, name, INSTALLMENTS + 1);
  const t0 = performance.now();
  let gas = 0n;
  const runs: CycleRun[] = [];
  for (let k = 0; k <= INSTALLMENTS; k++) {
    const w = window(k);
    const cycleOps: CycleOp[] =
      k === 0
        ? ops
        : [...books[0].loans.values()].map((l) => ({
            type: "repay",
            loanId: l.loanId,
            amount: l.model.installment,
            at: l.model.dueDate(k - 1),
          }));
    if (k > 0) await mineAt(w.start + 3_600n);
    const r = await runCycle(c, settlement, books, { ...w, ops: cycleOps });
    books = r.books;
    gas += r.gas;
    runs.push(r);
    progress.tick(1);
  }
  const ms = performance.now() - t0;
  // every loan paid 12 installments, on every node's book alike
  for (const l of books[0].loans.values()) {
    if (l.model.cursor !== INSTALLMENTS)
      throw new Error(`${name}: loan ${l.loanId} paid ${l.model.cursor} installments`);
  }
  return {
    name,
    members: opts.members,
    records: opts.loans,
    gasPerRecord: Number(gas) / opts.loans,
    recordsPerSecond: opts.loans / (ms / 1000),
    installments: INSTALLMENTS,
    cycles: runs.length,
    gasPerCycle: runs.map((r) => Number(r.gas)),
    leavesPerCycle: runs.map((r) => r.leaves),
    timing: "off-chain assembly, replay by a quorum of partners, signing, commit and settle, per cycle",
  };
}

/**
 * `loan.cycle.n7.l{loans}`: one day's cycle of `loans` new loans plus the first repayments of
 * `loans` loans opened a period earlier (set up untimed), assembled by the lead, replayed and
 * signed by a quorum of partner checkers, committed in batches of at most 65,536 leaves and
 * settled. Reports each phase's time and the process's peak memory.
 */
export async function cycleAtScale(
  ctx: BenchContext,
  opts: { members: number; loans: number; threads: number },
): Promise<Measured> {
  const name = `loan.cycle.n${opts.members}.l${opts.loans}`;
  const c = await consortium(opts.members);
  const settlement = await approvedSettlement(c);
  const start = await latestTimestamp();
  const setup = new Progress(ctx, `${name} setup`, 2 * opts.loans);
  const earlier = openingOps(c.config, 0, opts.loans, start + 60n, setup);
  // Set-up cycle: the lead's replay, adopted by every node (its own check is what is timed below).
  const first = assembleCycle(new CycleBook(c.config), {
    cycleSubject: cycleSubject(c.config.lead, "setup"),
    start,
    end: start + DAY,
    ops: earlier,
  });
  const books = Array.from({ length: opts.members }, () => first.replayed.book.fork());
  const due = first.replayed.book.loans.get(CYCLE_LOAN_ID_BASE + 1n)!.model.dueDate(0);
  const today = due - 3_600n;
  const ops: CycleOp[] = openingOps(c.config, opts.loans, opts.loans, today, setup);
  for (const l of first.replayed.book.loans.values()) {
    ops.push({ type: "repay", loanId: l.loanId, amount: l.model.installment, at: l.model.dueDate(0) });
  }
  await mineAt(today);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await runCycle(
    c,
    settlement,
    books,
    {
      cycleSubject: cycleSubject(c.config.lead, "today"),
      start: today,
      end: today + DAY,
      ops,
    },
    opts.threads,
  );
  const ms = performance.now() - t0;
  // the process's CPU over the timed cycle (every thread: main, assent workers, hardhat's chain)
  const cpu = process.cpuUsage(cpu0);
  const cycleCpuMs = (cpu.user + cpu.system) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  ctx.log(
    `${name}: ${r.leaves.toLocaleString("en-US")} leaves, assemble ${(r.assembleMs / 1000).toFixed(1)} s, ` +
      `check+sign+commit ${(r.commitMs / 1000).toFixed(1)} s, settle ${(r.settleMs / 1000).toFixed(1)} s, ` +
      `cycle CPU ${(cycleCpuMs / 1000).toFixed(1)} s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  return {
    name,
    members: opts.members,
    records: 2 * opts.loans,
    gasPerRecord: Number(r.gas) / (2 * opts.loans),
    recordsPerSecond: (2 * opts.loans) / (ms / 1000),
    leaves: r.leaves,
    assembleMs: Math.round(r.assembleMs),
    checkSignCommitMs: Math.round(r.commitMs),
    settleMs: Math.round(r.settleMs),
    totalMs: Math.round(ms),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    cycleCpuMs: Math.round(cycleCpuMs),
    assentThreads: opts.threads,
    cycleGas: Number(r.gas),
    timing:
      "one cycle end to end on one process: lead assembly, quorum partners' replay and signatures (sequential), commit, settle",
  };
}

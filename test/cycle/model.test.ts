import { expect } from "chai";
import { assembleCycle, checkCycle, cycleInclusions } from "../../clients/cycle/cycle";
import {
  CycleBook,
  CycleLoanStatus,
  CycleOp,
  cycleLoanState,
  CycleProposal,
  CycleRuleError,
  agreedFunding,
  cycleSubject,
  loanStateHash,
  openLoanOps,
  signAssent,
} from "../../clients/cycle/model";
import { concat, keccak256, toBeHex, zeroPadValue } from "ethers";
import { verifyInclusion } from "../../clients/ledger/batch";
import { recoverAssents } from "../../clients/cycle/assents";
import { CycleLoanEvidence, cycleLoanEvidence, verifyCycleLoanEvidence } from "../../clients/cycle/evidence";
import { Kind, Subject } from "../../clients/core/types";
import { cycleLoanStateWords, decodeCycleLoanState } from "../../clients/evidence/cycle";
import { LoanModel } from "../../clients/lending/loanModel";
import { cny } from "../../clients/lending/params";
import { DAY, FIRST_LOAN, T0, borrower, offlineConfig, openingOps, terms, testKey } from "./helpers";

const cfg = offlineConfig(4);
const day1 = { cycleSubject: cycleSubject(cfg.lead, "day-1"), start: T0, end: T0 + DAY };

function refusal(book: CycleBook, p: CycleProposal): CycleRuleError {
  try {
    checkCycle(book, p);
  } catch (e) {
    if (e instanceof CycleRuleError) return e;
    throw e;
  }
  throw new Error("the partner endorsed a bad cycle");
}

function withOp(p: CycleProposal, index: number, change: (op: CycleOp) => CycleOp): CycleProposal {
  return { ...p, ops: p.ops.map((op, i) => (i === index ? change(op) : op)) };
}

describe("cycle model: assembler and partner checker", function () {
  it("a partner's replay of an honest cycle gives the lead's leaves, state commitment and settlement", function () {
    const { ops, loans } = openingOps(cfg, 12, T0 + 100n);
    const { proposal, replayed } = assembleCycle(new CycleBook(cfg), { ...day1, ops });
    const partner = checkCycle(new CycleBook(cfg), proposal);
    expect(partner.trees.map((t) => t.root)).to.deep.equal(replayed.trees.map((t) => t.root));
    expect(partner.stateRoot).to.equal(proposal.stateRoot);
    // every op is a leaf, plus the close leaf
    expect(replayed.trees[0].leaves.length).to.equal(ops.length + 1);
    // day one: each partner pays its agreed shares of every loan to the lead; nets balance
    const s = proposal.settlement;
    expect(s.nets.reduce((a, b) => a + b, 0n)).to.equal(0n);
    for (const [i, account] of s.accounts.entries()) {
      if (i === 0) continue;
      const owed = loans.reduce(
        (sum, l) =>
          sum + (agreedFunding(cfg, l.principal, l.leadFundingBps).find((f) => f.account === account)?.amount ?? 0n),
        0n,
      );
      expect(s.nets[i], account).to.equal(-owed);
    }
    const partnersPart = loans.reduce((sum, l) => sum + l.principal - (l.principal * 2_000n) / 10_000n, 0n);
    expect(s.nets[0]).to.equal(partnersPart);
    // every leaf proves into its root
    for (const inc of cycleInclusions(day1.cycleSubject, replayed)) expect(verifyInclusion(inc)).to.equal(true);
  });

  it("commits each loan's state as keccak256 of its 32-byte words (terms, balances, funders)", function () {
    const { ops } = openingOps(cfg, 3, T0 + 100n);
    const { replayed } = assembleCycle(new CycleBook(cfg), { ...day1, ops });
    for (const loan of replayed.book.loans.values()) {
      const m = loan.model;
      const words = [loan.loanId, loan.pseudonym, zeroPadValue(loan.borrower, 32), loan.status, loan.loanClass]
        .concat([m.outstanding, m.cursor, m.cursorPaid, m.overdueInterest, m.surcharge, m.totalRepaid])
        .concat([m.disbursedAt, loan.remindedInstallment, loan.remindedAt, loan.defaultedAt, loan.payoffAtDefault])
        .concat([loan.funding.length])
        .map((w) => (typeof w === "string" ? w : toBeHex(w, 32)));
      for (const f of loan.funding) words.push(zeroPadValue(f.account, 32));
      for (const f of loan.funding) words.push(toBeHex(f.amount, 32));
      for (const f of m.funders) words.push(toBeHex(f.principalReturned, 32));
      for (const f of m.funders) words.push(toBeHex(f.incomeReceived, 32));
      expect(cycleLoanStateWords(cycleLoanState(loan))).to.deep.equal(words);
      expect(decodeCycleLoanState(words)).to.deep.equal(cycleLoanState(loan));
      expect(loanStateHash(loan)).to.equal(keccak256(concat(words)));
      const leaf = replayed.stateTree!.leaves.find((l) => l[0] === Subject.loan(loan.loanId).toLowerCase());
      expect(leaf?.[2]).to.equal(loanStateHash(loan));
    }
  });

  it("splits a cycle into batches of at most chunkSize leaves, the close leaf in the last", function () {
    const { ops } = openingOps(cfg, 5, T0 + 100n); // 20 ops
    const { replayed } = assembleCycle(new CycleBook(cfg), { ...day1, ops, chunkSize: 8 });
    expect(replayed.trees.map((t) => t.leaves.length)).to.deep.equal([8, 8, 5]);
    const exact = assembleCycle(new CycleBook(cfg), { ...day1, ops: ops.slice(0, 16), chunkSize: 8 });
    expect(exact.replayed.trees.map((t) => t.leaves.length)).to.deep.equal([8, 8, 1]);
    expect(() => assembleCycle(new CycleBook(cfg), { ...day1, ops, chunkSize: 1 })).to.throw(/chunk size/);
  });

  it("a later cycle's repayments credit each funder exactly what LoanModel gives, and the nets follow", function () {
    const lead = new CycleBook(cfg);
    const partner = new CycleBook(cfg);
    const { ops, loans } = openingOps(cfg, 6, T0 + 100n);
    const first = assembleCycle(lead, { ...day1, ops });
    const afterPartner = checkCycle(partner, first.proposal).book;
    const afterLead = first.replayed.book;

    const due = T0 + 100n + 30n * DAY;
    const day31 = { cycleSubject: cycleSubject(cfg.lead, "day-31"), start: due - 3_600n, end: due + DAY };
    const repayOps: CycleOp[] = loans.map((l) => ({
      type: "repay",
      loanId: l.loanId,
      amount: afterLead.loans.get(l.loanId)!.model.installment,
      at: due,
    }));
    const second = assembleCycle(afterLead, { ...day31, ops: repayOps });
    const replay = checkCycle(afterPartner, second.proposal);

    // the same loan on its own LoanModel gives the same funders' credits to the unit
    const expected = new Map<string, bigint>();
    for (const l of loans) {
      const m = new LoanModel({ ...l, periods: Number(l.periods) });
      m.disburse(
        T0 + 100n,
        agreedFunding(cfg, l.principal, l.leadFundingBps).map((f) => ({ account: f.account, funded: f.amount })),
      );
      const r = m.repay(m.installment, due);
      for (const [i, f] of m.funders.entries()) {
        expected.set(f.account, (expected.get(f.account) ?? 0n) + r.principalParts[i] + r.incomeParts[i]);
      }
      expect(replay.book.loans.get(l.loanId)!.model.funders).to.deep.equal(m.funders);
    }
    const s = second.proposal.settlement;
    for (const [i, account] of s.accounts.entries())
      if (i > 0) expect(s.nets[i], account).to.equal(expected.get(account));
    expect(s.nets.reduce((a, b) => a + b, 0n)).to.equal(0n);
  });

  describe("a partner refuses a cycle with one bad leaf, naming the leaf and the rule", function () {
    const { ops } = openingOps(cfg, 4, T0 + 100n);
    const honest = assembleCycle(new CycleBook(cfg), { ...day1, ops }).proposal;
    // ops per borrower: whitelist, originate, fund, disburse
    const originate = 5;
    const fund = 6;

    it("over-limit: a drawdown above the borrower's credit limit", function () {
      const bad = withOp(honest, 4, (op) => (op.type === "whitelist" ? { ...op, limit: cny(1_000) } : op));
      const e = refusal(new CycleBook(cfg), bad);
      expect([e.index, e.rule]).to.deep.equal([originate, "limit"]);
      expect(e.message).to.match(/^leaf 5: limit: .*exceeds the credit limit 100000/);
    });

    it("over-limit: a drawdown above the single-drawdown cap", function () {
      const b = borrower(9);
      const t = {
        loanId: FIRST_LOAN + 98n,
        pseudonym: b.pseudonym,
        principal: cny(40_001),
        annualRateBps: 1_200n,
        periods: 10n,
        periodDays: 30n,
        leadFundingBps: 2_000n,
        leadInterestBps: 3_000n,
      };
      const bad: CycleProposal = {
        ...honest,
        ops: [
          { type: "whitelist", pseudonym: b.pseudonym, account: b.account, limit: cny(100_000) },
          { type: "originate", ...t, installment: 0n, assent: signAssent(b.key, cfg, t) },
        ],
      };
      const e = refusal(new CycleBook(cfg), bad);
      expect([e.index, e.rule]).to.deep.equal([1, "limit"]);
    });

    it("wrong share: one unit moved between two partners", function () {
      const bad = withOp(honest, fund, (op) => {
        if (op.type !== "fund") return op;
        const funders = op.funders.map((f) => ({ ...f }));
        funders[1].amount += 1n;
        funders[2].amount -= 1n;
        return { ...op, funders };
      });
      const e = refusal(new CycleBook(cfg), bad);
      expect([e.index, e.rule]).to.deep.equal([fund, "shares"]);
    });

    it("wrong share: a lead funding share below the agreed minimum", function () {
      const bad = withOp(honest, originate, (op) => (op.type === "originate" ? { ...op, leadFundingBps: 500n } : op));
      const e = refusal(new CycleBook(cfg), bad);
      expect([e.index, e.rule]).to.deep.equal([originate, "shares"]);
    });

    it("forged borrower signature: assent signed by another key", function () {
      const bad = withOp(honest, originate, (op) =>
        op.type === "originate" ? { ...op, assent: signAssent(testKey("mallory", 0), cfg, op) } : op,
      );
      const e = refusal(new CycleBook(cfg), bad);
      expect([e.index, e.rule]).to.deep.equal([originate, "assent"]);
    });

    it("forged borrower signature: terms changed after the borrower signed", function () {
      const bad = withOp(honest, originate, (op) =>
        op.type === "originate" ? { ...op, annualRateBps: op.annualRateBps + 100n, installment: 0n } : op,
      );
      const e = refusal(new CycleBook(cfg), bad);
      expect([e.index, e.rule]).to.deep.equal([originate, "schedule"]);
      const sameInstallment = withOp(honest, originate, (op) =>
        op.type === "originate" ? { ...op, leadInterestBps: op.leadInterestBps + 1n } : op,
      );
      const e2 = refusal(new CycleBook(cfg), sameInstallment);
      expect([e2.index, e2.rule]).to.deep.equal([originate, "assent"]);
    });

    it("wrong schedule: an installment that does not follow from the terms", function () {
      const bad = withOp(honest, originate, (op) =>
        op.type === "originate" ? { ...op, installment: op.installment + 1n } : op,
      );
      const e = refusal(new CycleBook(cfg), bad);
      expect([e.index, e.rule]).to.deep.equal([originate, "schedule"]);
    });

    it("wrong state commitment", function () {
      const e = refusal(new CycleBook(cfg), { ...honest, stateRoot: "0x" + "11".repeat(32) });
      expect([e.index, e.rule]).to.deep.equal([ops.length, "state commitment"]);
    });

    it("a net settlement that does not add up", function () {
      const nets = [...honest.settlement.nets];
      nets[2] += 1n;
      const e = refusal(new CycleBook(cfg), { ...honest, settlement: { ...honest.settlement, nets } });
      expect([e.index, e.rule]).to.deep.equal([ops.length, "settlement"]);
      expect(e.message).to.match(/add up to 1, not 0/);
    });

    it("a balanced net settlement that moves one unit from a partner to the lead", function () {
      const nets = [...honest.settlement.nets];
      nets[0] += 1n;
      nets[3] -= 1n;
      const e = refusal(new CycleBook(cfg), { ...honest, settlement: { ...honest.settlement, nets } });
      expect([e.index, e.rule]).to.deep.equal([ops.length, "settlement"]);
      expect(e.message).to.match(/the leaves give/);
    });

    it("a partner's exposure over the cap", function () {
      const tight = offlineConfig(4, { partnerExposureCap: cny(1_000) });
      const { ops: tightOps } = openingOps(tight, 4, T0 + 100n);
      expect(() => assembleCycle(new CycleBook(tight), { ...day1, ops: tightOps })).to.throw(
        CycleRuleError,
        /exposure/,
      );
      const e = refusal(new CycleBook(tight), { ...honest, ops: tightOps });
      expect(e.rule).to.equal("exposure");
      // partner 0 (30% of the partners' 80%) passes 1,000 CNY with the third loan's funding
      expect(e.index).to.equal(2 + 4 * 2);
      expect(tightOps[e.index].type).to.equal("fund");
    });

    it("an operation outside the cycle window, or on an unknown or unfunded loan", function () {
      const late = withOp(honest, 3, (op) => (op.type === "disburse" ? { ...op, at: day1.end + 1n } : op));
      expect(refusal(new CycleBook(cfg), late).rule).to.equal("time");
      const unknown: CycleProposal = {
        ...honest,
        ops: [{ type: "repay", loanId: FIRST_LOAN + 6n, amount: 1n, at: T0 }],
      };
      expect([refusal(new CycleBook(cfg), unknown).index, refusal(new CycleBook(cfg), unknown).rule]).to.deep.equal([
        0,
        "unknown loan",
      ]);
      const early = { ...honest, ops: [...honest.ops.slice(0, 2), honest.ops[3]] };
      expect(refusal(new CycleBook(cfg), early).rule).to.equal("state");
    });

    it("reminders and classifications must follow the schedule", function () {
      const lead = new CycleBook(cfg);
      const book = assembleCycle(lead, { ...day1, ops }).replayed.book;
      const at = T0 + 100n + 40n * DAY; // 10 days after the first due date, nothing paid
      const window = { cycleSubject: cycleSubject(cfg.lead, "day-41"), start: at - DAY, end: at + DAY };
      const good = assembleCycle(book, {
        ...window,
        ops: [
          { type: "remind", loanId: FIRST_LOAN, installment: 0n, at },
          { type: "classify", loanId: FIRST_LOAN, loanClass: 1, at },
        ],
      });
      expect(checkCycle(book, good.proposal).book.loans.get(FIRST_LOAN)!.loanClass).to.equal(1);
      const wrongClass = withOp(good.proposal, 1, (op) => (op.type === "classify" ? { ...op, loanClass: 2 } : op));
      expect([refusal(book, wrongClass).index, refusal(book, wrongClass).rule]).to.deep.equal([1, "classification"]);
      const early: CycleProposal = {
        ...good.proposal,
        start: T0,
        ops: [{ type: "remind", loanId: FIRST_LOAN, installment: 0n, at: T0 + 2n * DAY }],
      };
      expect(refusal(book, early).rule).to.equal("schedule");
      const overpaid: CycleProposal = {
        ...good.proposal,
        ops: [{ type: "repay", loanId: FIRST_LOAN, amount: cny(1_000_000), at }],
      };
      expect(refusal(book, overpaid).rule).to.equal("amount");
    });

    it("a default needs an unanswered reminder and the reminder window; after it the loan takes no operation", function () {
      const book = assembleCycle(new CycleBook(cfg), { ...day1, ops }).replayed.book;
      const at = T0 + 100n + 40n * DAY; // 10 days after the first due date, nothing paid
      const win = (label: string, t: bigint) => ({
        cycleSubject: cycleSubject(cfg.lead, label),
        start: t - DAY,
        end: t + DAY,
      });
      const unreminded = { ...win("d", at), ops: [{ type: "default" as const, loanId: FIRST_LOAN, at }] };
      expect(() => assembleCycle(book, unreminded)).to.throw(
        CycleRuleError,
        /leaf 0: schedule: .*no unanswered reminder/,
      );
      const reminded = assembleCycle(book, {
        ...win("r", at),
        ops: [{ type: "remind", loanId: FIRST_LOAN, installment: 0n, at }],
      }).replayed.book;
      const window = BigInt(cfg.params.reminderWindow);
      const early = { ...win("e", at), ops: [{ type: "default" as const, loanId: FIRST_LOAN, at: at + window - 1n }] };
      expect(() => assembleCycle(reminded, early)).to.throw(
        CycleRuleError,
        /leaf 0: time: .*before the reminder window/,
      );
      const good = assembleCycle(reminded, {
        ...win("g", at + window),
        ops: [{ type: "default", loanId: FIRST_LOAN, at: at + window }],
      });
      const loan = checkCycle(reminded, good.proposal).book.loans.get(FIRST_LOAN)!;
      expect([loan.status, loan.defaultedAt]).to.deep.equal([CycleLoanStatus.Defaulted, at + window]);
      expect(loan.payoffAtDefault).to.equal(loan.model.dues(at + window).payoff);
      // the default is final on this path: no repayment, reminder, class or second default follows
      const after = good.replayed.book;
      const t = at + window + DAY;
      for (const op of [
        { type: "repay" as const, loanId: FIRST_LOAN, amount: 1n, at: t },
        { type: "remind" as const, loanId: FIRST_LOAN, installment: 0n, at: t },
        { type: "classify" as const, loanId: FIRST_LOAN, loanClass: 1, at: t },
        { type: "default" as const, loanId: FIRST_LOAN, at: t },
      ]) {
        expect(() => assembleCycle(after, { ...win("x", t), ops: [op] }), op.type).to.throw(
          CycleRuleError,
          /leaf 0: state:/,
        );
      }
      // a paid installment answers the reminder: no default
      const paid: { cycleSubject: string; start: bigint; end: bigint; ops: CycleOp[] } = {
        ...win("p", at + window),
        ops: [
          {
            type: "repay",
            loanId: FIRST_LOAN,
            amount: reminded.loans.get(FIRST_LOAN)!.model.dues(at + window).amountDue,
            at: at + window,
          },
          { type: "default", loanId: FIRST_LOAN, at: at + window },
        ],
      };
      expect(() => assembleCycle(reminded, paid)).to.throw(
        CycleRuleError,
        /leaf 1: schedule: .*no unanswered reminder/,
      );
    });

    it("a loan's own syndicate: funded by its partners at its weights, checked like the agreed shares", function () {
      const b = borrower(20);
      const t = terms(FIRST_LOAN + 20n, b);
      const syndicate = [
        { account: cfg.partners[2].account, weight: 7n },
        { account: cfg.partners[0].account, weight: 3n },
      ];
      const whitelist: CycleOp = { type: "whitelist", pseudonym: b.pseudonym, account: b.account, limit: cny(100_000) };
      const ops = [whitelist, ...openLoanOps(cfg, t, signAssent(b.key, cfg, t), T0 + 100n, syndicate)];
      const good = assembleCycle(new CycleBook(cfg), { ...day1, ops });
      const loan = checkCycle(new CycleBook(cfg), good.proposal).book.loans.get(t.loanId)!;
      const partnersPart = t.principal - (t.principal * t.leadFundingBps) / 10_000n;
      expect(loan.funding.map((f) => f.account)).to.deep.equal([cfg.lead, syndicate[0].account, syndicate[1].account]);
      expect(loan.funding[1].amount + loan.funding[2].amount).to.equal(partnersPart);
      // 7 : 3, the remainder unit to one of them
      expect(loan.funding[1].amount - (partnersPart * 7n) / 10n).to.be.oneOf([0n, 1n]);
      // the nets follow the syndicate: partners outside it move nothing
      expect(good.proposal.settlement.nets.slice(1).filter((n) => n !== 0n)).to.have.length(2);
      const fundIndex = 2;
      const withFund = (f: (op: Extract<CycleOp, { type: "fund" }>) => CycleOp): CycleProposal =>
        withOp(good.proposal, fundIndex, (op) => (op.type === "fund" ? f(op) : op));
      const moved = withFund((op) => ({
        ...op,
        funders: op.funders.map((f, i) => ({ ...f, amount: f.amount + (i === 1 ? 1n : i === 2 ? -1n : 0n) })),
      }));
      const outsider = "0x" + "ab".repeat(20);
      const cases: [CycleProposal, RegExp][] = [
        [moved, /funder 1 .* the syndicate's weights give/],
        [withFund((op) => ({ ...op, syndicate: [...syndicate, { account: outsider, weight: 1n }] })), /not a partner/],
        [withFund((op) => ({ ...op, syndicate: [syndicate[0], syndicate[0]] })), /appears twice/],
        [
          withFund((op) => ({ ...op, syndicate: [{ ...syndicate[0], weight: 0n }, syndicate[1]] })),
          /no positive weight/,
        ],
        [withFund((op) => ({ ...op, syndicate: [] })), /1 to 4 partners/],
        // the agreed shares' amounts under a syndicate, and the syndicate's amounts without it
        [
          withFund((op) => ({ ...op, funders: agreedFunding(cfg, t.principal, t.leadFundingBps) })),
          /syndicate's weights/,
        ],
        [withFund((op) => ({ ...op, syndicate: undefined })), /the agreed shares give/],
      ];
      for (const [proposal, message] of cases) {
        const e = refusal(new CycleBook(cfg), proposal);
        expect([e.index, e.rule], String(message)).to.deep.equal([fundIndex, "shares"]);
        expect(e.message).to.match(message);
      }
    });

    it("a batched-path loan id is at least 2^64, clear of the loan book's ids", function () {
      const { ops: low } = openingOps(cfg, 1, T0 + 100n, 5n);
      expect(() => assembleCycle(new CycleBook(cfg), { ...day1, ops: low })).to.throw(
        CycleRuleError,
        /leaf 1: loan id: /,
      );
    });
  });
});

describe("cycle model: assents recovered on worker threads", function () {
  it("gives the same signers as the replay, and a forged or malformed assent is still refused", async function () {
    const { ops } = openingOps(cfg, 12, T0 + 100n);
    const forged = 4 * 3 + 1; // the fourth loan's origination
    const malformed = 4 * 7 + 1;
    const bad = ops.map((op, i) => {
      if (op.type !== "originate") return op;
      if (i === forged) return { ...op, assent: signAssent(testKey("mallory", 1), cfg, op) };
      if (i === malformed) return { ...op, assent: "0x1234" };
      return op;
    });
    const threaded = await recoverAssents(cfg, bad, 2, 1);
    const inline = await recoverAssents(cfg, bad, 0);
    expect(threaded.size).to.equal(12);
    expect([...threaded]).to.deep.equal([...inline]);
    expect(threaded.get(5)).to.equal(borrower(1).account);
    expect(threaded.get(malformed)).to.equal("");
    const honest = assembleCycle(new CycleBook(cfg), { ...day1, ops }).proposal;
    expect(checkCycle(new CycleBook(cfg), honest, await recoverAssents(cfg, ops, 2, 1)).stateRoot).to.equal(
      honest.stateRoot,
    );
    const e1 = refusalWith(new CycleBook(cfg), { ...honest, ops: bad }, threaded);
    expect([e1.index, e1.rule]).to.deep.equal([forged, "assent"]);
    const onlyMalformed = ops.map((op, i) =>
      i === malformed && op.type === "originate" ? { ...op, assent: "0x12" } : op,
    );
    const e2 = refusalWith(
      new CycleBook(cfg),
      { ...honest, ops: onlyMalformed },
      await recoverAssents(cfg, onlyMalformed, 2, 1),
    );
    expect([e2.index, e2.rule]).to.deep.equal([malformed, "assent"]);
    expect(e2.message).to.match(/malformed/);
  });
});

function refusalWith(book: CycleBook, p: CycleProposal, signers: Map<number, string>): CycleRuleError {
  try {
    checkCycle(book, p, signers);
  } catch (e) {
    if (e instanceof CycleRuleError) return e;
    throw e;
  }
  throw new Error("the partner endorsed a bad cycle");
}

describe("cycle evidence: a loan's leaves, close leaf and state, verified offline", function () {
  const { ops } = openingOps(cfg, 5, T0 + 100n);
  const { replayed } = assembleCycle(new CycleBook(cfg), { ...day1, ops, chunkSize: 8 });
  const roots = new Set(replayed.trees.map((t) => t.root));

  it("verifies, and names each tamper", function () {
    const e = cycleLoanEvidence(day1.cycleSubject, replayed, FIRST_LOAN + 2n);
    expect(e.leaves.map((l) => l.leaf[1])).to.deep.equal([
      Kind.CycleOrigination,
      Kind.CycleFunding,
      Kind.CycleDisbursement,
    ]);
    expect(verifyCycleLoanEvidence(e, roots)).to.deep.equal([]);
    const flip = (h: string) => h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");
    const tampered = (f: (x: CycleLoanEvidence) => void) => {
      const x = structuredClone(e);
      f(x);
      return verifyCycleLoanEvidence(x, roots);
    };
    expect(tampered((x) => (x.leaves[1].leaf[3] = flip(x.leaves[1].leaf[3])))).to.include(
      "leaf 1: inclusion proof does not reach its root",
    );
    expect(tampered((x) => (x.leaves[0].proof[0] = flip(x.leaves[0].proof[0])))).to.include(
      "leaf 0: inclusion proof does not reach its root",
    );
    expect(tampered((x) => (x.close.leaf[3] = flip(x.close.leaf[3])))).to.include(
      "close leaf: inclusion proof does not reach its root",
    );
    expect(tampered((x) => (x.state.leaf[2] = flip(x.state.leaf[2])))).to.include(
      "state: the loan's state does not prove into the state root",
    );
    expect(tampered((x) => x.leaves.pop())).to.include("state: differs from the state after the loan's last operation");
    expect(verifyCycleLoanEvidence(e, new Set([replayed.trees[0].root]))[0]).to.match(/was not committed/);
    const other = cycleLoanEvidence(day1.cycleSubject, replayed, FIRST_LOAN + 3n);
    expect(tampered((x) => (x.state = other.state))).to.include("state: not this loan's state leaf");
    // the state's words must hash to the state leaf and be this loan's
    expect(tampered((x) => (x.state.words[5] = flip(x.state.words[5])))).to.include(
      "state: the words do not hash to the state leaf",
    );
    expect(tampered((x) => (x.state.words = other.state.words))).to.include(
      `state: the words are loan ${FIRST_LOAN + 3n}'s`,
    );
    expect(tampered((x) => x.state.words.pop())).to.satisfy((p: string[]) =>
      p.some((m) => /^state: \d+ words do not hold \d+ funders/.test(m)),
    );
    expect(() => cycleLoanEvidence(day1.cycleSubject, replayed, 99n)).to.throw(/no leaf/);
  });
});

import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import { keccak256, toUtf8Bytes } from "ethers";
import type { Signer } from "ethers";
import { membershipChangeData, packSignatures, signMembershipChange } from "../../clients/core/records";
import { LoanStatus, MembershipAction, Role } from "../../clients/core/types";
import { BorrowerClient, LeadBankNode, PartnerBankNode, cny, deployLending } from "../../clients/lending";
import { deployArbitration, installCaseReviewers, openCase } from "../../clients/arbitration";
import {
  Actor,
  byAddress,
  deadlineIn,
  deployLedgerFixture,
  encryptionKeyFor,
  endorseRecord,
  issuedAtFor,
  makeRecord,
  testSubject,
  fixtureAddressBook,
} from "../helpers/consortium";
import { BANK_FLOAT, LendingFixture, admit, openLoan, standardTerms } from "../lending/fixtures";
import { throughCollection } from "../arbitration/defaultedLoan";

/**
 * Stateful model-based test (fast-check commands) of membership, the ledger and the loan book
 * together, with the real lending modules and court: random sequences of bank admissions and
 * removals (by a majority, and tried by a minority), records, loans (originated, funded,
 * disbursed), repayments, defaults, cases and awards, claims, and thefts tried by accounts that
 * own nothing. After every step:
 * - no minority ever changed membership (the epoch and the banks move only on majority steps);
 * - the quorum is more than half of the other banks;
 * - every unit is accounted for: the token's supply is the sum of every holder's balance, the loan
 *   book holds exactly the escrow, the claimable balances and the units waiting in open loans, and
 *   each loan's borrower paid what its funders were credited (up to those waiting units, fewer
 *   than two per funder, none once the loan is settled);
 * - no account moved money it does not own (the thefts revert and change no balance).
 */
const DAY = 86_400n;
const MAX_BANKS = 8; // the four partner nodes reach the quorum of up to 8 banks
const MAX_LOANS = 4;

async function modelFixture() {
  const base = await deployLedgerFixture({ banks: 5, outsiders: 10 });
  const lending = await deployLending(base.deployer, base.ledger);
  const arbitration = await deployArbitration(base.deployer, base.ledger, lending.addresses.loanBook);
  await (await base.ledger.sealGenesis()).wait();
  const book = await fixtureAddressBook(base, { ...lending.addresses, court: arbitration.address });
  const lead = new LeadBankNode("W Bank", base.leadBank, book);
  const partnerNodes = base.partners.map((p, i) => new PartnerBankNode(`Partner ${i + 1}`, p, book));
  for (const node of [lead, ...partnerNodes]) {
    await node.deposit(BANK_FLOAT);
    installCaseReviewers(node);
  }
  const [payee, ...rest] = base.outsiders;
  const borrowers = rest.slice(0, 3);
  const candidates = rest.slice(3);
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
    borrowers,
    payee,
  };
  const pseudonyms = [];
  for (let i = 0; i < borrowers.length; i++) pseudonyms.push(await admit(fx, i));
  // One loan is running from the start, so repayments, defaults and cases have something to act on.
  const { loanId: firstLoan } = await openLoan(fx, standardTerms(pseudonyms[0]));
  const holders = [base.deployer, ...base.banks, ...base.arbitrators, ...base.regulators, ...base.outsiders].map(
    (a) => a.address,
  );
  holders.push(...Object.values(lending.addresses), arbitration.address);
  return { fx, court: arbitration.court, pseudonyms, candidates, holders, firstLoan };
}

type Fixture = Awaited<ReturnType<typeof modelFixture>>;

interface Model {
  banks: Actor[];
  /** Banks the model admitted (only those are removed, so the lending nodes keep their peers). */
  admitted: Actor[];
  candidates: Actor[];
  epoch: bigint;
  loans: bigint[];
  records: number;
}

interface Real {
  f: Fixture;
}

const majority = (n: number) => Math.floor(n / 2) + 1;
const quorum = (n: number) => Math.floor((n - 1) / 2) + 1;

async function signChange(f: Fixture, change: Change, signers: readonly Signer[]) {
  const issuedAt = BigInt(await time.latest());
  const deadline = issuedAt + 3_600n;
  const epoch = await f.fx.ledger.membershipEpoch();
  const data = membershipChangeData(change.action, change.name, change.encryptionKey);
  const message = {
    action: change.action,
    account: change.account,
    role: change.role,
    data,
    epoch,
    issuedAt,
    deadline,
  };
  const sigs = [];
  for (const s of signers) sigs.push(await signMembershipChange(s, f.fx.domain, message));
  return { epoch, issuedAt, deadline, signatures: packSignatures(sigs) };
}

interface Change {
  action: number;
  account: string;
  role: number;
  name: string;
  encryptionKey: string;
}

async function checkInvariants(m: Model, r: Real): Promise<void> {
  const { ledger, token, loanBook } = r.f.fx;
  // Membership: only the model's majority steps moved it; the quorum is more than half of the others.
  const n = m.banks.length;
  expect(await ledger.votingMemberCount()).to.equal(n);
  expect(await ledger.membershipEpoch()).to.equal(m.epoch);
  const q = Number(await ledger.quorumFor(n));
  expect(q).to.equal(quorum(n));
  expect(2 * q).to.be.greaterThan(n - 1);
  for (const b of m.banks) expect(await ledger.isVotingMember(b.address)).to.equal(true);
  for (const c of m.candidates) expect(await ledger.isVotingMember(c.address)).to.equal(false);

  // Money: the supply is the sum of every holder's balance.
  let sum = 0n;
  for (const h of r.f.holders) sum += await token.balanceOf(h);
  expect(sum).to.equal(await token.totalSupply());
  // The loan book holds exactly what it owes: escrow, claimable, units waiting in open loans.
  let owed = 0n;
  for (const h of r.f.holders) {
    const p = await loanBook.lenderPosition(h);
    owed += p.escrow + p.claimable;
  }
  for (const id of m.loans) {
    const loan = await loanBook.loanInfo(id);
    const funders = await loanBook.fundersOf(id);
    const credited = funders.reduce((s, x) => s + x.principalReturned + x.incomeReceived, 0n);
    const waiting = loan.totalRepaid - credited;
    expect(waiting >= 0n && waiting < 2n * BigInt(funders.length), `loan ${id}: ${waiting} units waiting`).to.equal(
      true,
    );
    if (loan.status === BigInt(LoanStatus.Repaid)) expect(waiting).to.equal(0n);
    owed += waiting;
  }
  expect(await token.balanceOf(await loanBook.getAddress())).to.equal(owed);
}

// ------------------------------------------------------------------------------ membership

class MajorityAdmit implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.candidates.length > 0 && m.banks.length < MAX_BANKS;
  async run(m: Model, r: Real) {
    const who = m.candidates[this.pick % m.candidates.length];
    const change = {
      action: MembershipAction.Admit,
      account: who.address,
      role: Role.PartnerBank,
      name: "New bank",
      encryptionKey: encryptionKeyFor(who.address),
    };
    const s = await signChange(r.f, change, byAddress(m.banks.slice(0, majority(m.banks.length))));
    await r.f.fx.ledger.connect(m.banks[0]).executeChange(change, s.epoch, s.issuedAt, s.deadline, s.signatures);
    m.candidates = m.candidates.filter((c) => c !== who);
    m.banks.push(who);
    m.admitted.push(who);
    m.epoch += 1n;
    await checkInvariants(m, r);
  }
  toString = () => `majority admits #${this.pick}`;
}

class MajorityRemove implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.admitted.length > 0;
  async run(m: Model, r: Real) {
    const target = m.admitted[this.pick % m.admitted.length];
    const change = {
      action: MembershipAction.Remove,
      account: target.address,
      role: Role.None,
      name: "",
      encryptionKey: "0x",
    };
    const s = await signChange(r.f, change, byAddress(m.banks.slice(0, majority(m.banks.length))));
    await r.f.fx.ledger.connect(m.banks[0]).executeChange(change, s.epoch, s.issuedAt, s.deadline, s.signatures);
    m.banks = m.banks.filter((b) => b !== target);
    m.admitted = m.admitted.filter((b) => b !== target);
    m.epoch += 1n;
    await checkInvariants(m, r);
  }
  toString = () => `majority removes admitted #${this.pick}`;
}

class MinorityChange implements fc.AsyncCommand<Model, Real> {
  constructor(readonly remove: boolean) {}
  check = (m: Readonly<Model>) => (this.remove ? true : m.candidates.length > 0);
  async run(m: Model, r: Real) {
    const victim = m.banks[m.banks.length - 1];
    const change = this.remove
      ? { action: MembershipAction.Remove, account: victim.address, role: Role.None, name: "", encryptionKey: "0x" }
      : {
          action: MembershipAction.Admit,
          account: m.candidates[0].address,
          role: Role.PartnerBank,
          name: "Sybil",
          encryptionKey: encryptionKeyFor(m.candidates[0].address),
        };
    const minority = majority(m.banks.length) - 1;
    const s = await signChange(r.f, change, byAddress(m.banks.slice(0, minority)));
    await expect(r.f.fx.ledger.connect(m.banks[0]).executeChange(change, s.epoch, s.issuedAt, s.deadline, s.signatures))
      .to.be.revertedWithCustomError(r.f.fx.ledger, "MajorityNotMet")
      .withArgs(minority, majority(m.banks.length));
    await checkInvariants(m, r);
  }
  toString = () => `minority tries to ${this.remove ? "remove a bank" : "admit a sybil"}`;
}

class CommitRecord implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const { ledger, domain } = r.f.fx;
    const proposer = m.banks[this.pick % m.banks.length];
    const others = byAddress(m.banks.filter((b) => b !== proposer));
    const q = quorum(m.banks.length);
    const record = makeRecord(testSubject(`property-${m.records}`));
    const deadline = await deadlineIn();
    const short = await endorseRecord(ledger, domain, record, proposer, others.slice(0, q - 1), deadline);
    await expect(ledger.connect(proposer).commit(record, issuedAtFor(deadline), deadline, short))
      .to.be.revertedWithCustomError(ledger, "QuorumNotMet")
      .withArgs(q - 1, q);
    const enough = await endorseRecord(ledger, domain, record, proposer, others.slice(0, q), deadline);
    await expect(ledger.connect(proposer).commit(record, issuedAtFor(deadline), deadline, enough)).to.emit(
      ledger,
      "RecordCommitted",
    );
    m.records += 1;
    await checkInvariants(m, r);
  }
  toString = () => `commits a record (proposer #${this.pick})`;
}

// ------------------------------------------------------------------------------ lending

class OpenLoan implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly borrower: number,
    readonly principal: number,
  ) {}
  check = (m: Readonly<Model>) => m.loans.length < MAX_LOANS;
  async run(m: Model, r: Real) {
    const p = r.f.pseudonyms[this.borrower % r.f.pseudonyms.length];
    if (!(await r.f.fx.registry.canBorrow(p))) {
      // A borrower listed delinquent (a loan of its defaulted) is refused by every partner node:
      // no loan is made and nothing moves.
      const before = await r.f.fx.loanBook.nextLoanId();
      const refused = await openLoan(r.f.fx, standardTerms(p, { principal: cny(this.principal) })).then(
        () => "",
        (err: Error) => err.message,
      );
      expect(refused).to.match(/quorum not reached/);
      expect(await r.f.fx.loanBook.nextLoanId()).to.equal(before);
      await checkInvariants(m, r);
      return;
    }
    const { loanId } = await openLoan(r.f.fx, standardTerms(p, { principal: cny(this.principal) }));
    m.loans.push(loanId);
    expect(await r.f.fx.loanBook.loanStatus(loanId)).to.equal(LoanStatus.Active);
    await checkInvariants(m, r);
  }
  toString = () => `borrower #${this.borrower} borrows ${this.principal} CNY`;
}

/** A loan in `status`, picked by `pick`, or undefined. */
async function loanIn(m: Model, r: Real, pick: number, status: LoanStatus): Promise<bigint | undefined> {
  const ids = [];
  for (const id of m.loans) if ((await r.f.fx.loanBook.loanStatus(id)) === BigInt(status)) ids.push(id);
  return ids.length ? ids[pick % ids.length] : undefined;
}

class Repay implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly permille: number,
  ) {}
  check = (m: Readonly<Model>) => m.loans.length > 0;
  async run(m: Model, r: Real) {
    const { loanBook, borrowers } = r.f.fx;
    const id =
      (await loanIn(m, r, this.pick, LoanStatus.Active)) ?? (await loanIn(m, r, this.pick, LoanStatus.Defaulted));
    if (id === undefined) return;
    const loan = await loanBook.loanInfo(id);
    const borrower = borrowers.find((b) => b.address === loan.borrower)!;
    const payoff = (await loanBook.dues(id)).payoff;
    // The next block is a second later: the payoff may grow by a day's interest, never shrink.
    const amount = this.permille >= 1_000 ? payoff : (payoff * BigInt(this.permille)) / 1_000n || 1n;
    await (await loanBook.connect(borrower).repay(id, amount)).wait();
    await checkInvariants(m, r);
  }
  toString = () => `repays ${this.permille}‰ of a loan's payoff (#${this.pick})`;
}

class Wait implements fc.AsyncCommand<Model, Real> {
  constructor(readonly days: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    await time.increase(BigInt(this.days) * DAY);
    await checkInvariants(m, r);
  }
  toString = () => `${this.days} days pass`;
}

class Default implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.loans.length > 0;
  async run(m: Model, r: Real) {
    const { loanBook, lead, partnerNodes } = r.f.fx;
    const id = await loanIn(m, r, this.pick, LoanStatus.Active);
    if (id === undefined) return;
    const next = (await loanBook.dues(id)).nextDueDate;
    const now = BigInt(await time.latest());
    if (now <= next + DAY) await time.increaseTo(next + DAY + 1n);
    const { remindedAt } = await lead.remind(id, `loan ${id}: an installment is overdue`);
    await time.increaseTo(remindedAt + DAY + 1n);
    await lead.declareDefault(id, partnerNodes);
    expect(await loanBook.loanStatus(id)).to.equal(LoanStatus.Defaulted);
    await checkInvariants(m, r);
  }
  toString = () => `a loan defaults (#${this.pick})`;
}

class CaseAndAward implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.loans.length > 0;
  async run(m: Model, r: Real) {
    const { loanBook, lead, partnerNodes, arbitrator } = r.f.fx;
    const id = await loanIn(m, r, this.pick, LoanStatus.Defaulted);
    if (id === undefined) return;
    // The court takes a case only after the reminder and outsourced collection stages.
    await throughCollection(lead, partnerNodes, id);
    const filed = await openCase({
      bank: lead,
      peers: partnerNodes,
      loanId: id,
      arbitrator: arbitrator.address,
      claim: toUtf8Bytes(`claim on loan ${id}`),
    });
    expect(await loanBook.loanStatus(id)).to.equal(LoanStatus.InArbitration);
    const owed = (await loanBook.dues(id)).payoff;
    await (
      await r.f.court.connect(arbitrator).issueAward(filed.caseId, keccak256(toUtf8Bytes(`award ${id}`)), 1, owed)
    ).wait();
    expect(await loanBook.loanStatus(id)).to.equal(LoanStatus.Awarded);
    await checkInvariants(m, r);
  }
  toString = () => `a case on a defaulted loan ends in an award (#${this.pick})`;
}

class Claim implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const { loanBook, token, banks } = r.f.fx;
    const bank = banks[this.pick % banks.length];
    const { claimable } = await loanBook.lenderPosition(bank.address);
    if (claimable === 0n) {
      await expect(loanBook.connect(bank).claim()).to.be.revertedWithCustomError(loanBook, "NothingToClaim");
    } else {
      const before = await token.balanceOf(bank.address);
      await (await loanBook.connect(bank).claim()).wait();
      expect(await token.balanceOf(bank.address)).to.equal(before + claimable);
    }
    await checkInvariants(m, r);
  }
  toString = () => `bank #${this.pick} claims`;
}

/** Accounts that own nothing there try to take money: each attempt reverts and no balance moves. */
class Theft implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const { token, loanBook, borrowers, banks, payee } = r.f.fx;
    const thief = [payee, ...borrowers][this.pick % (borrowers.length + 1)];
    const victim = banks[this.pick % banks.length];
    const balances = await Promise.all(r.f.holders.map((h) => token.balanceOf(h)));
    await expect(token.connect(thief).transferFrom(victim.address, thief.address, 1n)).to.be.reverted;
    await expect(token.connect(thief).transferFrom(await loanBook.getAddress(), thief.address, 1n)).to.be.reverted;
    await expect(loanBook.connect(thief).claim()).to.be.reverted;
    for (const id of m.loans) {
      await expect(loanBook.connect(thief).withdrawCommitment(id, 1n)).to.be.reverted;
      await expect(loanBook.connect(thief).disburse(id)).to.be.reverted;
    }
    expect(await Promise.all(r.f.holders.map((h) => token.balanceOf(h)))).to.deep.equal(balances);
    await checkInvariants(m, r);
  }
  toString = () => `theft tried by #${this.pick}`;
}

describe("consortium: stateful model of membership, ledger and loan book (fast-check commands)", function () {
  it("keeps membership with the majority, the quorum above half, and every unit accounted for", async function () {
    this.timeout(600_000);
    const commands = [
      fc.nat(20).map((i) => new MajorityAdmit(i)),
      fc.nat(20).map((i) => new MajorityRemove(i)),
      fc.boolean().map((b) => new MinorityChange(b)),
      fc.nat(20).map((i) => new CommitRecord(i)),
      fc.tuple(fc.nat(5), fc.integer({ min: 100, max: 20_000 })).map(([b, p]) => new OpenLoan(b, p)),
      fc.tuple(fc.nat(5), fc.integer({ min: 1, max: 1_000 })).map(([i, p]) => new Repay(i, p)),
      fc.integer({ min: 1, max: 60 }).map((d) => new Wait(d)),
      fc.nat(5).map((i) => new Default(i)),
      fc.nat(5).map((i) => new CaseAndAward(i)),
      fc.nat(10).map((i) => new Claim(i)),
      fc.nat(10).map((i) => new Theft(i)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 12, size: "+1" }), async (cmds) => {
        const f = await loadFixture(modelFixture);
        const model: Model = {
          banks: [...f.fx.banks],
          admitted: [],
          candidates: [...f.candidates],
          epoch: 0n,
          loans: [f.firstLoan],
          records: 0,
        };
        await fc.asyncModelRun(() => ({ model, real: { f } }), cmds);
        if (process.env.MODEL_LOG) console.log(`      ${cmds.toString()}`);
      }),
      { numRuns: 8 },
    );
  });
});

import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { Signer } from "ethers";
import { MembershipAction, Role } from "../../clients/core/types";
import { membershipChangeData, packSignatures, signMembershipChange } from "../../clients/core/records";
import {
  Actor,
  LedgerFixture,
  byAddress,
  deadlineIn,
  encryptionKeyFor,
  endorseRecord,
  issuedAtFor,
  ledgerFixture,
  makeRecord,
  testSubject,
} from "../helpers/consortium";

/**
 * Stateful model-based test (fast-check commands) of membership and the ledger together: random
 * sequences of admissions and removals signed by a majority, the same attempted by a minority
 * or with signatures of an earlier epoch, and records committed with and without a quorum. After
 * every step the model and the chain agree, and:
 * - no minority ever changed membership (the epoch and the member set move only on majority steps);
 * - the quorum is always more than half of the other banks;
 * - a record commits with exactly a quorum and never with one signature fewer.
 */
interface Model {
  banks: Actor[];
  outsiders: Actor[];
  epoch: bigint;
  records: number;
}

interface Real {
  fx: LedgerFixture;
  /** Signatures made for the previous epoch, kept to replay them. */
  stale?: { change: Change; epoch: bigint; issuedAt: bigint; deadline: bigint; signatures: string };
}

interface Change {
  action: number;
  account: string;
  role: number;
  name: string;
  encryptionKey: string;
}

async function sign(fx: LedgerFixture, change: Change, signers: readonly Signer[]) {
  const issuedAt = BigInt(await time.latest());
  const deadline = issuedAt + 3_600n;
  const epoch = await fx.ledger.membershipEpoch();
  const message = {
    action: change.action,
    account: change.account,
    role: change.role,
    data: membershipChangeData(change.action, change.name, change.encryptionKey),
    epoch,
    issuedAt,
    deadline,
  };
  const endorsements = [];
  for (const s of signers) endorsements.push(await signMembershipChange(s, fx.domain, message));
  return { change, epoch, issuedAt, deadline, signatures: packSignatures(endorsements) };
}

const majority = (n: number) => Math.floor(n / 2) + 1;
const quorum = (n: number) => Math.floor((n - 1) / 2) + 1;

async function checkInvariants(m: Model, r: Real): Promise<void> {
  const { ledger } = r.fx;
  const n = m.banks.length;
  expect(await ledger.votingMemberCount()).to.equal(n);
  expect(await ledger.membershipEpoch()).to.equal(m.epoch);
  const q = Number(await ledger.quorumFor(n));
  expect(q).to.equal(quorum(n));
  expect(2 * q).to.be.greaterThan(n - 1); // more than half of the other banks
  for (const b of m.banks) expect(await ledger.isVotingMember(b.address)).to.equal(true);
  for (const o of m.outsiders) expect(await ledger.isVotingMember(o.address)).to.equal(false);
}

class MajorityAdmit implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.outsiders.length > 0;
  async run(m: Model, r: Real) {
    const who = m.outsiders[this.pick % m.outsiders.length];
    const change = {
      action: MembershipAction.Admit,
      account: who.address,
      role: Role.PartnerBank,
      name: "Bank",
      encryptionKey: encryptionKeyFor(who.address),
    };
    const signed = await sign(r.fx, change, byAddress(m.banks.slice(0, majority(m.banks.length))));
    await r.fx.ledger
      .connect(m.banks[0])
      .executeChange(change, signed.epoch, signed.issuedAt, signed.deadline, signed.signatures);
    r.stale = signed;
    m.outsiders = m.outsiders.filter((o) => o !== who);
    m.banks.push(who);
    m.epoch += 1n;
    await checkInvariants(m, r);
  }
  toString = () => `majority admits #${this.pick}`;
}

class MajorityRemove implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.banks.length > 3;
  async run(m: Model, r: Real) {
    const target = m.banks[1 + (this.pick % (m.banks.length - 1))];
    const change = {
      action: MembershipAction.Remove,
      account: target.address,
      role: Role.None,
      name: "",
      encryptionKey: "0x",
    };
    const signers = byAddress(m.banks.slice(0, majority(m.banks.length)));
    const signed = await sign(r.fx, change, signers);
    await r.fx.ledger
      .connect(m.banks[0])
      .executeChange(change, signed.epoch, signed.issuedAt, signed.deadline, signed.signatures);
    r.stale = signed;
    m.banks = m.banks.filter((b) => b !== target);
    m.epoch += 1n;
    await checkInvariants(m, r);
  }
  toString = () => `majority removes #${this.pick}`;
}

class MinorityAdmit implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.outsiders.length > 0;
  async run(m: Model, r: Real) {
    const who = m.outsiders[0];
    const change = {
      action: MembershipAction.Admit,
      account: who.address,
      role: Role.PartnerBank,
      name: "Sybil",
      encryptionKey: encryptionKeyFor(who.address),
    };
    const minority = majority(m.banks.length) - 1;
    const signed = await sign(r.fx, change, byAddress(m.banks.slice(0, minority)));
    await expect(
      r.fx.ledger
        .connect(m.banks[0])
        .executeChange(change, signed.epoch, signed.issuedAt, signed.deadline, signed.signatures),
    )
      .to.be.revertedWithCustomError(r.fx.ledger, "MajorityNotMet")
      .withArgs(minority, majority(m.banks.length));
    await checkInvariants(m, r);
  }
  toString = () => "minority tries to admit";
}

class ReplayStale implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    if (!r.stale) return;
    const s = r.stale;
    await expect(r.fx.ledger.connect(m.banks[0]).executeChange(s.change, s.epoch, s.issuedAt, s.deadline, s.signatures))
      .to.be.revertedWithCustomError(r.fx.ledger, "WrongEpoch")
      .withArgs(s.epoch, m.epoch);
    await checkInvariants(m, r);
  }
  toString = () => "replays signatures of an earlier epoch";
}

class CommitRecord implements fc.AsyncCommand<Model, Real> {
  constructor(readonly proposerPick: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const proposer = m.banks[this.proposerPick % m.banks.length];
    const others = byAddress(m.banks.filter((b) => b !== proposer));
    const q = quorum(m.banks.length);
    const record = makeRecord(testSubject(`model-${m.records}`));
    const deadline = await deadlineIn();
    const short = await endorseRecord(r.fx.ledger, r.fx.domain, record, proposer, others.slice(0, q - 1), deadline);
    await expect(r.fx.ledger.connect(proposer).commit(record, issuedAtFor(deadline), deadline, short))
      .to.be.revertedWithCustomError(r.fx.ledger, "QuorumNotMet")
      .withArgs(q - 1, q);
    const enough = await endorseRecord(r.fx.ledger, r.fx.domain, record, proposer, others.slice(0, q), deadline);
    await expect(r.fx.ledger.connect(proposer).commit(record, issuedAtFor(deadline), deadline, enough)).to.emit(
      r.fx.ledger,
      "RecordCommitted",
    );
    m.records += 1;
    await checkInvariants(m, r);
  }
  toString = () => `commits a record (proposer #${this.proposerPick})`;
}

describe("governance and ledger: stateful model (fast-check commands)", function () {
  const fixture = ledgerFixture({ banks: 4, outsiders: 6 });

  it("keeps membership in the majority's hands and the quorum above half, whatever the sequence", async function () {
    this.timeout(300_000);
    const commands = [
      fc.nat(20).map((i) => new MajorityAdmit(i)),
      fc.nat(20).map((i) => new MajorityRemove(i)),
      fc.constant(new MinorityAdmit()),
      fc.constant(new ReplayStale()),
      fc.nat(20).map((i) => new CommitRecord(i)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 8 }), async (cmds) => {
        const fx = await loadFixture(fixture);
        const model: Model = { banks: [...fx.banks], outsiders: [...fx.outsiders], epoch: 0n, records: 0 };
        await fc.asyncModelRun(() => ({ model, real: { fx } }), cmds);
      }),
      { numRuns: 12 },
    );
  });
});

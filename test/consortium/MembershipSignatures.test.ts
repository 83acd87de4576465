import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { TypedDataEncoder } from "ethers";
import type { Signer } from "ethers";
import { MembershipAction, Role } from "../../clients/core/types";
import {
  MEMBERSHIP_CHANGE_TYPES,
  MembershipChangeMessage,
  membershipChangeData,
  packSignatures,
  signMembershipChange,
} from "../../clients/core/records";
import {
  Actor,
  ChangeState,
  LedgerFixture,
  MembershipHelper,
  byAddress,
  encryptionKeyFor,
  ledgerFixture,
} from "../helpers/consortium";

const { Admit, Remove } = MembershipAction;

interface Change {
  action: number;
  account: string;
  role: number;
  name: string;
  encryptionKey: string;
}

function admission(account: string, name = "Sybil"): Change {
  return { action: Admit, account, role: Role.PartnerBank, name, encryptionKey: encryptionKeyFor(account) };
}

function removal(account: string): Change {
  return { action: Remove, account, role: Role.None, name: "", encryptionKey: "0x" };
}

/** `signers` sign `change` at the ledger's current epoch (or `opts.epoch`), issued at the latest block time. */
async function signChange(
  fx: LedgerFixture,
  change: Change,
  signers: readonly Signer[],
  opts: { epoch?: bigint; issuedAt?: bigint; deadline?: bigint } = {},
): Promise<{ message: MembershipChangeMessage; signatures: string }> {
  const issuedAt = opts.issuedAt ?? BigInt(await time.latest());
  const message: MembershipChangeMessage = {
    action: change.action,
    account: change.account,
    role: change.role,
    data: membershipChangeData(change.action, change.name, change.encryptionKey),
    epoch: opts.epoch ?? (await fx.ledger.membershipEpoch()),
    issuedAt,
    deadline: opts.deadline ?? issuedAt + 3_600n,
  };
  const endorsements = [];
  for (const s of signers) endorsements.push(await signMembershipChange(s, fx.domain, message));
  return { message, signatures: packSignatures(endorsements) };
}

function execute(fx: LedgerFixture, by: Actor, change: Change, m: MembershipChangeMessage, signatures: string) {
  return fx.ledger.connect(by).executeChange(change, m.epoch, m.issuedAt, m.deadline, signatures);
}

describe("Membership by signatures", function () {
  const fixture = ledgerFixture();

  it("computes the digest banks sign exactly as the clients do", async function () {
    const fx = await loadFixture(fixture);
    const change = admission(fx.outsiders[0].address);
    const { message } = await signChange(fx, change, []);
    expect(await fx.ledger.membershipChangeDigest(change, message.epoch, message.issuedAt, message.deadline)).to.equal(
      TypedDataEncoder.hash(fx.domain, MEMBERSHIP_CHANGE_TYPES, message),
    );
  });

  it("admits a member signed by a majority of the banks and emits MembershipChangeExecuted", async function () {
    const fx = await loadFixture(fixture);
    const change = admission(fx.outsiders[0].address, "Signed Bank");
    const signers = byAddress(fx.banks.slice(0, 4)); // 4 of 7: a majority
    const { message, signatures } = await signChange(fx, change, signers);
    const tx = execute(fx, fx.banks[5], change, message, signatures);
    await expect(tx)
      .to.emit(fx.ledger, "MembershipChangeExecuted")
      .withArgs(
        0,
        Admit,
        change.account,
        Role.PartnerBank,
        message.data,
        message.issuedAt,
        message.deadline,
        signatures,
      );
    await expect(tx).to.emit(fx.ledger, "MemberAdmitted");
    expect(await fx.ledger.membershipEpoch()).to.equal(1);
    expect(await fx.ledger.roleOf(change.account)).to.equal(Role.PartnerBank);
    expect(await fx.ledger.admittedAt(change.account)).to.equal(BigInt(await time.latest()));
    expect(await fx.ledger.admittedAt(fx.banks[0].address)).to.equal(0);
  });

  it("rejects a minority's signatures", async function () {
    const fx = await loadFixture(fixture);
    const change = admission(fx.outsiders[0].address);
    const { message, signatures } = await signChange(fx, change, byAddress(fx.banks.slice(0, 3)));
    await expect(execute(fx, fx.banks[0], change, message, signatures))
      .to.be.revertedWithCustomError(fx.ledger, "MajorityNotMet")
      .withArgs(3, 4);
  });

  it("spends signatures once: after the change executes their epoch is gone", async function () {
    const fx = await loadFixture(fixture);
    const change = removal(fx.partners[5].address);
    const { message, signatures } = await signChange(fx, change, byAddress(fx.banks.slice(0, 4)));
    await execute(fx, fx.banks[0], change, message, signatures);
    await expect(execute(fx, fx.banks[0], change, message, signatures))
      .to.be.revertedWithCustomError(fx.ledger, "WrongEpoch")
      .withArgs(0, 1);
  });

  it("rejects signatures over another change, out of order, by a non-bank, or outside their window", async function () {
    const fx = await loadFixture(fixture);
    const change = admission(fx.outsiders[0].address);
    const signers = byAddress(fx.banks.slice(0, 4));
    const other = await signChange(fx, admission(fx.outsiders[1].address), signers);
    await expect(execute(fx, fx.banks[0], change, other.message, other.signatures)).to.be.revertedWithCustomError(
      fx.ledger,
      "UnknownSigner",
    );
    const reversed = await signChange(fx, change, [...signers].reverse());
    const unsorted =
      "0x" +
      reversed.signatures
        .slice(2)
        .match(/.{128}/g)!
        .reverse()
        .join("");
    await expect(execute(fx, fx.banks[0], change, reversed.message, unsorted)).to.be.revertedWithCustomError(
      fx.ledger,
      "SignersNotSorted",
    );
    const mixed = byAddress([...fx.banks.slice(0, 3), fx.arbitrator]);
    const withArbitrator = await signChange(fx, change, mixed);
    await expect(execute(fx, fx.banks[0], change, withArbitrator.message, withArbitrator.signatures))
      .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
      .withArgs(mixed.indexOf(fx.arbitrator), fx.arbitrator.address);
    const now = BigInt(await time.latest());
    const long = await signChange(fx, change, signers, { issuedAt: now, deadline: now + 86_401n });
    await expect(execute(fx, fx.banks[0], change, long.message, long.signatures))
      .to.be.revertedWithCustomError(fx.ledger, "SignatureWindowTooLong")
      .withArgs(now, now + 86_401n, 86_400);
    const stale = await signChange(fx, change, signers, { issuedAt: now - 100n, deadline: now - 1n });
    await expect(execute(fx, fx.banks[0], change, stale.message, stale.signatures)).to.be.revertedWithCustomError(
      fx.ledger,
      "EndorsementExpired",
    );
    await expect(execute(fx, fx.outsider, change, other.message, other.signatures))
      .to.be.revertedWithCustomError(fx.ledger, "NotVotingMember")
      .withArgs(fx.outsider.address);
  });

  it("does not count a signature made before its signer was admitted", async function () {
    const fx = await loadFixture(fixture);
    const before = BigInt(await time.latest());
    const late = fx.outsiders[0];
    await MembershipHelper.from(fx).admit(late.address, Role.PartnerBank, "Late Bank");
    const signers = byAddress([...fx.banks.slice(0, 4), late]); // 5 of 8 banks
    const change = removal(fx.partners[5].address);
    const { message, signatures } = await signChange(fx, change, signers, { issuedAt: before });
    await expect(execute(fx, fx.banks[0], change, message, signatures)).to.be.revertedWithCustomError(
      fx.ledger,
      "SignedBeforeAdmission",
    );
  });

  describe("finding 1: a minority cannot capture governance", function () {
    it("voids a minority's old proposals once the consortium changed, so they never admit sybils", async function () {
      const fx = await loadFixture(ledgerFixture({ banks: 3, outsiders: 8 }));
      const [a, b, c] = fx.banks;
      const helper = new MembershipHelper(fx.ledger, [...fx.banks]);
      const sybils = fx.outsiders.slice(0, 4);
      const ids: bigint[] = [];
      for (const s of sybils) ids.push((await helper.propose(a, Admit, s.address, { role: Role.PartnerBank })).id);
      for (const id of ids) await fx.ledger.connect(b).voteChange(id, false);
      // The consortium grows to 7 banks by honest majority votes.
      for (const honest of fx.outsiders.slice(4, 8)) {
        await helper.admit(honest.address, Role.PartnerBank, "Honest Bank");
        helper.banks.push(honest);
      }
      expect(await fx.ledger.votingMemberCount()).to.equal(7);
      // C now approves A's old proposals: 2 approvals of 7 banks admit nobody.
      for (const id of ids) {
        await expect(fx.ledger.connect(c).voteChange(id, true)).to.emit(fx.ledger, "ChangeRejected").withArgs(id);
        expect((await fx.ledger.changeInfo(id)).state).to.equal(ChangeState.Rejected);
      }
      for (const s of sybils) expect(await fx.ledger.roleOf(s.address)).to.equal(Role.None);
      expect(await fx.ledger.isVotingMember(b.address)).to.equal(true);
    });

    it("voids signatures collected at a smaller consortium", async function () {
      const fx = await loadFixture(ledgerFixture({ banks: 3, outsiders: 8 }));
      const [a, , c] = fx.banks;
      const sybil = fx.outsiders[0];
      const change = admission(sybil.address);
      const { message, signatures } = await signChange(fx, change, byAddress([a, c])); // 2 of 3 then
      const helper = new MembershipHelper(fx.ledger, [...fx.banks]);
      await helper.admit(fx.outsiders[5].address, Role.PartnerBank, "Honest Bank");
      await expect(execute(fx, a, change, message, signatures))
        .to.be.revertedWithCustomError(fx.ledger, "WrongEpoch")
        .withArgs(0, 1);
      expect(await fx.ledger.roleOf(sybil.address)).to.equal(Role.None);
    });
  });
});

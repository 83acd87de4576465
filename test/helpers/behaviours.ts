/**
 * Shared behaviours (OpenZeppelin style): call them inside a `describe` of any suite whose
 * contract gates a function on membership or takes majority endorsements, so every such
 * function is tested against the same attacks.
 *
 *   shouldBehaveLikeMemberGated({ fixture, call, allowed: [Role.LeadBank, Role.PartnerBank] });
 *   shouldBehaveLikeEndorsed({ fixture, prepare, submit });
 */
import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, hexlify } from "ethers";
import type { BaseContract, ContractTransactionResponse, Signer } from "ethers";
import { packSignatures, recoverEndorser } from "../../clients/core/records";
import { ROLE_NAMES, RecordInput, Role } from "../../clients/core/types";
import {
  Actor,
  LedgerFixture,
  MembershipHelper,
  byAddress,
  currentQuorum,
  othersOf,
  signEndorsements,
  issuedAtFor,
} from "./consortium";

/** What the behaviours need from a suite's fixture: the consortium's ledger and actors. */
export type ConsortiumActors = Pick<
  LedgerFixture,
  "ledger" | "domain" | "banks" | "leadBank" | "partners" | "arbitrator" | "regulator" | "outsider"
>;

const MEMBER_ROLES = [Role.LeadBank, Role.PartnerBank, Role.Arbitrator, Role.Regulator] as const;

/** The fixture's representative actor of `role` (the last partner, so the lead stays first). */
export function actorOfRole(fx: ConsortiumActors, role: Role): Actor {
  switch (role) {
    case Role.LeadBank:
      return fx.leadBank;
    case Role.PartnerBank:
      return fx.partners[fx.partners.length - 1];
    case Role.Arbitrator:
      return fx.arbitrator;
    case Role.Regulator:
      return fx.regulator;
    default:
      return fx.outsider;
  }
}

export interface MemberGatedOptions<F extends ConsortiumActors> {
  /** A named fixture function (for `loadFixture`) giving the consortium and the contract under test. */
  fixture: () => Promise<F>;
  /** Sends the gated call as `caller`; everything but the caller must be valid. */
  call: (fx: F, caller: Actor) => Promise<ContractTransactionResponse>;
  /** Roles the gate lets through. */
  allowed: readonly Role[];
  /** Contract whose ABI declares the gate's error (default: the ledger). */
  errorContract?: (fx: F) => BaseContract;
  /** The gate's custom error (default: `NotVotingMember` if only banks pass, else `NotMember`). */
  error?: string;
  /** The error's arguments for `caller` (default: `[caller]`). */
  errorArgs?: (fx: F, caller: Actor) => unknown[];
  /** Also check that each allowed role gets past the gate (default: true). */
  checkAllowed?: boolean;
}

/**
 * A function open only to active members in `allowed` roles: outsiders, members of other roles,
 * and removed members of the allowed roles are all turned away with the same custom error.
 */
export function shouldBehaveLikeMemberGated<F extends ConsortiumActors>(opts: MemberGatedOptions<F>): void {
  const banksOnly = opts.allowed.every((r) => r === Role.LeadBank || r === Role.PartnerBank);
  const error = opts.error ?? (banksOnly ? "NotVotingMember" : "NotMember");
  const expectRejected = async (fx: F, caller: Actor) => {
    const contract = opts.errorContract ? opts.errorContract(fx) : fx.ledger;
    const args = opts.errorArgs ? opts.errorArgs(fx, caller) : [caller.address];
    await expect(opts.call(fx, caller))
      .to.be.revertedWithCustomError(contract, error)
      .withArgs(...args);
  };

  describe("member gate", function () {
    it("rejects an outsider", async function () {
      const fx = await loadFixture(opts.fixture);
      await expectRejected(fx, fx.outsider);
    });

    for (const role of MEMBER_ROLES.filter((r) => !opts.allowed.includes(r))) {
      it(`rejects the ${ROLE_NAMES[role]}`, async function () {
        const fx = await loadFixture(opts.fixture);
        await expectRejected(fx, actorOfRole(fx, role));
      });
    }

    for (const role of opts.allowed) {
      it(`rejects a removed ${ROLE_NAMES[role]}`, async function () {
        const fx = await loadFixture(opts.fixture);
        const member = actorOfRole(fx, role);
        await MembershipHelper.from(fx).remove(member.address);
        await expectRejected(fx, member);
      });
    }

    if (opts.checkAllowed ?? true) {
      for (const role of opts.allowed) {
        it(`lets the ${ROLE_NAMES[role]} through`, async function () {
          const fx = await loadFixture(opts.fixture);
          const contract = opts.errorContract ? opts.errorContract(fx) : fx.ledger;
          await expect(opts.call(fx, actorOfRole(fx, role))).not.to.be.revertedWithCustomError(contract, error);
        });
      }
    }
  });
}

/** One endorsed submission: the record, who proposes it, and what the endorsers signed. */
export interface Endorsed {
  record: RecordInput;
  proposer: Actor;
  issuedAt: bigint;
  deadline: bigint;
  signatures: string;
}

export interface EndorsedOptions<F extends ConsortiumActors> {
  /** A named fixture function (for `loadFixture`). */
  fixture: () => Promise<F>;
  /** The record the function under test will commit (as it will build it), and its proposer. */
  prepare: (fx: F) => Promise<{ record: RecordInput; proposer: Actor }>;
  /** Calls the function under test with these endorsements. */
  submit: (fx: F, endorsed: Endorsed) => Promise<ContractTransactionResponse>;
}

/**
 * A function that commits a record on the strength of endorsement signatures: it needs more than
 * half of the other banks, each signature from a distinct active bank, over exactly this record,
 * before the deadline. Errors come from the ledger.
 */
export function shouldBehaveLikeEndorsed<F extends ConsortiumActors>(opts: EndorsedOptions<F>): void {
  async function setup() {
    const fx = await loadFixture(opts.fixture);
    const { record, proposer } = await opts.prepare(fx);
    const quorum = await currentQuorum(fx.ledger);
    const others = await othersOf(fx, proposer);
    const deadline = BigInt(await time.latest()) + 3_600n;
    const sign = async (signers: readonly Signer[], r: RecordInput = record, d = deadline) =>
      signEndorsements(fx.domain, r, proposer, signers, d);
    const submit = (signatures: string, d = deadline, r: RecordInput = record) =>
      opts.submit(fx, { record: r, proposer, issuedAt: issuedAtFor(d), deadline: d, signatures });
    return { fx, record, proposer, quorum, others, deadline, sign, submit };
  }

  describe("endorsement checks", function () {
    it("commits with exactly a quorum of the other banks", async function () {
      const { fx, record, proposer, quorum, others, sign, submit } = await setup();
      const signatures = packSignatures(await sign(others.slice(0, quorum)));
      await expect(submit(signatures))
        .to.emit(fx.ledger, "RecordCommitted")
        .withArgs(
          record.subject,
          record.kind,
          proposer.address,
          record.contentHash,
          record.attrs,
          record.prev,
          ...anyRest(5),
        );
    });

    it("rejects one endorsement short of quorum", async function () {
      const { fx, quorum, others, sign, submit } = await setup();
      const signatures = packSignatures(await sign(others.slice(0, quorum - 1)));
      await expect(submit(signatures))
        .to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet")
        .withArgs(quorum - 1, quorum);
    });

    it("rejects the proposer's own signature counted as an endorsement", async function () {
      const { fx, proposer, quorum, others, sign, submit } = await setup();
      const signatures = packSignatures(await sign([proposer, ...others.slice(0, quorum - 1)]));
      await expect(submit(signatures))
        .to.be.revertedWithCustomError(fx.ledger, "ProposerCannotEndorse")
        .withArgs(proposer.address);
    });

    for (const who of ["outsider", "arbitrator", "regulator"] as const) {
      it(`rejects a signature from the ${who}`, async function () {
        const { fx, quorum, others, sign, submit } = await setup();
        const stranger = fx[who];
        const signers = byAddress([stranger, ...others.slice(0, quorum - 1)]);
        const signatures = packSignatures(await sign(signers));
        await expect(submit(signatures))
          .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
          .withArgs(signers.indexOf(stranger), stranger.address);
      });
    }

    it("rejects a signature from a removed bank", async function () {
      const { fx, record, proposer, quorum, others } = await setup();
      const removed = others[0];
      await MembershipHelper.from(fx).remove(removed.address);
      const deadline = BigInt(await time.latest()) + 3_600n;
      const signers = byAddress([removed, ...others.slice(1, quorum)]);
      const signatures = packSignatures(await signEndorsements(fx.domain, record, proposer, signers, deadline));
      await expect(opts.submit(fx, { record, proposer, issuedAt: issuedAtFor(deadline), deadline, signatures }))
        .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
        .withArgs(signers.indexOf(removed), removed.address);
    });

    it("rejects signatures out of ascending signer order", async function () {
      const { fx, quorum, others, sign, submit } = await setup();
      const sorted = byAddress(others.slice(0, quorum));
      const endorsements = await sign(sorted);
      [endorsements[0], endorsements[1]] = [endorsements[1], endorsements[0]];
      const signatures = hexlify(concat(endorsements.map((e) => e.signature)));
      await expect(submit(signatures))
        .to.be.revertedWithCustomError(fx.ledger, "SignersNotSorted")
        .withArgs(1, sorted[0].address);
    });

    it("rejects the same endorser's signature twice", async function () {
      const { fx, quorum, others, sign, submit } = await setup();
      const sorted = byAddress(others.slice(0, quorum - 1));
      const endorsements = await sign(sorted);
      const signatures = hexlify(
        concat([...endorsements, endorsements[endorsements.length - 1]].map((e) => e.signature)),
      );
      await expect(submit(signatures))
        .to.be.revertedWithCustomError(fx.ledger, "SignersNotSorted")
        .withArgs(quorum - 1, sorted[sorted.length - 1].address);
    });

    it("rejects signatures over different content", async function () {
      const { fx, record, proposer, quorum, others, deadline, sign, submit } = await setup();
      const signed = { ...record, contentHash: "0x" + "ab".repeat(32) };
      const endorsements = await sign(byAddress(others.slice(0, quorum)), signed);
      const recovered = recoverEndorser(
        fx.domain,
        { ...record, proposer: proposer.address, issuedAt: issuedAtFor(deadline), deadline },
        endorsements[0].signature,
      );
      await expect(submit(packSignatures(endorsements)))
        .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
        .withArgs(0, recovered);
    });

    it("rejects endorsements past their deadline", async function () {
      const { fx, quorum, others, sign, submit } = await setup();
      const deadline = BigInt(await time.latest()) + 60n;
      const signatures = packSignatures(await sign(others.slice(0, quorum), undefined, deadline));
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(submit(signatures, deadline))
        .to.be.revertedWithCustomError(fx.ledger, "EndorsementExpired")
        .withArgs(deadline, deadline + 1n);
    });
  });
}

/** `n` wildcard arguments for `withArgs`. */
function anyRest(n: number): unknown[] {
  return Array.from({ length: n }, () => anyValue);
}

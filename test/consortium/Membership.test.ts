import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, ZeroAddress, keccak256, toUtf8Bytes } from "ethers";
import { evidenceLedgerFactory } from "../../clients/deploy";
import { MembershipAction, Role } from "../../clients/core/types";
import {
  loadLedgerFixture,
  deployTestModule,
  ChangeState,
  LEAD_BANK_NAME,
  LedgerFixture,
  MembershipHelper,
  arbitratorName,
  encryptionKeyFor,
  encryptionWallet,
  founder,
  ledgerFixture,
  partnerName,
  regulatorName,
} from "../helpers/consortium";
import { shouldBehaveLikeMemberGated } from "../helpers/behaviours";

const { Admit, Remove, EnableModule, DisableModule, ChangeRole } = MembershipAction;

/** A deterministic account that is not one of the fixture's actors. */
function stranger(label: string): string {
  return new Wallet(keccak256(toUtf8Bytes(`colend.test.stranger.${label}`))).address;
}

describe("Membership", function () {
  const fixture = ledgerFixture();

  /** The default consortium (7 banks) with a module contract deployed but not enabled. */
  async function withModule() {
    const fx = await loadFixture(fixture);
    const module = await deployTestModule(fx.deployer, fx.ledger);
    return { ...fx, module, moduleAddress: await module.getAddress() };
  }

  /** The default consortium with one open change: partner 1 proposed admitting an outsider. */
  async function openChangeFixture() {
    const fx = await loadFixture(fixture);
    const candidate = fx.outsiders[1];
    const { id } = await MembershipHelper.from(fx).propose(fx.partners[0], Admit, candidate.address, {
      role: Role.PartnerBank,
      name: "Candidate Bank",
    });
    return { ...fx, candidate, id };
  }

  async function deploy(fx: LedgerFixture, founders: ReturnType<typeof founder>[]) {
    return (await evidenceLedgerFactory(fx.deployer)).deploy(founders);
  }

  describe("founding set", function () {
    it("registers each founder with its role, name and encryption key", async function () {
      const { ledger, leadBank, partners, arbitrator, regulator } = await loadFixture(fixture);
      const expected: [string, Role, string][] = [
        [leadBank.address, Role.LeadBank, LEAD_BANK_NAME],
        ...partners.map((p, i): [string, Role, string] => [p.address, Role.PartnerBank, partnerName(i)]),
        [arbitrator.address, Role.Arbitrator, arbitratorName(0)],
        [regulator.address, Role.Regulator, regulatorName(0)],
      ];
      for (const [account, role, name] of expected) {
        expect(await ledger.roleOf(account)).to.equal(role);
        expect(await ledger.nameOf(account)).to.equal(name);
        expect(await ledger.encryptionKeyOf(account)).to.equal(encryptionKeyFor(account));
      }
    });

    it("records each founder's admission sequence number and block", async function () {
      const { ledger, founders } = await loadFixture(fixture);
      const deployBlock = (await ledger.deploymentTransaction()!.wait())!.blockNumber;
      for (const [i, f] of founders.entries()) {
        const m = await ledger.memberInfo(f.account as string);
        expect(m.role).to.equal(f.role);
        expect(m.active).to.equal(true);
        expect(m.admittedSeq).to.equal(i + 1);
        expect(m.admittedBlock).to.equal(deployBlock);
        expect(m.removedSeq).to.equal(0);
        expect(m.removedBlock).to.equal(0);
        expect(m.index).to.equal(i);
      }
    });

    it("registers keys whose private halves are the members' encryption wallets", async function () {
      const { ledger, founders } = await loadFixture(fixture);
      for (const f of founders) {
        const key = await ledger.encryptionKeyOf(f.account as string);
        expect(key).to.have.length(2 + 33 * 2);
        expect(encryptionWallet(f.account as string).signingKey.compressedPublicKey).to.equal(key);
      }
    });

    it("lists every founder in admission order", async function () {
      const { ledger, founders } = await loadFixture(fixture);
      expect(await ledger.allMembers()).to.deep.equal(founders.map((f) => f.account));
    });

    it("counts only the banks as voting members", async function () {
      const { ledger, banks, arbitrator, regulator, outsider } = await loadFixture(fixture);
      expect(await ledger.votingMemberCount()).to.equal(7);
      for (const b of banks) expect(await ledger.isVotingMember(b.address)).to.equal(true);
      for (const a of [arbitrator, regulator, outsider]) expect(await ledger.isVotingMember(a.address)).to.equal(false);
    });

    it("reports no role for an account that is not a member", async function () {
      const { ledger, outsider, deployer } = await loadFixture(fixture);
      expect(await ledger.roleOf(outsider.address)).to.equal(Role.None);
      expect(await ledger.roleOf(deployer.address)).to.equal(Role.None);
      expect((await ledger.memberInfo(outsider.address)).admittedSeq).to.equal(0);
    });

    it("emits MemberAdmitted for every founder with its name, key and sequence number", async function () {
      const { ledger, founders } = await loadFixture(fixture);
      const tx = ledger.deploymentTransaction()!;
      for (const [i, f] of founders.entries()) {
        await expect(tx)
          .to.emit(ledger, "MemberAdmitted")
          .withArgs(f.account, f.role, f.name, f.encryptionKey, i + 1);
      }
    });

    it("makes the deployer the genesis administrator without making it a member", async function () {
      const { ledger, deployer } = await loadFixture(fixture);
      expect(await ledger.genesisAdmin()).to.equal(deployer.address);
      expect(await ledger.isVotingMember(deployer.address)).to.equal(false);
    });

    it("deploys with the minimum of three banks", async function () {
      const fx = await loadFixture(fixture);
      const ledger = await deploy(fx, [
        founder(stranger("a"), Role.LeadBank, "A"),
        founder(stranger("b"), Role.PartnerBank, "B"),
        founder(stranger("c"), Role.PartnerBank, "C"),
      ]);
      expect(await ledger.votingMemberCount()).to.equal(3);
      expect(await ledger.MIN_VOTING_MEMBERS()).to.equal(3);
    });

    it("rejects a consortium of two banks, whatever other members it has", async function () {
      const fx = await loadFixture(fixture);
      const factory = await evidenceLedgerFactory(fx.deployer);
      const founders = [
        founder(stranger("a"), Role.LeadBank, "A"),
        founder(stranger("b"), Role.PartnerBank, "B"),
        founder(stranger("c"), Role.Arbitrator, "C"),
        founder(stranger("d"), Role.Regulator, "D"),
      ];
      await expect(factory.deploy(founders))
        .to.be.revertedWithCustomError(factory, "TooFewVotingMembers")
        .withArgs(2, 3);
    });

    it("rejects a founder without a role", async function () {
      const fx = await loadFixture(fixture);
      const factory = await evidenceLedgerFactory(fx.deployer);
      const founders = [...fx.founders.slice(0, 3), founder(stranger("x"), Role.None, "X")];
      await expect(factory.deploy(founders)).to.be.revertedWithCustomError(factory, "InvalidRole").withArgs(Role.None);
    });

    it("rejects a founder at the zero address", async function () {
      const fx = await loadFixture(fixture);
      const factory = await evidenceLedgerFactory(fx.deployer);
      const founders = [
        ...fx.founders.slice(0, 3),
        { ...founder(stranger("x"), Role.Arbitrator, "X"), account: ZeroAddress },
      ];
      await expect(factory.deploy(founders)).to.be.revertedWithCustomError(factory, "ZeroAddress");
    });

    it("rejects a founder listed twice", async function () {
      const fx = await loadFixture(fixture);
      const factory = await evidenceLedgerFactory(fx.deployer);
      const twice = fx.founders[1];
      await expect(factory.deploy([...fx.founders.slice(0, 3), { ...twice, role: Role.Arbitrator }]))
        .to.be.revertedWithCustomError(factory, "AlreadyMember")
        .withArgs(twice.account);
    });

    it("rejects encryption keys that are not 33-byte compressed points", async function () {
      const fx = await loadFixture(fixture);
      const factory = await evidenceLedgerFactory(fx.deployer);
      const account = stranger("k");
      const uncompressed = encryptionWallet(account).signingKey.publicKey;
      const compressed = encryptionKeyFor(account);
      const cases: [string, number][] = [
        ["0x", 0],
        [compressed.slice(0, -2), 32],
        [uncompressed, 65],
        ["0x04" + compressed.slice(4), 33],
      ];
      for (const [encryptionKey, length] of cases) {
        const bad = { ...founder(account, Role.Arbitrator, "K"), encryptionKey };
        await expect(factory.deploy([...fx.founders.slice(0, 3), bad]))
          .to.be.revertedWithCustomError(factory, "InvalidEncryptionKey")
          .withArgs(length);
      }
    });

    it("rejects more founders than MAX_MEMBERS", async function () {
      const fx = await loadFixture(fixture);
      const factory = await evidenceLedgerFactory(fx.deployer);
      const max = Number(await fx.ledger.MAX_MEMBERS());
      const extra = Array.from({ length: max + 1 - 3 }, (_, i) => founder(stranger(`m${i}`), Role.Arbitrator, `M${i}`));
      await expect(factory.deploy([...fx.founders.slice(0, 3), ...extra]))
        .to.be.revertedWithCustomError(factory, "TooManyMembers")
        .withArgs(max + 1, max);
    });
  });

  describe("genesis", function () {
    it("lets the administrator enable and then disable a module", async function () {
      const { ledger, deployer, moduleAddress } = await withModule();
      await expect(ledger.connect(deployer).setModuleAtGenesis(moduleAddress, true))
        .to.emit(ledger, "ModuleSet")
        .withArgs(moduleAddress, true);
      expect(await ledger.isModule(moduleAddress)).to.equal(true);
      await expect(ledger.connect(deployer).setModuleAtGenesis(moduleAddress, false))
        .to.emit(ledger, "ModuleSet")
        .withArgs(moduleAddress, false);
      expect(await ledger.isModule(moduleAddress)).to.equal(false);
    });

    it("rejects a module change by anyone but the administrator", async function () {
      const { ledger, leadBank, moduleAddress } = await withModule();
      await expect(ledger.connect(leadBank).setModuleAtGenesis(moduleAddress, true))
        .to.be.revertedWithCustomError(ledger, "NotGenesisAdmin")
        .withArgs(leadBank.address);
    });

    it("rejects an account without code as a module", async function () {
      const { ledger, deployer, outsider } = await withModule();
      await expect(ledger.connect(deployer).setModuleAtGenesis(outsider.address, true))
        .to.be.revertedWithCustomError(ledger, "InvalidModule")
        .withArgs(outsider.address);
    });

    it("rejects enabling a module twice and disabling one that is not enabled", async function () {
      const { ledger, deployer, moduleAddress } = await withModule();
      await expect(ledger.connect(deployer).setModuleAtGenesis(moduleAddress, false))
        .to.be.revertedWithCustomError(ledger, "InvalidModule")
        .withArgs(moduleAddress);
      await ledger.connect(deployer).setModuleAtGenesis(moduleAddress, true);
      await expect(ledger.connect(deployer).setModuleAtGenesis(moduleAddress, true))
        .to.be.revertedWithCustomError(ledger, "InvalidModule")
        .withArgs(moduleAddress);
    });

    it("seals the genesis phase and forgets the administrator", async function () {
      const { ledger, deployer } = await loadFixture(fixture);
      await expect(ledger.connect(deployer).sealGenesis()).to.emit(ledger, "GenesisSealed").withArgs(deployer.address);
      expect(await ledger.genesisAdmin()).to.equal(ZeroAddress);
    });

    it("rejects sealing by anyone but the administrator", async function () {
      const { ledger, leadBank } = await loadFixture(fixture);
      await expect(ledger.connect(leadBank).sealGenesis())
        .to.be.revertedWithCustomError(ledger, "NotGenesisAdmin")
        .withArgs(leadBank.address);
    });

    it("rejects sealing twice", async function () {
      const { ledger, deployer, leadBank } = await loadFixture(fixture);
      await ledger.connect(deployer).sealGenesis();
      await expect(ledger.connect(deployer).sealGenesis()).to.be.revertedWithCustomError(
        ledger,
        "GenesisAlreadySealed",
      );
      await expect(ledger.connect(leadBank).sealGenesis()).to.be.revertedWithCustomError(
        ledger,
        "GenesisAlreadySealed",
      );
    });

    it("rejects module changes by the former administrator once sealed", async function () {
      const { ledger, deployer, moduleAddress } = await withModule();
      await ledger.connect(deployer).setModuleAtGenesis(moduleAddress, true);
      await ledger.connect(deployer).sealGenesis();
      await expect(ledger.connect(deployer).setModuleAtGenesis(moduleAddress, false)).to.be.revertedWithCustomError(
        ledger,
        "GenesisAlreadySealed",
      );
      expect(await ledger.isModule(moduleAddress)).to.equal(true);
    });
  });

  describe("proposing a change", function () {
    shouldBehaveLikeMemberGated({
      fixture,
      allowed: [Role.LeadBank, Role.PartnerBank],
      call: (fx, caller) =>
        fx.ledger
          .connect(caller)
          .proposeChange(
            Admit,
            fx.outsiders[1].address,
            Role.PartnerBank,
            "Candidate",
            encryptionKeyFor(fx.outsiders[1].address),
          ),
    });

    it("records the proposal and counts the proposer's approval", async function () {
      const { ledger, partners, outsiders } = await loadFixture(fixture);
      const account = outsiders[1].address;
      const key = encryptionKeyFor(account);
      await expect(ledger.connect(partners[0]).proposeChange(Admit, account, Role.PartnerBank, "Candidate", key))
        .to.emit(ledger, "ChangeProposed")
        .withArgs(1, Admit, account, partners[0].address)
        .and.to.emit(ledger, "ChangeVoted")
        .withArgs(1, partners[0].address, true);
      const c = await ledger.changeInfo(1);
      expect(c.action).to.equal(Admit);
      expect(c.state).to.equal(ChangeState.Open);
      expect(c.role).to.equal(Role.PartnerBank);
      expect(c.epoch).to.equal(0);
      const proposedAt = BigInt(await time.latest());
      expect(c.proposedAt).to.equal(proposedAt);
      expect(c.deadline).to.equal(proposedAt + 7n * 86_400n);
      expect(c.account).to.equal(account);
      expect(c.proposer).to.equal(partners[0].address);
      expect(c.name).to.equal("Candidate");
      expect(c.encryptionKey).to.equal(key);
      expect(c.approvals).to.equal(1);
      expect(c.objections).to.equal(0);
      expect(await ledger.hasVotedOnChange(1, partners[0].address)).to.equal(true);
      expect(await ledger.hasVotedOnChange(1, partners[1].address)).to.equal(false);
      expect(await ledger.changeCount()).to.equal(1);
    });

    it("numbers changes from 1", async function () {
      const { ledger, leadBank, outsiders } = await loadFixture(fixture);
      const helper = MembershipHelper.from({ ledger, banks: [] });
      expect((await helper.propose(leadBank, Admit, outsiders[1].address, { role: Role.Arbitrator })).id).to.equal(1);
      expect((await helper.propose(leadBank, Admit, outsiders[2].address, { role: Role.Arbitrator })).id).to.equal(2);
    });

    it("rejects admitting an active member", async function () {
      const { ledger, leadBank, arbitrator } = await loadFixture(fixture);
      await expect(
        ledger
          .connect(leadBank)
          .proposeChange(Admit, arbitrator.address, Role.PartnerBank, "Again", encryptionKeyFor(arbitrator.address)),
      )
        .to.be.revertedWithCustomError(ledger, "AlreadyMember")
        .withArgs(arbitrator.address);
    });

    it("rejects admitting the zero address", async function () {
      const { ledger, leadBank } = await loadFixture(fixture);
      await expect(
        ledger
          .connect(leadBank)
          .proposeChange(Admit, ZeroAddress, Role.PartnerBank, "Zero", encryptionKeyFor(ZeroAddress)),
      ).to.be.revertedWithCustomError(ledger, "ZeroAddress");
    });

    it("rejects admitting without a role", async function () {
      const { ledger, leadBank, outsider } = await loadFixture(fixture);
      await expect(
        ledger
          .connect(leadBank)
          .proposeChange(Admit, outsider.address, Role.None, "None", encryptionKeyFor(outsider.address)),
      )
        .to.be.revertedWithCustomError(ledger, "InvalidRole")
        .withArgs(Role.None);
    });

    it("rejects a role outside the Role enum", async function () {
      const { ledger, leadBank, outsider } = await loadFixture(fixture);
      await expect(
        ledger.connect(leadBank).proposeChange(Admit, outsider.address, 5, "Five", encryptionKeyFor(outsider.address)),
      ).to.be.reverted;
    });

    it("rejects admitting with a malformed encryption key", async function () {
      const { ledger, leadBank, outsider } = await loadFixture(fixture);
      const key = encryptionKeyFor(outsider.address);
      await expect(
        ledger.connect(leadBank).proposeChange(Admit, outsider.address, Role.PartnerBank, "Short", key.slice(0, -2)),
      )
        .to.be.revertedWithCustomError(ledger, "InvalidEncryptionKey")
        .withArgs(32);
      await expect(
        ledger
          .connect(leadBank)
          .proposeChange(Admit, outsider.address, Role.PartnerBank, "Prefix", "0x05" + key.slice(4)),
      )
        .to.be.revertedWithCustomError(ledger, "InvalidEncryptionKey")
        .withArgs(33);
    });

    it("rejects removing an account that is not a member", async function () {
      const { ledger, leadBank, outsider } = await loadFixture(fixture);
      await expect(ledger.connect(leadBank).proposeChange(Remove, outsider.address, Role.None, "", "0x"))
        .to.be.revertedWithCustomError(ledger, "NotMember")
        .withArgs(outsider.address);
    });

    it("rejects removing the zero address", async function () {
      const { ledger, leadBank } = await loadFixture(fixture);
      await expect(
        ledger.connect(leadBank).proposeChange(Remove, ZeroAddress, Role.None, "", "0x"),
      ).to.be.revertedWithCustomError(ledger, "ZeroAddress");
    });

    it("rejects removing a bank when only three are left", async function () {
      const fx = await loadFixture(ledgerFixture({ banks: 3 }));
      await expect(fx.ledger.connect(fx.leadBank).proposeChange(Remove, fx.partners[0].address, Role.None, "", "0x"))
        .to.be.revertedWithCustomError(fx.ledger, "TooFewVotingMembers")
        .withArgs(2, 3);
    });

    it("still allows removing the arbitrator when only three banks are left", async function () {
      const fx = await loadFixture(ledgerFixture({ banks: 3 }));
      await MembershipHelper.from(fx).remove(fx.arbitrator.address);
      expect(await fx.ledger.roleOf(fx.arbitrator.address)).to.equal(Role.None);
    });

    it("rejects enabling an account without code as a module", async function () {
      const { ledger, leadBank, outsider } = await loadFixture(fixture);
      await expect(ledger.connect(leadBank).proposeChange(EnableModule, outsider.address, Role.None, "", "0x"))
        .to.be.revertedWithCustomError(ledger, "InvalidModule")
        .withArgs(outsider.address);
    });

    it("rejects enabling an enabled module and disabling one that is not enabled", async function () {
      const { ledger, deployer, leadBank, moduleAddress } = await withModule();
      await expect(ledger.connect(leadBank).proposeChange(DisableModule, moduleAddress, Role.None, "", "0x"))
        .to.be.revertedWithCustomError(ledger, "InvalidModule")
        .withArgs(moduleAddress);
      await ledger.connect(deployer).setModuleAtGenesis(moduleAddress, true);
      await expect(ledger.connect(leadBank).proposeChange(EnableModule, moduleAddress, Role.None, "", "0x"))
        .to.be.revertedWithCustomError(ledger, "InvalidModule")
        .withArgs(moduleAddress);
    });

    it("rejects an admission beyond MAX_MEMBERS", async function () {
      const fx = await loadFixture(fixture);
      const max = Number(await fx.ledger.MAX_MEMBERS());
      const banks = fx.banks.slice(0, 3);
      const extra = Array.from({ length: max - 3 }, (_, i) => founder(stranger(`full${i}`), Role.Regulator, `R${i}`));
      const full = await deploy(fx, [...fx.founders.slice(0, 3), ...extra]);
      await expect(
        full
          .connect(banks[0])
          .proposeChange(
            Admit,
            fx.outsider.address,
            Role.Arbitrator,
            "One too many",
            encryptionKeyFor(fx.outsider.address),
          ),
      )
        .to.be.revertedWithCustomError(full, "TooManyMembers")
        .withArgs(max + 1, max);
    });
  });

  describe("voting on a change", function () {
    shouldBehaveLikeMemberGated({
      fixture: openChangeFixture,
      allowed: [Role.LeadBank, Role.PartnerBank],
      call: (fx, caller) => fx.ledger.connect(caller).voteChange(fx.id, true),
    });

    it("admits the member once a majority of the banks approve", async function () {
      const { ledger, partners, leadBank, candidate, id } = await openChangeFixture();
      // 7 banks: the majority is 4 (the proposer and 3 more).
      await expect(ledger.connect(leadBank).voteChange(id, true))
        .to.emit(ledger, "ChangeVoted")
        .withArgs(id, leadBank.address, true);
      await ledger.connect(partners[1]).voteChange(id, true);
      expect((await ledger.changeInfo(id)).state).to.equal(ChangeState.Open);
      expect(await ledger.roleOf(candidate.address)).to.equal(Role.None);

      const key = encryptionKeyFor(candidate.address);
      await expect(ledger.connect(partners[2]).voteChange(id, true))
        .to.emit(ledger, "ChangeExecuted")
        .withArgs(id)
        .and.to.emit(ledger, "MemberAdmitted")
        .withArgs(candidate.address, Role.PartnerBank, "Candidate Bank", key, 10);
      expect((await ledger.changeInfo(id)).state).to.equal(ChangeState.Executed);
      expect(await ledger.roleOf(candidate.address)).to.equal(Role.PartnerBank);
      expect(await ledger.nameOf(candidate.address)).to.equal("Candidate Bank");
      expect(await ledger.encryptionKeyOf(candidate.address)).to.equal(key);
      expect(await ledger.votingMemberCount()).to.equal(8);
      expect((await ledger.allMembers()).at(-1)).to.equal(candidate.address);
    });

    it("removes a member once a majority approve, keeping its history", async function () {
      const { ledger, banks, partners } = await loadFixture(fixture);
      const target = partners[5];
      const { id } = await MembershipHelper.from({ ledger, banks }).propose(banks[0], Remove, target.address);
      await ledger.connect(banks[1]).voteChange(id, true);
      await ledger.connect(banks[2]).voteChange(id, true);
      const tx = ledger.connect(banks[3]).voteChange(id, true);
      await expect(tx).to.emit(ledger, "MemberRemoved").withArgs(target.address, Role.PartnerBank, 10);
      await expect(tx).to.emit(ledger, "ChangeExecuted").withArgs(id);
      const m = await ledger.memberInfo(target.address);
      expect(m.active).to.equal(false);
      expect(m.role).to.equal(Role.PartnerBank);
      expect(m.removedSeq).to.equal(10);
      expect(m.removedBlock).to.equal((await (await tx).wait())!.blockNumber);
      expect(await ledger.roleOf(target.address)).to.equal(Role.None);
      expect(await ledger.isVotingMember(target.address)).to.equal(false);
      expect(await ledger.votingMemberCount()).to.equal(6);
      expect(await ledger.nameOf(target.address)).to.equal(partnerName(5));
      expect(await ledger.allMembers()).to.include(target.address);
    });

    it("removes the arbitrator without changing the voting count", async function () {
      const fx = await loadFixture(fixture);
      await MembershipHelper.from(fx).remove(fx.arbitrator.address);
      expect(await fx.ledger.roleOf(fx.arbitrator.address)).to.equal(Role.None);
      expect(await fx.ledger.votingMemberCount()).to.equal(7);
    });

    it("enables and disables a module by majority", async function () {
      const fx = await withModule();
      const helper = MembershipHelper.from(fx);
      const { id } = await helper.propose(fx.leadBank, EnableModule, fx.moduleAddress);
      await fx.ledger.connect(fx.partners[0]).voteChange(id, true);
      await fx.ledger.connect(fx.partners[1]).voteChange(id, true);
      await expect(fx.ledger.connect(fx.partners[2]).voteChange(id, true))
        .to.emit(fx.ledger, "ModuleSet")
        .withArgs(fx.moduleAddress, true);
      expect(await fx.ledger.isModule(fx.moduleAddress)).to.equal(true);
      await helper.disableModule(fx.moduleAddress);
      expect(await fx.ledger.isModule(fx.moduleAddress)).to.equal(false);
    });

    it("changes modules by majority after genesis is sealed", async function () {
      const fx = await withModule();
      await fx.ledger.connect(fx.deployer).sealGenesis();
      await MembershipHelper.from(fx).enableModule(fx.moduleAddress);
      expect(await fx.ledger.isModule(fx.moduleAddress)).to.equal(true);
    });

    it("rejects the change once objections put the majority out of reach", async function () {
      const { ledger, partners, id } = await openChangeFixture();
      // Majority 4: the proposer plus the 6 others; after 3 objections 3 may still approve.
      for (const p of partners.slice(1, 4)) {
        await expect(ledger.connect(p).voteChange(id, false))
          .to.emit(ledger, "ChangeVoted")
          .withArgs(id, p.address, false);
      }
      expect((await ledger.changeInfo(id)).state).to.equal(ChangeState.Open);
      await expect(ledger.connect(partners[4]).voteChange(id, false)).to.emit(ledger, "ChangeRejected").withArgs(id);
      const c = await ledger.changeInfo(id);
      expect(c.state).to.equal(ChangeState.Rejected);
      expect(c.objections).to.equal(4);
    });

    it("rejects a change overtaken by another change at its next vote", async function () {
      const fx = await openChangeFixture();
      const { ledger, leadBank, partners, id } = fx;
      await ledger.connect(partners[1]).voteChange(id, true);
      // Another change executes: the membership this change was proposed to is gone.
      await MembershipHelper.from(fx).remove(partners[5].address);
      expect(await ledger.membershipEpoch()).to.equal(1);
      await expect(ledger.connect(leadBank).voteChange(id, true)).to.emit(ledger, "ChangeRejected").withArgs(id);
      expect((await ledger.changeInfo(id)).state).to.equal(ChangeState.Rejected);
    });

    it("stops taking votes after the change period and lets anyone expire it", async function () {
      const { ledger, partners, outsider, id } = await openChangeFixture();
      const deadline = (await ledger.changeInfo(id)).deadline;
      await expect(ledger.connect(outsider).expireChange(id))
        .to.be.revertedWithCustomError(ledger, "ChangeStillOpen")
        .withArgs(id, deadline);
      await time.increaseTo(deadline + 1n);
      await expect(ledger.connect(partners[1]).voteChange(id, true))
        .to.be.revertedWithCustomError(ledger, "ChangeExpired")
        .withArgs(id, deadline);
      await expect(ledger.connect(outsider).expireChange(id)).to.emit(ledger, "ChangeRejected").withArgs(id);
      await expect(ledger.connect(outsider).expireChange(id))
        .to.be.revertedWithCustomError(ledger, "ChangeNotOpen")
        .withArgs(id);
    });

    it("rejects a second vote by the same bank, the proposer included", async function () {
      const { ledger, partners, leadBank, id } = await openChangeFixture();
      await ledger.connect(leadBank).voteChange(id, false);
      await expect(ledger.connect(leadBank).voteChange(id, true))
        .to.be.revertedWithCustomError(ledger, "AlreadyVoted")
        .withArgs(id, leadBank.address);
      await expect(ledger.connect(partners[0]).voteChange(id, true))
        .to.be.revertedWithCustomError(ledger, "AlreadyVoted")
        .withArgs(id, partners[0].address);
    });

    it("rejects a vote on an executed change", async function () {
      const fx = await openChangeFixture();
      await MembershipHelper.from(fx).pass(fx.id);
      const late = fx.partners[5];
      await expect(fx.ledger.connect(late).voteChange(fx.id, true))
        .to.be.revertedWithCustomError(fx.ledger, "ChangeNotOpen")
        .withArgs(fx.id);
    });

    it("rejects a vote on a rejected change", async function () {
      const { ledger, partners, id } = await openChangeFixture();
      for (const p of partners.slice(1, 5)) await ledger.connect(p).voteChange(id, false);
      await expect(ledger.connect(partners[5]).voteChange(id, true))
        .to.be.revertedWithCustomError(ledger, "ChangeNotOpen")
        .withArgs(id);
    });

    it("rejects a vote on a change that was never proposed", async function () {
      const { ledger, leadBank } = await loadFixture(fixture);
      await expect(ledger.connect(leadBank).voteChange(1, true))
        .to.be.revertedWithCustomError(ledger, "ChangeNotOpen")
        .withArgs(1);
    });

    it("gives a bank admitted after the proposal no vote on it: the change is overtaken", async function () {
      const fx = await openChangeFixture();
      const late = fx.outsiders[2];
      await MembershipHelper.from(fx).admit(late.address, Role.PartnerBank, "Late Bank");
      await expect(fx.ledger.connect(late).voteChange(fx.id, true))
        .to.emit(fx.ledger, "ChangeRejected")
        .withArgs(fx.id)
        .and.not.to.emit(fx.ledger, "ChangeVoted");
      expect(await fx.ledger.hasVotedOnChange(fx.id, late.address)).to.equal(false);
    });

    it("ends a rival admission of the same account Rejected instead of reverting", async function () {
      const fx = await loadFixture(fixture);
      const { ledger, banks, outsider } = fx;
      const helper = MembershipHelper.from(fx);
      const first = await helper.propose(banks[0], Admit, outsider.address, { role: Role.PartnerBank, name: "First" });
      const rival = await helper.propose(banks[1], Admit, outsider.address, { role: Role.Arbitrator, name: "Rival" });
      await helper.pass(first.id);
      await expect(ledger.connect(banks[2]).voteChange(rival.id, true))
        .to.emit(ledger, "ChangeRejected")
        .withArgs(rival.id)
        .and.not.to.emit(ledger, "MemberAdmitted");
      expect((await ledger.changeInfo(rival.id)).state).to.equal(ChangeState.Rejected);
      expect(await ledger.roleOf(outsider.address)).to.equal(Role.PartnerBank);
      expect(await ledger.nameOf(outsider.address)).to.equal("First");
    });

    it("ends a rival removal that would leave fewer than three banks Rejected", async function () {
      const fx = await loadFixture(ledgerFixture({ banks: 4 }));
      const { ledger, banks } = fx;
      const helper = MembershipHelper.from(fx);
      const a = await helper.propose(banks[0], Remove, banks[3].address);
      const b = await helper.propose(banks[1], Remove, banks[2].address);
      await ledger.connect(banks[1]).voteChange(a.id, true);
      await expect(ledger.connect(banks[2]).voteChange(a.id, true)).to.emit(ledger, "ChangeExecuted").withArgs(a.id);
      expect(await ledger.votingMemberCount()).to.equal(3);
      await expect(ledger.connect(banks[0]).voteChange(b.id, true)).to.emit(ledger, "ChangeRejected").withArgs(b.id);
      expect(await ledger.isVotingMember(banks[2].address)).to.equal(true);
      expect(await ledger.votingMemberCount()).to.equal(3);
    });

    it("ends a rival admission into the last free seat Rejected", async function () {
      const fx = await loadFixture(fixture);
      const max = Number(await fx.ledger.MAX_MEMBERS());
      const banks = fx.banks.slice(0, 3);
      const extra = Array.from({ length: max - 4 }, (_, i) => founder(stranger(`seat${i}`), Role.Regulator, `R${i}`));
      const ledger = await deploy(fx, [...fx.founders.slice(0, 3), ...extra]);
      const helper = MembershipHelper.from({ ledger, banks });
      const a = await helper.propose(banks[0], Admit, fx.outsiders[0].address, { role: Role.Arbitrator });
      const b = await helper.propose(banks[0], Admit, fx.outsiders[1].address, { role: Role.Arbitrator });
      await expect(ledger.connect(banks[1]).voteChange(a.id, true)).to.emit(ledger, "ChangeExecuted").withArgs(a.id);
      expect(await ledger.allMembers()).to.have.length(max);
      await expect(ledger.connect(banks[1]).voteChange(b.id, true)).to.emit(ledger, "ChangeRejected").withArgs(b.id);
    });

    it("never re-admits a removed account", async function () {
      const fx = await loadFixture(fixture);
      const target = fx.partners[5];
      await MembershipHelper.from(fx).remove(target.address);
      await expect(
        fx.ledger
          .connect(fx.leadBank)
          .proposeChange(Admit, target.address, Role.PartnerBank, "Back", encryptionKeyFor(target.address)),
      )
        .to.be.revertedWithCustomError(fx.ledger, "AccountReused")
        .withArgs(target.address);
    });

    it("rejects removing a member twice", async function () {
      const fx = await loadFixture(fixture);
      await MembershipHelper.from(fx).remove(fx.regulator.address);
      await expect(fx.ledger.connect(fx.leadBank).proposeChange(Remove, fx.regulator.address, Role.None, "", "0x"))
        .to.be.revertedWithCustomError(fx.ledger, "NotMember")
        .withArgs(fx.regulator.address);
    });

    it("lets a removed lead bank's consortium carry on with the partners", async function () {
      const fx = await loadFixture(fixture);
      await MembershipHelper.from(fx).remove(fx.leadBank.address);
      expect(await fx.ledger.votingMemberCount()).to.equal(6);
      const helper = MembershipHelper.from({ ledger: fx.ledger, banks: fx.partners });
      await helper.admit(fx.outsiders[1].address, Role.LeadBank, "New Lead");
      expect(await fx.ledger.roleOf(fx.outsiders[1].address)).to.equal(Role.LeadBank);
    });
  });

  describe("changing a member's role", function () {
    it("moves a bank to a regulator and back by majority, with the voting count and the seq", async function () {
      const fx = await loadFixture(fixture);
      const helper = MembershipHelper.from(fx);
      const target = fx.partners[5];
      const seq = (await fx.ledger.memberInfo(target.address)).admittedSeq;
      const { id } = await helper.propose(fx.leadBank, ChangeRole, target.address, { role: Role.Regulator });
      for (const bank of fx.partners.slice(0, 2)) await fx.ledger.connect(bank).voteChange(id, true);
      await expect(fx.ledger.connect(fx.partners[2]).voteChange(id, true))
        .to.emit(fx.ledger, "MemberRoleChanged")
        .withArgs(target.address, Role.PartnerBank, Role.Regulator, anyValue);
      expect(await fx.ledger.roleOf(target.address)).to.equal(Role.Regulator);
      expect(await fx.ledger.votingMemberCount()).to.equal(6);
      expect(await fx.ledger.isVotingMember(target.address)).to.equal(false);
      expect((await fx.ledger.memberInfo(target.address)).admittedSeq).to.equal(seq);
      await helper.execute(ChangeRole, target.address, { role: Role.PartnerBank });
      expect(await fx.ledger.roleOf(target.address)).to.equal(Role.PartnerBank);
      expect(await fx.ledger.votingMemberCount()).to.equal(7);
    });

    it("refuses a role change to the same role, to no role, of a non-member, and a role on another action", async function () {
      const fx = await loadFixture(fixture);
      const propose = (action: MembershipAction, account: string, role: Role) =>
        fx.ledger.connect(fx.leadBank).proposeChange(action, account, role, "", "0x");
      await expect(propose(ChangeRole, fx.partners[0].address, Role.PartnerBank))
        .to.be.revertedWithCustomError(fx.ledger, "InvalidRole")
        .withArgs(Role.PartnerBank);
      await expect(propose(ChangeRole, fx.partners[0].address, Role.None))
        .to.be.revertedWithCustomError(fx.ledger, "InvalidRole")
        .withArgs(Role.None);
      await expect(propose(ChangeRole, fx.outsider.address, Role.Regulator))
        .to.be.revertedWithCustomError(fx.ledger, "NotMember")
        .withArgs(fx.outsider.address);
      await expect(propose(Remove, fx.partners[0].address, Role.Regulator))
        .to.be.revertedWithCustomError(fx.ledger, "InvalidRole")
        .withArgs(Role.Regulator);
      expect(await fx.ledger.changeCount()).to.equal(0);
    });

    it("refuses to take the vote from a bank when three would be left", async function () {
      const fx = await loadLedgerFixture({ banks: 3 });
      await expect(
        fx.ledger.connect(fx.leadBank).proposeChange(ChangeRole, fx.partners[0].address, Role.Regulator, "", "0x"),
      )
        .to.be.revertedWithCustomError(fx.ledger, "TooFewVotingMembers")
        .withArgs(2, 3);
    });
  });

  describe("quorum", function () {
    it("computes more than half of the other banks", async function () {
      const { ledger } = await loadFixture(fixture);
      const table: [number, number][] = [
        [3, 2],
        [4, 2],
        [5, 3],
        [6, 3],
        [7, 4],
        [15, 8],
        [25, 13],
        [64, 32],
      ];
      for (const [banks, quorum] of table) expect(await ledger.quorumFor(banks), `${banks} banks`).to.equal(quorum);
    });

    it("matches the deployed ledger's own count", async function () {
      const { ledger } = await loadFixture(fixture);
      expect(await ledger.quorumFor(await ledger.votingMemberCount())).to.equal(4);
    });
  });
});

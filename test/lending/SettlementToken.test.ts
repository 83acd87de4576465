import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { cny } from "../../clients/lending";
import { BANK_FLOAT, admittedFixture, lendingFixture } from "./fixtures";

describe("SettlementToken", function () {
  describe("money", function () {
    it("is colend settlement CNY with two decimals", async function () {
      const { token } = await loadFixture(lendingFixture);
      expect(await token.name()).to.equal("colend settlement CNY");
      expect(await token.symbol()).to.equal("cCNY");
      expect(await token.decimals()).to.equal(2n);
    });

    it("lets a bank tokenize a deposit for itself or a registered account", async function () {
      const { token, leadBank, partners } = await loadFixture(lendingFixture);
      await expect(token.connect(leadBank).deposit(partners[0].address, cny(10)))
        .to.emit(token, "Deposited")
        .withArgs(leadBank.address, partners[0].address, cny(10));
      expect(await token.balanceOf(partners[0].address)).to.equal(BANK_FLOAT + cny(10));
    });

    it("lets a bank redeem its own tokens", async function () {
      const { token, partners } = await loadFixture(lendingFixture);
      await expect(token.connect(partners[1]).redeem(cny(1)))
        .to.emit(token, "Redeemed")
        .withArgs(partners[1].address, cny(1));
      expect(await token.balanceOf(partners[1].address)).to.equal(BANK_FLOAT - cny(1));
      expect(await token.totalSupply()).to.equal(5n * BANK_FLOAT - cny(1));
    });

    it("rejects deposits and redemptions by anyone but a bank", async function () {
      const { token, arbitrator, regulator, outsider, leadBank } = await loadFixture(lendingFixture);
      for (const who of [arbitrator, regulator, outsider]) {
        await expect(token.connect(who).deposit(leadBank.address, 1n))
          .to.be.revertedWithCustomError(token, "NotBank")
          .withArgs(who.address);
        await expect(token.connect(who).redeem(1n))
          .to.be.revertedWithCustomError(token, "NotBank")
          .withArgs(who.address);
      }
    });

    it("rejects zero deposits and redemptions", async function () {
      const { token, leadBank } = await loadFixture(lendingFixture);
      await expect(token.connect(leadBank).deposit(leadBank.address, 0n)).to.be.revertedWithCustomError(
        token,
        "ZeroAmount",
      );
      await expect(token.connect(leadBank).redeem(0n)).to.be.revertedWithCustomError(token, "ZeroAmount");
    });

    it("rejects redeeming more than the bank holds", async function () {
      const { token, leadBank } = await loadFixture(lendingFixture);
      await expect(token.connect(leadBank).redeem(BANK_FLOAT + 1n)).to.be.revertedWithCustomError(
        token,
        "ERC20InsufficientBalance",
      );
    });
  });

  describe("registered holders only", function () {
    it("treats members, modules and registered borrowers as registered, and nobody else", async function () {
      const { token, registry, loanBook, loanUse, leadBank, arbitrator, regulator, borrowers, outsider } =
        await loadFixture(admittedFixture);
      for (const a of [leadBank.address, arbitrator.address, regulator.address, borrowers[0].address]) {
        expect(await token.isRegistered(a), a).to.equal(true);
      }
      for (const m of [registry, loanBook, loanUse])
        expect(await token.isRegistered(await m.getAddress())).to.equal(true);
      expect(await token.isRegistered(outsider.address)).to.equal(false);
      expect(await token.isRegistered(borrowers[1].address)).to.equal(false);
    });

    it("refuses to credit an unregistered account", async function () {
      const { token, leadBank, outsider } = await loadFixture(lendingFixture);
      await expect(token.connect(leadBank).deposit(outsider.address, 1n))
        .to.be.revertedWithCustomError(token, "UnregisteredAccount")
        .withArgs(outsider.address);
      await expect(token.connect(leadBank).transfer(outsider.address, 1n))
        .to.be.revertedWithCustomError(token, "UnregisteredAccount")
        .withArgs(outsider.address);
    });

    it("lets a registered borrower pay a bank but not an outsider", async function () {
      const { token, borrower, partners, outsider } = await loadFixture(admittedFixture);
      await expect(token.connect(borrower).transfer(partners[0].address, cny(1))).to.changeTokenBalances(
        token,
        [borrower, partners[0]],
        [-cny(1), cny(1)],
      );
      await expect(token.connect(borrower).transfer(outsider.address, 1n))
        .to.be.revertedWithCustomError(token, "UnregisteredAccount")
        .withArgs(outsider.address);
    });

    it("freezes the money of a member once it is removed", async function () {
      const { token, ledger, partners, leadBank } = await loadFixture(lendingFixture);
      const [p0, p1, p2, p3] = partners;
      // Remove partner 3 by a majority of the five banks.
      const id = await ledger.connect(leadBank).proposeChange.staticCall(1, p3.address, 0, "", "0x");
      await ledger.connect(leadBank).proposeChange(1, p3.address, 0, "", "0x");
      await ledger.connect(p0).voteChange(id, true);
      await ledger.connect(p1).voteChange(id, true);
      expect(await ledger.isVotingMember(p3.address)).to.equal(false);
      await expect(token.connect(p3).transfer(p2.address, 1n))
        .to.be.revertedWithCustomError(token, "UnregisteredAccount")
        .withArgs(p3.address);
    });

    it("lets only an enabled module register accounts", async function () {
      const { token, leadBank, outsider } = await loadFixture(lendingFixture);
      await expect(token.connect(leadBank).register(outsider.address))
        .to.be.revertedWithCustomError(token, "NotRegistrar")
        .withArgs(leadBank.address);
    });

    it("registers a borrower's account when the registry whitelists it", async function () {
      const { token, registry, borrower } = await loadFixture(admittedFixture);
      const events = await token.queryFilter(token.filters.AccountRegistered(borrower.address));
      expect(events).to.have.length(1);
      expect(events[0].args.registrar).to.equal(await registry.getAddress());
    });
  });
});

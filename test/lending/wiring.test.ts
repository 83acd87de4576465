import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress } from "ethers";
import {
  CreditRegistry__factory,
  CycleSettlement__factory,
  LoanUseAccount__factory,
  SettlementToken__factory,
} from "../../typechain-types";
import { loanBookFactory } from "../../clients/lending/deploy";
import { lendingParams, loanBookParams } from "../../clients/lending";
import { deployLedgerFixture } from "../helpers/consortium";

/** A ledger still in genesis with a token, a registry and a loan book deployed but not wired. */
async function unwiredFixture() {
  const fx = await deployLedgerFixture({ seal: false });
  const ledger = await fx.ledger.getAddress();
  const token = await new SettlementToken__factory(fx.deployer).deploy(ledger);
  const p = lendingParams();
  const registry = await new CreditRegistry__factory(fx.deployer).deploy(
    ledger,
    await token.getAddress(),
    p.minCreditLimit,
    p.maxCreditLimit,
  );
  const loanBook = await (
    await loanBookFactory(fx.deployer)
  ).deploy(ledger, await token.getAddress(), await registry.getAddress(), loanBookParams(p));
  return { ...fx, ledger, token, registry, loanBook };
}

describe("Lending modules: genesis wiring", function () {
  it("binds nothing to the zero address", async function () {
    const fx = await loadFixture(unwiredFixture);
    await expect(fx.loanBook.connect(fx.deployer).bindCourt(ZeroAddress)).to.be.revertedWithCustomError(
      fx.loanBook,
      "ZeroAddress",
    );
    await expect(fx.loanBook.connect(fx.deployer).bindLoanUse(ZeroAddress)).to.be.revertedWithCustomError(
      fx.loanBook,
      "ZeroAddress",
    );
    await expect(fx.registry.connect(fx.deployer).bindLoanBook(ZeroAddress)).to.be.revertedWithCustomError(
      fx.registry,
      "ZeroAddress",
    );
    expect(await fx.loanBook.court()).to.equal(ZeroAddress);
  });

  it("lets only the genesis administrator wire the modules", async function () {
    const fx = await loadFixture(unwiredFixture);
    const other = fx.leadBank;
    await expect(fx.loanBook.connect(other).bindLoanUse(other.address))
      .to.be.revertedWithCustomError(fx.loanBook, "NotGenesisAdmin")
      .withArgs(other.address);
    await expect(fx.loanBook.connect(other).bindCourt(other.address))
      .to.be.revertedWithCustomError(fx.loanBook, "NotGenesisAdmin")
      .withArgs(other.address);
    await expect(fx.registry.connect(other).bindLoanBook(other.address))
      .to.be.revertedWithCustomError(fx.registry, "NotGenesisAdmin")
      .withArgs(other.address);
  });

  it("refuses a zero token or loan book for the loan-use account, and a zero token for the cycle settlement", async function () {
    const fx = await loadFixture(unwiredFixture);
    const [token, loanBook] = [await fx.token.getAddress(), await fx.loanBook.getAddress()];
    const useFactory = new LoanUseAccount__factory(fx.deployer);
    for (const [t, b] of [
      [ZeroAddress, loanBook],
      [token, ZeroAddress],
    ]) {
      await expect(useFactory.deploy(fx.ledger, t, b)).to.be.revertedWithCustomError(useFactory, "ZeroAddress");
    }
    const cycleFactory = new CycleSettlement__factory(fx.deployer);
    await expect(cycleFactory.deploy(fx.ledger, ZeroAddress)).to.be.revertedWithCustomError(
      cycleFactory,
      "ZeroAddress",
    );
  });
});

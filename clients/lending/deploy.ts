import type { Signer } from "ethers";
import {
  CreditRegistry,
  CreditRegistry__factory,
  EvidenceLedger,
  LoanAccounting__factory,
  LoanBook,
  LoanBook__factory,
  LoanCollection__factory,
  LoanEngine__factory,
  LoanFunding__factory,
  LoanServicing__factory,
  LoanUseAccount,
  LoanUseAccount__factory,
  SettlementToken,
  SettlementToken__factory,
} from "../../typechain-types";
import { LendingParams, lendingParams, loanBookParams } from "./params";

/**
 * A LoanBook factory linked to freshly deployed libraries: LoanEngine (repayment rules),
 * LoanAccounting (the money), LoanServicing (repayment, reminders, default, enforcement of
 * awards), LoanCollection (outsourced collection, the court's hooks) and LoanFunding (withdrawal,
 * cancellation, disbursement), which the book calls by delegatecall over its own storage.
 */
export async function loanBookFactory(deployer: Signer): Promise<LoanBook__factory> {
  const engine = await (await new LoanEngine__factory(deployer).deploy()).getAddress();
  const accounting = await (await new LoanAccounting__factory(deployer).deploy()).getAddress();
  const libs = {
    "contracts/lending/LoanEngine.sol:LoanEngine": engine,
    "contracts/lending/LoanAccounting.sol:LoanAccounting": accounting,
  };
  const servicing = await (await new LoanServicing__factory(libs, deployer).deploy()).getAddress();
  const withServicing = { ...libs, "contracts/lending/LoanServicing.sol:LoanServicing": servicing };
  const funding = await (await new LoanFunding__factory(libs, deployer).deploy()).getAddress();
  const collection = await (await new LoanCollection__factory(deployer).deploy()).getAddress();
  return new LoanBook__factory(
    {
      ...withServicing,
      "contracts/lending/LoanFunding.sol:LoanFunding": funding,
      "contracts/lending/LoanCollection.sol:LoanCollection": collection,
    },
    deployer,
  );
}

/** The lending modules as deployed. */
export interface LendingDeployment {
  token: SettlementToken;
  registry: CreditRegistry;
  loanBook: LoanBook;
  loanUse: LoanUseAccount;
  params: LendingParams;
  /** Addresses for the address book. */
  addresses: { token: string; registry: string; loanBook: string; loanUse: string };
}

/**
 * Deploys the lending modules against a ledger still in genesis: the settlement token, the
 * credit registry, the loan book (with its two linked libraries) and the loan-use account; binds
 * them to each other and enables the three that write records as ledger modules. The caller must
 * be the ledger's genesis administrator and seals genesis afterwards.
 */
export async function deployLending(
  deployer: Signer,
  ledger: EvidenceLedger,
  overrides: Partial<LendingParams> = {},
): Promise<LendingDeployment> {
  const params = lendingParams(overrides);
  const ledgerAddress = await ledger.getAddress();
  const admin = await ledger.genesisAdmin();
  if (admin.toLowerCase() !== (await deployer.getAddress()).toLowerCase()) {
    throw new Error(
      `deployLending: ${await deployer.getAddress()} is not the ledger's genesis administrator (${admin})`,
    );
  }

  const token = await new SettlementToken__factory(deployer).deploy(ledgerAddress);
  const registry = await new CreditRegistry__factory(deployer).deploy(
    ledgerAddress,
    await token.getAddress(),
    params.minCreditLimit,
    params.maxCreditLimit,
  );
  const loanBook = await (
    await loanBookFactory(deployer)
  ).deploy(ledgerAddress, await token.getAddress(), await registry.getAddress(), loanBookParams(params));
  const loanUse = await new LoanUseAccount__factory(deployer).deploy(
    ledgerAddress,
    await token.getAddress(),
    await loanBook.getAddress(),
  );
  const addresses = {
    token: await token.getAddress(),
    registry: await registry.getAddress(),
    loanBook: await loanBook.getAddress(),
    loanUse: await loanUse.getAddress(),
  };

  const genesis = ledger.connect(deployer);
  await (await registry.connect(deployer).bindLoanBook(addresses.loanBook)).wait();
  await (await loanBook.connect(deployer).bindLoanUse(addresses.loanUse)).wait();
  for (const module of [addresses.registry, addresses.loanBook, addresses.loanUse]) {
    await (await genesis.setModuleAtGenesis(module, true)).wait();
  }
  return { token, registry, loanBook, loanUse, params, addresses };
}

import { Contract, id } from "ethers";
import type { Signer } from "ethers";
import {
  ArbitrationCourt,
  ArbitrationCourt__factory,
  EvidenceLedger,
  EvidenceLedger__factory,
} from "../../typechain-types";

/** The court as deployed. */
export interface ArbitrationDeployment {
  court: ArbitrationCourt;
  address: string;
  /** Whether the loan book had `bindCourt(address)` and was bound to this court. */
  boundToLoanBook: boolean;
}

const BIND_COURT = "function bindCourt(address court)";
const BIND_COURT_SELECTOR = id("bindCourt(address)").slice(2, 10);

/**
 * Deploys the arbitration court during genesis: the court itself, its enablement as a ledger module
 * (`setModuleAtGenesis`, by the genesis administrator), and the loan book's binding to it when the
 * loan book offers `bindCourt(address)`. Call before `sealGenesis`.
 * @param deployer the ledger's genesis administrator
 * @param ledger the evidence ledger (contract or address)
 * @param loanBookAddress the loan book implementing `ILoanCourtHooks`
 */
export async function deployArbitration(
  deployer: Signer,
  ledger: EvidenceLedger | string,
  loanBookAddress: string,
): Promise<ArbitrationDeployment> {
  const ledgerContract =
    typeof ledger === "string" ? EvidenceLedger__factory.connect(ledger, deployer) : ledger.connect(deployer);
  const ledgerAddress = await ledgerContract.getAddress();
  const admin = await ledgerContract.genesisAdmin();
  const me = await deployer.getAddress();
  if (admin.toLowerCase() !== me.toLowerCase()) {
    throw new Error(
      `deployArbitration: ${me} is not the ledger's genesis administrator (${admin}); is genesis sealed?`,
    );
  }
  const provider = deployer.provider!;
  const loanBookCode = await provider.getCode(loanBookAddress);
  if (loanBookCode === "0x") throw new Error(`deployArbitration: no contract at loan book address ${loanBookAddress}`);

  const court = await new ArbitrationCourt__factory(deployer).deploy(ledgerAddress, loanBookAddress);
  await court.waitForDeployment();
  const address = await court.getAddress();
  await (await ledgerContract.setModuleAtGenesis(address, true)).wait();

  // A PUSH4 of the selector in the dispatcher: the loan book has `bindCourt(address)`.
  const boundToLoanBook = loanBookCode.toLowerCase().includes(`63${BIND_COURT_SELECTOR}`);
  if (boundToLoanBook) {
    const loanBook = new Contract(loanBookAddress, [BIND_COURT], deployer);
    await (await loanBook.getFunction("bindCourt")(address)).wait();
  }
  return { court, address, boundToLoanBook };
}

import type { Signer } from "ethers";
import {
  CycleSettlement,
  CycleSettlement__factory,
  EvidenceLedger,
  EvidenceLedger__factory,
  MembershipLib__factory,
} from "../typechain-types";
import type { IMembership } from "../typechain-types/contracts/ledger/EvidenceLedger";
import { AddressBook, MemberEntry } from "./core/addressBook";
import { Role } from "./core/types";
import { ArbitrationDeployment, deployArbitration } from "./arbitration/deploy";
import { LendingDeployment, deployLending } from "./lending/deploy";
import type { LendingParams } from "./lending/params";

/**
 * A factory for the ledger, linked to a freshly deployed `MembershipLib` (the membership rules
 * live in that external library to keep the ledger small).
 */
export async function evidenceLedgerFactory(deployer: Signer): Promise<EvidenceLedger__factory> {
  const lib = await new MembershipLib__factory(deployer).deploy();
  await lib.waitForDeployment();
  return new EvidenceLedger__factory(
    { "contracts/consortium/MembershipLib.sol:MembershipLib": await lib.getAddress() },
    deployer,
  );
}

/** A founding member as the deployer knows it. */
export interface FounderSpec {
  name: string;
  role: Role;
  signer: Signer;
  /** 33-byte compressed secp256k1 public key for encrypted disclosure. */
  encryptionKey: string;
}

export interface Deployment {
  book: AddressBook;
  ledger: EvidenceLedger;
  /** The lending modules (absent when deployed with `lending: false`). */
  lending?: LendingDeployment;
  /** The arbitration court (absent without lending, or with `arbitration: false`). */
  arbitration?: ArbitrationDeployment;
  /** The batched cycle's net settlement (absent without lending, or with `cycle: false`). */
  cycleSettlement?: CycleSettlement;
}

/** What to deploy besides the ledger; everything has defaults. */
export interface DeployOptions {
  /** Lending parameters overriding the defaults (clients/lending/params.ts), or false to skip lending. */
  lending?: Partial<LendingParams> | false;
  /** False to skip the arbitration court (it needs the loan book, so lending implies it by default). */
  arbitration?: false;
  /**
   * False to skip `CycleSettlement`, the batched cycle's net settlement (docs/CYCLE.md; it needs the
   * settlement token, so lending implies it by default). It needs no module rights: it reads the
   * ledger's committed batches and moves tokens the banks approve it for.
   */
  cycle?: false;
}

/**
 * Deploys the consortium: the ledger with its founding members, then every module, wires the
 * modules in during genesis, and seals genesis so that from then on only a majority of the banks
 * can change the consortium.
 */
export async function deployColend(
  deployer: Signer,
  founders: FounderSpec[],
  options: DeployOptions = {},
): Promise<Deployment> {
  const members: MemberEntry[] = [];
  const founderArgs: IMembership.FounderStruct[] = [];
  for (const f of founders) {
    const address = await f.signer.getAddress();
    members.push({ name: f.name, role: f.role, address });
    founderArgs.push({ account: address, role: f.role, name: f.name, encryptionKey: f.encryptionKey });
  }
  const ledger = await (await evidenceLedgerFactory(deployer)).deploy(founderArgs);
  const deployTx = ledger.deploymentTransaction();
  await ledger.waitForDeployment();
  const receipt = await deployTx!.wait();
  const network = await deployer.provider!.getNetwork();
  const book: AddressBook = {
    version: 1,
    chainId: network.chainId.toString(),
    deployBlock: receipt!.blockNumber,
    ledger: await ledger.getAddress(),
    members,
  };

  // Modules (lending, arbitration) are deployed and enabled here, during genesis.
  let lending: LendingDeployment | undefined;
  if (options.lending !== false) {
    lending = await deployLending(deployer, ledger, options.lending ?? {});
    Object.assign(book, lending.addresses);
  }
  let arbitration: ArbitrationDeployment | undefined;
  if (lending && options.arbitration !== false) {
    arbitration = await deployArbitration(deployer, ledger, lending.addresses.loanBook);
    book.court = arbitration.address;
  }

  let cycleSettlement: CycleSettlement | undefined;
  if (lending && options.cycle !== false) {
    cycleSettlement = await new CycleSettlement__factory(deployer).deploy(book.ledger, lending.addresses.token);
    await cycleSettlement.waitForDeployment();
    book.cycleSettlement = await cycleSettlement.getAddress();
  }

  await (await ledger.connect(deployer).sealGenesis()).wait();
  return { book, ledger, lending, arbitration, cycleSettlement };
}

import { ethers } from "hardhat";
import { Signature, Wallet, concat, keccak256, toBeHex, zeroPadValue } from "ethers";
import { deployColend } from "../../clients/deploy";
import { AddressBook } from "../../clients/core/addressBook";
import { compareAddresses } from "../../clients/core/records";
import { RecordInput, Role } from "../../clients/core/types";
import { EvidenceLedger } from "../../typechain-types";
import { RawSender, benchWallet, fund } from "./chain";

/**
 * A consortium of `members` banks (one lead, the rest partners) with deterministic keys, and
 * the fast off-chain endorsement path a node would run: one EIP-712 digest per record, one
 * secp256k1 signature per endorser, packed in ascending signer order.
 */
export class BenchConsortium {
  private constructor(
    readonly members: Wallet[],
    readonly ledger: EvidenceLedger,
    readonly book: AddressBook,
    readonly quorum: number,
    readonly proposer: RawSender,
    /** The `quorum` endorsers, sorted by address, as `commit` wants them. */
    readonly endorsers: Wallet[],
    private readonly domainSeparator: string,
    private readonly typeHash: string,
  ) {}

  static async deploy(members: number): Promise<BenchConsortium> {
    const wallets = Array.from({ length: members }, (_, i) => benchWallet(`member${members}`, i));
    await fund(wallets.map((w) => w.address));
    const [deployer] = await ethers.getSigners();
    const { ledger, book } = await deployColend(
      deployer,
      wallets.map((w, i) => ({
        name: i === 0 ? "W Bank" : `Partner ${i}`,
        role: i === 0 ? Role.LeadBank : Role.PartnerBank,
        signer: w,
        encryptionKey: w.signingKey.compressedPublicKey,
      })),
      { lending: false }, // the ledger alone: modules do not touch the record paths measured here
    );
    const quorum = Number(await ledger.quorumFor(members));
    const endorsers = wallets.slice(1, 1 + quorum).sort((a, b) => compareAddresses(a.address, b.address));
    const chainId = BigInt(book.chainId);
    const c = new BenchConsortium(
      wallets,
      ledger,
      book,
      quorum,
      new RawSender(wallets[0], chainId),
      endorsers,
      await ledger.domainSeparator(),
      await ledger.ENDORSEMENT_TYPEHASH(),
    );
    await c.checkDigest();
    return c;
  }

  get proposerAddress(): string {
    return this.proposer.address;
  }

  /** EIP-712 digest of an endorsement, computed without the generic typed-data encoder. */
  digest(record: RecordInput, proposer: string, issuedAt: bigint, deadline: bigint): string {
    const struct = keccak256(
      concat([
        this.typeHash,
        record.subject,
        record.kind,
        record.contentHash,
        record.attrs,
        record.prev,
        zeroPadValue(proposer, 32),
        toBeHex(issuedAt, 32),
        toBeHex(deadline, 32),
      ]),
    );
    return keccak256(concat(["0x1901", this.domainSeparator, struct]));
  }

  /** Packed compact signatures of the quorum's endorsers over `record` proposed by the lead bank. */
  endorse(record: RecordInput, issuedAt: bigint, deadline: bigint, signers: Wallet[] = this.endorsers): string {
    const digest = this.digest(record, this.proposerAddress, issuedAt, deadline);
    return concat(signers.map((w) => Signature.from(w.signingKey.sign(digest)).compactSerialized));
  }

  /** The fast digest must equal the ledger's own, or every signature would be refused. */
  private async checkDigest(): Promise<void> {
    const record: RecordInput = {
      subject: keccak256("0x01"),
      kind: keccak256("0x02"),
      contentHash: keccak256("0x03"),
      attrs: keccak256("0x04"),
      prev: keccak256("0x05"),
    };
    const onChain = await this.ledger.endorsementDigest(record, this.proposerAddress, 100n, 123n);
    if (onChain !== this.digest(record, this.proposerAddress, 100n, 123n)) {
      throw new Error("bench endorsement digest differs from EvidenceLedger.endorsementDigest");
    }
  }
}

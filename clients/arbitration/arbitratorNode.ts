import type { Signer } from "ethers";
import { SigningKey, getAddress } from "ethers";
import { ArbitrationCourt } from "../../typechain-types";
import { AddressBook } from "../core/addressBook";
import { LedgerNode } from "../core/node";
import { contentHash, newSalt } from "../core/records";
import { Kind, Subject, kindName } from "../core/types";
import {
  DisclosureError,
  DisclosurePackage,
  DocumentStore,
  manifestHash,
  openDisclosure,
  parseDisclosurePackage,
} from "../store";
import { courtOf } from "./claimant";

/** Mirror of `IArbitrationCourt.CaseState`. */
export enum CaseState {
  None = 0,
  Open = 1,
  Awarded = 2,
}

/** A case assigned to this arbitrator, as filed and as it stands. */
export interface AssignedCase {
  caseId: bigint;
  loanId: bigint;
  claimant: string;
  state: CaseState;
  frozenHead: string;
  claimHash: string;
  openedBlock: number;
  txHash: string;
  awardHash: string;
  amountOwed: bigint;
}

/** The arbitrator's finding on one disclosed document. */
export interface DocumentVerdict {
  contentHash: string;
  subject: string;
  kind: string;
  /** Readable kind name. */
  kindName: string;
  /** True when the document hashes to its content hash, a record with that hash is on its subject's
   *  chain, and (for the loan's chain) that record is at or before the head frozen at filing. */
  verified: boolean;
  /** Why it is not verified. */
  problem?: string;
  /** Position of its record in the subject's chain, from 0. */
  index?: number;
  blockNumber?: number;
  txHash?: string;
  document: Uint8Array;
}

/** What the arbitrator made of a disclosure package. */
export interface DisclosureReview {
  caseId: bigint;
  manifestHash: string;
  documents: DocumentVerdict[];
  /** Every document verified. */
  verified: boolean;
}

/** An award as issued. */
export interface IssuedAward {
  caseId: bigint;
  awardHash: string;
  salt: Uint8Array;
  amountOwed: bigint;
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

interface ChainEntry {
  contentHash: string;
  head: string;
  blockNumber: number;
  txHash: string;
}

/**
 * An arbitration commission's node: it finds the cases assigned to it, opens the documents a
 * claimant disclosed to it with its private encryption key, checks each against the ledger, keeps
 * them in its own encrypted store, and issues awards.
 */
export class ArbitratorNode extends LedgerNode {
  readonly court: ArbitrationCourt;
  private readonly encryptionKey: SigningKey;

  /**
   * @param store this node's document store
   * @param encryptionPrivateKey private key of the encryption key registered for this member
   */
  constructor(
    name: string,
    signer: Signer,
    book: AddressBook,
    readonly store: DocumentStore,
    encryptionPrivateKey: string,
  ) {
    super(name, signer, book);
    this.court = courtOf(this);
    this.encryptionKey = new SigningKey(encryptionPrivateKey);
  }

  /** Fails unless this node's private key matches the encryption key registered on the ledger. */
  async checkEncryptionKey(): Promise<void> {
    const registered = (await this.ledger.encryptionKeyOf(await this.address())).toLowerCase();
    if (registered !== this.encryptionKey.compressedPublicKey.toLowerCase()) {
      throw new Error(
        `${this.name}: private encryption key does not match the registered key ${registered || "(none)"}`,
      );
    }
  }

  /** The cases assigned to this arbitrator, oldest first (from `CaseOpened` events). */
  async assignedCases(): Promise<AssignedCase[]> {
    const me = await this.address();
    const events = await this.court.queryFilter(
      this.court.filters.CaseOpened(undefined, undefined, me),
      this.book.deployBlock,
    );
    const cases: AssignedCase[] = [];
    for (const e of events) {
      const info = await this.court.caseInfo(e.args.caseId);
      cases.push({
        caseId: e.args.caseId,
        loanId: e.args.loanId,
        claimant: e.args.claimant,
        state: Number(info.state) as CaseState,
        frozenHead: e.args.frozenHead,
        claimHash: e.args.claimHash,
        openedBlock: e.blockNumber,
        txHash: e.transactionHash,
        awardHash: info.awardHash,
        amountOwed: info.amountOwed,
      });
    }
    return cases;
  }

  /**
   * Opens a disclosure package addressed to this arbitrator, checks that its manifest was recorded on
   * the case chain by the claimant, and checks every document against the ledger. Documents that
   * open are kept in this node's store, verified or not (the verdict says which).
   */
  async receiveDisclosure(input: DisclosurePackage | unknown): Promise<DisclosureReview> {
    const pkg = parseDisclosurePackage(input);
    const me = await this.address();
    const caseId = BigInt(pkg.caseId);
    if (pkg.chainId !== this.book.chainId)
      throw new DisclosureError(`package is for chain ${pkg.chainId}, not ${this.book.chainId}`);
    if (getAddress(pkg.court) !== getAddress(await this.court.getAddress())) {
      throw new DisclosureError(`package is for court ${pkg.court}, not this consortium's`);
    }
    if (getAddress(pkg.arbitrator) !== getAddress(me))
      throw new DisclosureError(`package is addressed to ${pkg.arbitrator}, not ${me}`);
    await this.checkEncryptionKey();
    const info = await this.court.caseInfo(caseId);
    if (getAddress(info.arbitrator) !== getAddress(me)) {
      throw new DisclosureError(`case ${caseId} is assigned to ${info.arbitrator}, not ${me}`);
    }
    const hash = manifestHash(pkg);
    const recorded = await this.court.queryFilter(
      this.court.filters.EvidenceDisclosed(caseId, me),
      this.book.deployBlock,
    );
    if (!recorded.some((e) => e.args.manifestHash === hash)) {
      throw new DisclosureError(`manifest ${hash} of case ${caseId} was never recorded on chain`);
    }

    const opened = openDisclosure(pkg, this.encryptionKey.privateKey);
    const loanSubject = Subject.loan(info.loanId);
    const chains = new Map<string, ChainEntry[]>();
    const documents: DocumentVerdict[] = [];
    for (const doc of opened) {
      let chain = chains.get(doc.subject);
      if (!chain) chains.set(doc.subject, (chain = await this.chainOf(doc.subject)));
      const verdict: DocumentVerdict = { ...doc, kindName: kindName(doc.kind), verified: false };
      const index = chain.findIndex((r) => r.contentHash === doc.contentHash);
      if (contentHash(doc.document, doc.salt) !== doc.contentHash) {
        verdict.problem = "document does not hash to its content hash";
      } else if (index < 0) {
        verdict.problem = "no record with this content hash on its subject's chain";
      } else {
        Object.assign(verdict, { index, blockNumber: chain[index].blockNumber, txHash: chain[index].txHash });
        const frozenAt = chain.findIndex((r) => r.head === info.frozenHead);
        if (doc.subject === loanSubject && index > frozenAt) verdict.problem = "recorded after the case was filed";
        else verdict.verified = true;
      }
      documents.push(verdict);
      this.store.put({
        subject: doc.subject,
        kind: doc.kind,
        document: doc.document,
        salt: doc.salt,
        meta: { caseId, disclosedBy: info.claimant, manifestHash: hash },
      });
    }
    return { caseId, manifestHash: hash, documents, verified: documents.every((d) => d.verified) };
  }

  /**
   * Rules on case `caseId`: keeps the award document in this node's store and puts its salted hash
   * and the amount owed on the case and loan chains.
   */
  async issueAward(caseId: bigint, awardDocument: Uint8Array, amountOwed: bigint): Promise<IssuedAward> {
    const me = await this.address();
    const info = await this.court.caseInfo(caseId);
    if (Number(info.state) !== CaseState.Open) throw new Error(`case ${caseId} is not open`);
    if (getAddress(info.arbitrator) !== getAddress(me))
      throw new Error(`case ${caseId} is assigned to ${info.arbitrator}, not ${me}`);
    if (amountOwed < 0n) throw new Error("amount owed must not be negative");
    const salt = newSalt();
    const awardHash = this.store.put({
      subject: Subject.arbitrationCase(caseId),
      kind: Kind.Award,
      document: awardDocument,
      salt,
      meta: { caseId, loanId: info.loanId, amountOwed },
    });
    const receipt = await (await this.court.issueAward(caseId, awardHash, amountOwed)).wait();
    return {
      caseId,
      awardHash,
      salt,
      amountOwed,
      txHash: receipt!.hash,
      blockNumber: receipt!.blockNumber,
      gasUsed: receipt!.gasUsed,
    };
  }

  /** Every record of `subject`'s chain, in order, from `RecordCommitted` logs. */
  private async chainOf(subject: string): Promise<ChainEntry[]> {
    const events = await this.ledger.queryFilter(this.ledger.filters.RecordCommitted(subject), this.book.deployBlock);
    return events.map((e) => ({
      contentHash: e.args.contentHash,
      head: e.args.head,
      blockNumber: e.blockNumber,
      txHash: e.transactionHash,
    }));
  }
}

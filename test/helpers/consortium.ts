/**
 * Consortium fixtures and multi-party helpers shared by every suite.
 *
 * Layers:
 *   1. `deployLedgerFixture(options)` deploys an EvidenceLedger with named founders (genesis still
 *      open, so a layered fixture can enable its modules and seal). `loadLedgerFixture(options)`
 *      is the same behind `loadFixture` (one snapshot per distinct options).
 *   2. Record helpers: `makeRecord`, `signEndorsements`, `endorseRecord`, `commitRecord`.
 *   3. Flow helpers, in the spirit of OpenZeppelin's GovernorHelper: `LedgerHelper` walks a record
 *      through either path (signatures in one transaction, or propose → endorse on chain), and
 *      `MembershipHelper` walks a membership change through the banks' majority vote.
 */
import { ethers } from "hardhat";
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ContractTransactionReceipt,
  ContractTransactionResponse,
  Signer,
  SigningKey,
  TypedDataDomain,
  Wallet,
  concat,
  getBytes,
  keccak256,
  toBeHex,
  toUtf8Bytes,
  zeroPadValue,
} from "ethers";
import { EvidenceLedger, TestModule, TestModule__factory } from "../../typechain-types";
import { evidenceLedgerFactory } from "../../clients/deploy";
import type { IMembership } from "../../typechain-types/contracts/ledger/EvidenceLedger";
import {
  Endorsement,
  EndorsementMessage,
  contentHash,
  ledgerDomain,
  packSignatures,
  recordHash,
  signEndorsement,
} from "../../clients/core/records";
import type { AddressBook } from "../../clients/core/addressBook";
import type { CommittedRecord } from "../../clients/core/records";
import {
  KIND_NAMES,
  Kind,
  MembershipAction,
  ProposalState,
  RecordInput,
  Role,
  ZERO_HASH,
} from "../../clients/core/types";

/** A test account that can sign and send: a Hardhat signer or a funded deterministic wallet. */
export type Actor = Signer & { readonly address: string };

export interface LedgerOptions {
  /** Voting members: one lead bank plus `banks - 1` partner banks (at least 3 to deploy). */
  banks?: number;
  arbitrators?: number;
  regulators?: number;
  /** Funded accounts that are not members (candidates for admission, strangers). */
  outsiders?: number;
  /** Seal the genesis phase right away (default false: layered fixtures enable modules first). */
  seal?: boolean;
}

export interface LedgerFixture {
  ledger: EvidenceLedger;
  /** Deployer and genesis administrator; not a member. */
  deployer: Actor;
  leadBank: Actor;
  partners: Actor[];
  /** Every voting member at genesis: the lead bank, then the partners. */
  banks: Actor[];
  /** First arbitrator (undefined when `arbitrators` is 0). */
  arbitrator: Actor;
  arbitrators: Actor[];
  /** First regulator (undefined when `regulators` is 0). */
  regulator: Actor;
  regulators: Actor[];
  /** First outsider. */
  outsider: Actor;
  outsiders: Actor[];
  /** Founders exactly as passed to the constructor. */
  founders: IMembership.FounderStruct[];
  chainId: bigint;
  /** The ledger's EIP-712 domain. */
  domain: TypedDataDomain;
}

/** The address book the role nodes of a ledger fixture use: its ledger, founders and `contracts`. */
export async function fixtureAddressBook(
  fx: Pick<LedgerFixture, "ledger" | "founders" | "chainId">,
  contracts: Partial<Pick<AddressBook, "token" | "registry" | "loanBook" | "loanUse" | "court">>,
): Promise<AddressBook> {
  return {
    version: 1,
    chainId: fx.chainId.toString(),
    deployBlock: 0,
    ledger: await fx.ledger.getAddress(),
    ...contracts,
    members: fx.founders.map((f) => ({ name: f.name, role: Number(f.role) as Role, address: String(f.account) })),
  };
}

/** What the record helpers need: the ledger, its domain, and the banks that may endorse. */
export type LedgerContext = Pick<LedgerFixture, "ledger" | "domain" | "banks">;

export const DEFAULT_OPTIONS: Required<LedgerOptions> = {
  banks: 7,
  arbitrators: 1,
  regulators: 1,
  outsiders: 4,
  seal: false,
};

export const LEAD_BANK_NAME = "W Bank";
export const partnerName = (i: number): string => `Partner Bank ${i + 1}`;
export const arbitratorName = (i: number): string => `Arbitration Commission ${i + 1}`;
export const regulatorName = (i: number): string => `Regulator ${i + 1}`;

// ------------------------------------------------------------------ accounts and keys

/**
 * `n` funded accounts: Hardhat's signers first, then deterministic wallets (funded on the
 * fly) once those run out, so fixtures of any size work.
 */
export async function fundedActors(n: number): Promise<Actor[]> {
  const signers = await ethers.getSigners();
  const out: Actor[] = signers.slice(0, n);
  for (let i = out.length; i < n; i++) {
    const wallet = new Wallet(keccak256(toUtf8Bytes(`colend.test.account.${i}`)), ethers.provider);
    await setBalance(wallet.address, 10n ** 24n);
    out.push(wallet);
  }
  return out;
}

/**
 * The deterministic encryption key pair of a member account: the wallet whose private key
 * decrypts what is disclosed to that member. Its compressed public key is what the fixture
 * registers on chain.
 */
export function encryptionWallet(account: string): Wallet {
  return new Wallet(keccak256(concat([toUtf8Bytes("colend.test.encryption."), getBytes(account)])));
}

/** 33-byte compressed secp256k1 public key registered for `account`. */
export function encryptionKeyFor(account: string): string {
  return SigningKey.computePublicKey(encryptionWallet(account).privateKey, true);
}

/** Founder entry for `account`, with its deterministic encryption key. */
export function founder(account: string, role: Role, name: string): IMembership.FounderStruct {
  return { account, role, name, encryptionKey: encryptionKeyFor(account) };
}

// ------------------------------------------------------------------ fixtures

/** Deploys a ledger with named founders. Genesis stays open unless `seal` is set. */
export async function deployLedgerFixture(options: LedgerOptions = {}): Promise<LedgerFixture> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  const actors = await fundedActors(1 + o.banks + o.arbitrators + o.regulators + o.outsiders);
  let next = 0;
  const take = (n: number) => actors.slice(next, (next += n));
  const [deployer] = take(1);
  const banks = take(o.banks);
  const arbitrators = take(o.arbitrators);
  const regulators = take(o.regulators);
  const outsiders = take(o.outsiders);
  const [leadBank, ...partners] = banks;

  const founders = [
    founder(leadBank.address, Role.LeadBank, LEAD_BANK_NAME),
    ...partners.map((p, i) => founder(p.address, Role.PartnerBank, partnerName(i))),
    ...arbitrators.map((a, i) => founder(a.address, Role.Arbitrator, arbitratorName(i))),
    ...regulators.map((r, i) => founder(r.address, Role.Regulator, regulatorName(i))),
  ];
  const ledger = await (await evidenceLedgerFactory(deployer)).deploy(founders);
  await ledger.waitForDeployment();
  if (o.seal) await (await ledger.sealGenesis()).wait();

  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    ledger,
    deployer,
    leadBank,
    partners,
    banks,
    arbitrator: arbitrators[0],
    arbitrators,
    regulator: regulators[0],
    regulators,
    outsider: outsiders[0],
    outsiders,
    founders,
    chainId,
    domain: ledgerDomain(chainId, await ledger.getAddress()),
  };
}

const fixtureCache = new Map<string, () => Promise<LedgerFixture>>();

/** A named fixture function (one per distinct options) suitable for `loadFixture`. */
export function ledgerFixture(options: LedgerOptions = {}): () => Promise<LedgerFixture> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  const key = JSON.stringify(o);
  let fixture = fixtureCache.get(key);
  if (fixture === undefined) {
    fixture = async function ledgerFixture() {
      return deployLedgerFixture(o);
    };
    fixtureCache.set(key, fixture);
  }
  return fixture;
}

/** `deployLedgerFixture(options)` behind `loadFixture`: deployed once, then restored from a snapshot. */
export function loadLedgerFixture(options: LedgerOptions = {}): Promise<LedgerFixture> {
  return loadFixture(ledgerFixture(options));
}

/**
 * Every kind a module may own: the kinds `Kinds` in Types.sol declares, but Batch (`commitBatch`
 * only) and Membership (nobody). `test/core/records.test.ts` checks this against `Kinds.moduleOwned`.
 */
export const MODULE_KINDS: readonly string[] = KIND_NAMES.slice(
  KIND_NAMES.indexOf("CreditDecision"),
  KIND_NAMES.indexOf("CaseClosed") + 1,
).map((n) => Kind[n]);

/**
 * Deploys a TestModule on `ledger` that claims `kinds` when enabled (by default every module kind:
 * a stand-in for all the modules at once). Not enabled: the caller enables it.
 */
export async function deployTestModule(
  deployer: Signer,
  ledger: EvidenceLedger,
  kinds: readonly string[] = MODULE_KINDS,
): Promise<TestModule> {
  const module = await new TestModule__factory(deployer).deploy(await ledger.getAddress(), [...kinds]);
  await module.waitForDeployment();
  return module;
}

// ------------------------------------------------------------------ records

let recordCounter = 0;

export interface RecordOptions {
  kind?: string;
  /** Head the record extends (default: zero, a subject's first record). */
  prev?: string;
  attrs?: string;
  /** Original document (default: a fresh numbered text). */
  document?: string | Uint8Array;
  /** 32-byte salt (default: derived from a counter, so runs are reproducible). */
  salt?: Uint8Array;
  /** Content hash to use as is, skipping `document` and `salt`. */
  contentHash?: string;
}

/** A subject id for tests: keccak256 of a label. */
export function testSubject(label: string): string {
  return keccak256(toUtf8Bytes(`colend.test.subject.${label}`));
}

/** Deterministic salt number `n`. */
export function testSalt(n: number): Uint8Array {
  return getBytes(keccak256(toUtf8Bytes(`colend.test.salt.${n}`)));
}

/** A record on `subject`: a fresh document unless `contentHash` is given. */
export function makeRecord(subject: string, opts: RecordOptions = {}): RecordInput {
  const n = ++recordCounter;
  const document = opts.document ?? `test document ${n}`;
  const bytes = typeof document === "string" ? toUtf8Bytes(document) : document;
  return {
    subject,
    kind: opts.kind ?? Kind.Note,
    contentHash: opts.contentHash ?? contentHash(bytes, opts.salt ?? testSalt(n)),
    attrs: opts.attrs ?? ZERO_HASH,
    prev: opts.prev ?? ZERO_HASH,
  };
}

/** `makeRecord` extending the subject's current head on `ledger`. */
export async function nextRecord(
  ledger: EvidenceLedger,
  subject: string,
  opts: Omit<RecordOptions, "prev"> = {},
): Promise<RecordInput> {
  return makeRecord(subject, { ...opts, prev: await ledger.headOf(subject) });
}

/** Latest block timestamp plus `seconds`: a deadline comfortably ahead. */
export async function deadlineIn(seconds = 3_600n): Promise<bigint> {
  return BigInt(await time.latest()) + seconds;
}

/**
 * The issue time the test helpers sign with for `deadline`: an hour before it, so the default
 * deadline (`deadlineIn()`, an hour ahead) signs at the latest block time. Tests of the signature
 * window pass their own issue time.
 */
export function issuedAtFor(deadline: bigint): bigint {
  return deadline - 3_600n;
}

/** Each endorser's compact EIP-712 signature over (record, proposer, issuedAt, deadline), in the order given. */
export async function signEndorsements(
  domain: TypedDataDomain,
  record: RecordInput,
  proposer: string | Actor,
  endorsers: readonly Signer[],
  deadline: bigint,
  issuedAt: bigint = issuedAtFor(deadline),
): Promise<Endorsement[]> {
  const message: EndorsementMessage = { ...record, proposer: addressOf(proposer), issuedAt, deadline };
  const out: Endorsement[] = [];
  for (const e of endorsers) out.push(await signEndorsement(e, domain, message));
  return out;
}

/**
 * Endorsers' signatures over `record`, packed as the ledger wants them (ascending by signer).
 * `ledger` supplies the clock when `deadline` is omitted (one hour past its latest block).
 */
export async function endorseRecord(
  ledger: EvidenceLedger,
  domain: TypedDataDomain,
  record: RecordInput,
  proposer: string | Actor,
  endorsers: readonly Signer[],
  deadline?: bigint,
  issuedAt?: bigint,
): Promise<string> {
  const d = deadline ?? BigInt((await ledger.runner!.provider!.getBlock("latest"))!.timestamp) + 3_600n;
  return packSignatures(await signEndorsements(domain, record, proposer, endorsers, d, issuedAt));
}

/** The `count` first active voting members among `banks`, other than `proposer`. */
export async function othersOf(
  ctx: Pick<LedgerContext, "ledger" | "banks">,
  proposer: string | Actor,
  count?: number,
): Promise<Actor[]> {
  const p = addressOf(proposer).toLowerCase();
  const out: Actor[] = [];
  for (const b of ctx.banks) {
    if (b.address.toLowerCase() === p || !(await ctx.ledger.isVotingMember(b.address))) continue;
    out.push(b);
    if (count !== undefined && out.length === count) break;
  }
  return out;
}

/** Endorsements needed now (more than half of the other voting members). */
export async function currentQuorum(ledger: EvidenceLedger): Promise<number> {
  return Number(await ledger.quorumFor(await ledger.votingMemberCount()));
}

/** A decoded `RecordCommitted` event (the clients' own type). */
export type { CommittedRecord };

/** Every `RecordCommitted` event in `receipt`, decoded. */
export function committedRecords(ledger: EvidenceLedger, receipt: ContractTransactionReceipt): CommittedRecord[] {
  const out: CommittedRecord[] = [];
  for (const log of receipt.logs) {
    const parsed = ledger.interface.parseLog(log);
    if (parsed?.name !== "RecordCommitted") continue;
    const a = parsed.args;
    out.push({
      subject: a.subject,
      kind: a.kind,
      proposer: a.proposer,
      contentHash: a.contentHash,
      attrs: a.attrs,
      prev: a.prev,
      head: a.head,
      attestation: Number(a.attestation),
      issuedAt: a.issuedAt,
      deadline: a.deadline,
      endorsements: a.endorsements,
    });
  }
  return out;
}

export interface CommitResult {
  tx: ContractTransactionResponse;
  receipt: ContractTransactionReceipt;
  /** The subject's head after the commit. */
  head: string;
  signatures: string;
  issuedAt: bigint;
  deadline: bigint;
}

/**
 * Signs `record` with a quorum of the other banks (or `opts.endorsers`) and commits it in one
 * transaction from `proposer`.
 */
export async function commitRecord(
  ctx: LedgerContext,
  record: RecordInput,
  proposer: Actor,
  opts: { endorsers?: readonly Signer[]; deadline?: bigint } = {},
): Promise<CommitResult> {
  const deadline = opts.deadline ?? (await deadlineIn());
  const endorsers = opts.endorsers ?? (await othersOf(ctx, proposer, await currentQuorum(ctx.ledger)));
  const signatures = await endorseRecord(ctx.ledger, ctx.domain, record, proposer, endorsers, deadline);
  const issuedAt = issuedAtFor(deadline);
  const tx = await ctx.ledger.connect(proposer).commit(record, issuedAt, deadline, signatures);
  const receipt = (await tx.wait())!;
  const [committed] = committedRecords(ctx.ledger, receipt);
  return { tx, receipt, head: committed.head, signatures, issuedAt, deadline };
}

/** Appends `count` records to `subject` (one-tx path, proposed by `proposer`); returns the last head. */
export async function commitChain(
  ctx: LedgerContext,
  subject: string,
  proposer: Actor,
  count: number,
): Promise<string> {
  let head = await ctx.ledger.headOf(subject);
  for (let i = 0; i < count; i++) {
    head = (await commitRecord(ctx, makeRecord(subject, { prev: head }), proposer)).head;
  }
  return head;
}

// ------------------------------------------------------------------ flows

/** Walks one record through either path. Obtain it from `LedgerHelper.flow`. */
export class RecordFlow {
  /** Proposal id on the voting path (= the record hash). */
  readonly id: string;

  constructor(
    readonly helper: LedgerHelper,
    readonly record: RecordInput,
    readonly proposer: Actor,
    public deadline?: bigint,
  ) {
    this.id = recordHash(record, proposer.address);
  }

  /** The deadline, fixed on first use (one hour ahead unless given). */
  async ensureDeadline(): Promise<bigint> {
    this.deadline ??= await deadlineIn();
    return this.deadline;
  }

  /** `endorsers` (or the first `n` other banks) sign; returns the packed signatures. */
  async sign(endorsers?: readonly Signer[] | number): Promise<string> {
    const list = await this.resolve(endorsers);
    const { ledger, domain } = this.helper;
    return endorseRecord(ledger, domain, this.record, this.proposer, list, await this.ensureDeadline());
  }

  /** One-transaction path: signs with `endorsers` (default: exactly a quorum) and commits. */
  async commit(endorsers?: readonly Signer[] | number): Promise<ContractTransactionResponse> {
    const signatures = await this.sign(endorsers);
    return this.helper.ledger
      .connect(this.proposer)
      .commit(this.record, issuedAtFor(this.deadline!), this.deadline!, signatures);
  }

  /** Voting path: puts the record to a vote. */
  async propose(): Promise<ContractTransactionResponse> {
    return this.helper.ledger.connect(this.proposer).propose(this.record, await this.ensureDeadline());
  }

  endorse(member: Signer): Promise<ContractTransactionResponse> {
    return this.helper.ledger.connect(member).endorse(this.id);
  }

  object(member: Signer): Promise<ContractTransactionResponse> {
    return this.helper.ledger.connect(member).object(this.id);
  }

  expire(caller?: Signer): Promise<ContractTransactionResponse> {
    const ledger = caller ? this.helper.ledger.connect(caller) : this.helper.ledger;
    return ledger.expire(this.id);
  }

  /** `members` (or the first `n` other banks) endorse one after another; returns the receipts. */
  async endorseBy(members?: readonly Signer[] | number): Promise<ContractTransactionReceipt[]> {
    const out: ContractTransactionReceipt[] = [];
    for (const m of await this.resolve(members)) out.push((await (await this.endorse(m)).wait())!);
    return out;
  }

  /** `members` object one after another. */
  async objectBy(members: readonly Signer[]): Promise<ContractTransactionReceipt[]> {
    const out: ContractTransactionReceipt[] = [];
    for (const m of members) out.push((await (await this.object(m)).wait())!);
    return out;
  }

  /** Voting path end to end: propose, then endorsements (default: exactly a quorum). */
  async commitByVotes(members?: readonly Signer[] | number): Promise<ContractTransactionReceipt[]> {
    const proposed = (await (await this.propose()).wait())!;
    return [proposed, ...(await this.endorseBy(members))];
  }

  /** Moves the clock to `offset` seconds past the deadline (the next block's timestamp). */
  async passDeadline(offset = 1n): Promise<void> {
    await time.increaseTo((await this.ensureDeadline()) + offset);
  }

  async state(): Promise<ProposalState> {
    return Number((await this.helper.ledger.proposalInfo(this.id)).state) as ProposalState;
  }

  private async resolve(endorsers?: readonly Signer[] | number): Promise<readonly Signer[]> {
    if (endorsers !== undefined && typeof endorsers !== "number") return endorsers;
    const count = endorsers ?? (await currentQuorum(this.helper.ledger));
    return othersOf(this.helper, this.proposer, count);
  }
}

/** Drives records through the ledger on behalf of several members (cf. OpenZeppelin's GovernorHelper). */
export class LedgerHelper {
  constructor(
    readonly ledger: EvidenceLedger,
    readonly domain: TypedDataDomain,
    readonly banks: Actor[],
  ) {}

  static from(fx: LedgerContext): LedgerHelper {
    return new LedgerHelper(fx.ledger, fx.domain, fx.banks);
  }

  /** A flow for `record` proposed by `proposer`. */
  flow(record: RecordInput, proposer: Actor, deadline?: bigint): RecordFlow {
    return new RecordFlow(this, record, proposer, deadline);
  }

  /** A flow for a fresh record extending `subject`'s current head. */
  async next(subject: string, proposer: Actor, opts: Omit<RecordOptions, "prev"> = {}): Promise<RecordFlow> {
    return this.flow(await nextRecord(this.ledger, subject, opts), proposer);
  }

  quorum(): Promise<number> {
    return currentQuorum(this.ledger);
  }

  others(proposer: Actor, count?: number): Promise<Actor[]> {
    return othersOf(this, proposer, count);
  }
}

/** Mirror of `IMembership.ChangeState`. */
export enum ChangeState {
  None = 0,
  Open = 1,
  Executed = 2,
  Rejected = 3,
}

/** Walks membership changes through the banks' majority vote. */
export class MembershipHelper {
  constructor(
    readonly ledger: EvidenceLedger,
    readonly banks: Actor[],
  ) {}

  static from(fx: Pick<LedgerFixture, "ledger" | "banks">): MembershipHelper {
    return new MembershipHelper(fx.ledger, fx.banks);
  }

  /** `proposer` proposes a change; returns the transaction and the new change's id. */
  async propose(
    proposer: Signer,
    action: MembershipAction,
    account: string,
    admit: { role?: Role; name?: string; encryptionKey?: string } = {},
  ): Promise<{ tx: ContractTransactionResponse; id: bigint }> {
    const tx = await this.ledger
      .connect(proposer)
      .proposeChange(
        action,
        account,
        admit.role ?? Role.None,
        admit.name ?? "",
        admit.encryptionKey ?? (action === MembershipAction.Admit ? encryptionKeyFor(account) : "0x"),
      );
    await tx.wait();
    return { tx, id: await this.ledger.changeCount() };
  }

  /** Eligible banks approve change `id` one by one until it is no longer open. */
  async pass(id: bigint, skip: readonly string[] = []): Promise<void> {
    const skipped = new Set(skip.map((a) => a.toLowerCase()));
    for (const bank of this.banks) {
      const change = await this.ledger.changeInfo(id);
      if (Number(change.state) !== ChangeState.Open) return;
      if (skipped.has(bank.address.toLowerCase())) continue;
      if (!(await this.ledger.isVotingMember(bank.address))) continue;
      if (await this.ledger.hasVotedOnChange(id, bank.address)) continue;
      await (await this.ledger.connect(bank).voteChange(id, true)).wait();
    }
    if (Number((await this.ledger.changeInfo(id)).state) === ChangeState.Open)
      throw new Error(`change ${id} did not pass`);
  }

  /** Proposes and passes a change; the proposer is the first active bank other than `account`. */
  async execute(
    action: MembershipAction,
    account: string,
    admit: { role?: Role; name?: string; encryptionKey?: string } = {},
  ): Promise<bigint> {
    const proposer = await this.firstBank(account);
    const { id } = await this.propose(proposer, action, account, admit);
    await this.pass(id, [account]);
    return id;
  }

  admit(account: string, role: Role, name = "New Member", encryptionKey?: string): Promise<bigint> {
    return this.execute(MembershipAction.Admit, account, { role, name, encryptionKey });
  }

  remove(account: string): Promise<bigint> {
    return this.execute(MembershipAction.Remove, account);
  }

  enableModule(module: string): Promise<bigint> {
    return this.execute(MembershipAction.EnableModule, module);
  }

  disableModule(module: string): Promise<bigint> {
    return this.execute(MembershipAction.DisableModule, module);
  }

  private async firstBank(except: string): Promise<Actor> {
    for (const b of this.banks) {
      if (b.address.toLowerCase() !== except.toLowerCase() && (await this.ledger.isVotingMember(b.address))) return b;
    }
    throw new Error("no active bank to propose");
  }
}

// ------------------------------------------------------------------ small utilities

export function addressOf(a: string | Actor): string {
  return typeof a === "string" ? a : a.address;
}

/** Sorts actors by address, ascending (the order the ledger wants signatures in). */
export function byAddress<T extends { address: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

/** `n` as a bytes32 word (e.g. a batch's leaf count in `attrs`). */
export function word(n: bigint | number): string {
  return zeroPadValue(toBeHex(n), 32);
}

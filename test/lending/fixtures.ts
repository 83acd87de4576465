/**
 * Lending fixtures, layered on the consortium fixture:
 *   1. `lendingFixture`: ledger (1 lead bank, 4 partners, arbitrator, regulator) with the lending
 *      modules deployed by `deployLending`, genesis sealed, banks holding settlement money, typed
 *      client nodes for every bank. `customLendingFixture(params)` does the same with other
 *      parameters (or a court bound to a test account).
 *   2. `admittedFixture`: plus one whitelisted borrower holding some money.
 *   3. `activeLoanFixture`: plus one loan originated, fully funded by two partners and disbursed.
 * Raw helpers sign records without the client reviewers, to exercise the contracts' own checks.
 */
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ContractTransactionReceipt, MaxUint256, keccak256, toUtf8Bytes } from "ethers";
import { AddressBook } from "../../clients/core/addressBook";
import { attrsHash } from "../../clients/core/records";
import { RecordInput, Subject, ZERO_HASH, kindName } from "../../clients/core/types";
import {
  Assent,
  BorrowerClient,
  DEFAULT_SHARES,
  LeadBankNode,
  LendingParams,
  LoanTermsInput,
  Originated,
  PartnerBankNode,
  assentDomain,
  cny,
  deployLending,
  lendingParams,
  pseudonymOf,
  signAssent,
  useCategory,
} from "../../clients/lending";
import type { RecordAttrs } from "../../clients/core/node";
import { ChainEntry, rebuildChain } from "../helpers/chain";
import {
  Actor,
  LedgerFixture,
  byAddress,
  deployLedgerFixture,
  endorseRecord,
  issuedAtFor,
  fixtureAddressBook,
  makeRecord,
} from "../helpers/consortium";

/** The consortium secret of the test consortium (never on chain). */
export const TEST_SECRET = keccak256(toUtf8Bytes("colend.test.consortium-secret"));

/** Demo-like borrowers: the personal data the chain must never see. */
export const DEMO_PEOPLE = [
  { name: "张伟", idNumber: "110101199003074515" },
  { name: "李娜", idNumber: "31010419851120002X" },
  { name: "王芳", idNumber: "440305199208150021" },
  { name: "刘强", idNumber: "510104198807240036" },
] as const;

/** Money every bank starts with. */
export const BANK_FLOAT = cny(50_000_000);

export const CATEGORY = useCategory("building-materials");

export interface LendingFixture extends LedgerFixture {
  params: LendingParams;
  book: AddressBook;
  token: Awaited<ReturnType<typeof deployLending>>["token"];
  registry: Awaited<ReturnType<typeof deployLending>>["registry"];
  loanBook: Awaited<ReturnType<typeof deployLending>>["loanBook"];
  loanUse: Awaited<ReturnType<typeof deployLending>>["loanUse"];
  lead: LeadBankNode;
  partnerNodes: PartnerBankNode[];
  /** Borrower accounts (outsiders of the consortium), with their demo identities. */
  borrowers: Actor[];
  /** A merchant account for the loan-use account. */
  payee: Actor;
  /** An account bound as the court (only in `customLendingFixture({ court: true })`). */
  court?: Actor;
}

export interface CustomOptions {
  params?: Partial<LendingParams>;
  /** Bind an EOA as the court at genesis, so tests can call the court hooks directly. */
  court?: boolean;
}

export async function deployLendingFixture(options: CustomOptions = {}): Promise<LendingFixture> {
  const fx = await deployLedgerFixture({ banks: 5, outsiders: 8, seal: false });
  const deployment = await deployLending(fx.deployer, fx.ledger, options.params ?? {});
  const [courtAccount, payee, ...borrowers] = fx.outsiders;
  if (options.court) await (await deployment.loanBook.connect(fx.deployer).bindCourt(courtAccount.address)).wait();
  await (await fx.ledger.connect(fx.deployer).sealGenesis()).wait();
  const book = await fixtureAddressBook(fx, { ...deployment.addresses });
  const lead = new LeadBankNode("W Bank", fx.leadBank, book);
  const partnerNodes = fx.partners.map((p, i) => new PartnerBankNode(`Partner ${i + 1}`, p, book));
  for (const node of [lead, ...partnerNodes]) await node.deposit(BANK_FLOAT);
  // Each borrower's app is connected to the lead bank, which asks it to assent to its loans.
  for (const b of borrowers) await lead.connectBorrower(new BorrowerClient(b, book));
  return {
    ...fx,
    params: deployment.params,
    book,
    token: deployment.token,
    registry: deployment.registry,
    loanBook: deployment.loanBook,
    loanUse: deployment.loanUse,
    lead,
    partnerNodes,
    borrowers: borrowers.slice(0, DEMO_PEOPLE.length),
    payee,
    court: options.court ? courtAccount : undefined,
  };
}

export async function lendingFixture(): Promise<LendingFixture> {
  return deployLendingFixture();
}

const customFixtures = new Map<string, () => Promise<LendingFixture>>();

/** `deployLendingFixture(options)` behind `loadFixture` (one snapshot per distinct options). */
export function loadCustomFixture(options: CustomOptions): Promise<LendingFixture> {
  const key = JSON.stringify(options, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  let f = customFixtures.get(key);
  if (!f) {
    f = async function customLendingFixture() {
      return deployLendingFixture(options);
    };
    customFixtures.set(key, f);
  }
  return loadFixture(f);
}

/** Pseudonym of demo person `i`. */
export function pseudonym(i: number): string {
  return pseudonymOf(TEST_SECRET, DEMO_PEOPLE[i].idNumber);
}

/** Whitelists demo person `i` (account `fx.borrowers[i]`) through the lead bank client, and gives it money. */
export async function admit(
  fx: LendingFixture,
  i: number,
  requestedLimit = cny(100_000),
  score = 850,
): Promise<string> {
  const p = pseudonym(i);
  await fx.lead.admit({ pseudonym: p, account: fx.borrowers[i].address, score, requestedLimit }, fx.partnerNodes);
  await fx.lead.deposit(cny(200_000), fx.borrowers[i].address);
  await fx.token.connect(fx.borrowers[i]).approve(await fx.loanBook.getAddress(), MaxUint256);
  return p;
}

export interface AdmittedFixture extends LendingFixture {
  borrower: Actor;
  pseudonym: string;
  client: BorrowerClient;
}

export async function admittedFixture(): Promise<AdmittedFixture> {
  const fx = await loadFixture(lendingFixture);
  const p = await admit(fx, 0);
  return { ...fx, borrower: fx.borrowers[0], pseudonym: p, client: new BorrowerClient(fx.borrowers[0], fx.book) };
}

/** Terms of the standard test loan: 12,000 CNY at 12% over 10 periods of 30 days. */
export function standardTerms(p: string, overrides: Partial<LoanTermsInput> = {}): LoanTermsInput {
  return {
    pseudonym: p,
    principal: cny(12_000),
    annualRateBps: 1_200n,
    periods: 10n,
    periodDays: 30n,
    leadFundingBps: BigInt(DEFAULT_SHARES.leadFundingBps),
    leadInterestBps: BigInt(DEFAULT_SHARES.leadInterestBps),
    useCategory: ZERO_HASH,
    ...overrides,
  };
}

export interface ActiveLoanFixture extends AdmittedFixture {
  loanId: bigint;
  disbursedAt: bigint;
}

/** Originates `terms` through the lead client, has partners 0 and 1 fund 60% / 40% of the partner share, disburses. */
export async function openLoan(
  fx: LendingFixture,
  terms: LoanTermsInput,
  disburse = true,
): Promise<{ loanId: bigint; disbursedAt: bigint; originated: Originated }> {
  const o = await fx.lead.originate(
    {
      pseudonym: terms.pseudonym,
      principal: terms.principal,
      annualRateBps: terms.annualRateBps,
      periods: Number(terms.periods) as 5 | 10 | 20,
      periodDays: terms.periodDays,
      leadFundingBps: terms.leadFundingBps,
      leadInterestBps: terms.leadInterestBps,
      useCategory: terms.useCategory,
    },
    fx.partnerNodes,
  );
  const first = (o.partnersAmount * 3n) / 5n;
  await fx.partnerNodes[0].commitFunding(o.loanId, first);
  await fx.partnerNodes[1].commitFunding(o.loanId);
  if (!disburse) return { loanId: o.loanId, disbursedAt: 0n, originated: o };
  await fx.lead.disburse(o.loanId);
  return { loanId: o.loanId, disbursedAt: BigInt(await time.latest()), originated: o };
}

export async function activeLoanFixture(): Promise<ActiveLoanFixture> {
  const fx = await loadFixture(admittedFixture);
  const { loanId, disbursedAt } = await openLoan(fx, standardTerms(fx.pseudonym));
  return { ...fx, loanId, disbursedAt };
}

/** A record signed by a quorum of the proposer's peers, without any reviewer check. */
export async function rawSigned(
  fx: LendingFixture,
  proposer: Actor,
  subject: string,
  kind: string,
  attrs: RecordAttrs | string,
): Promise<{ record: RecordInput; issuedAt: bigint; deadline: bigint; signatures: string }> {
  const record = makeRecord(subject, {
    kind,
    prev: await fx.ledger.headOf(subject),
    attrs: typeof attrs === "string" ? attrs : attrsHash(attrs.types, attrs.values),
  });
  const deadline = BigInt(await time.latest()) + 3_600n;
  const others = byAddress(fx.banks.filter((b) => b.address !== proposer.address)).slice(0, 3);
  const signatures = await endorseRecord(fx.ledger, fx.domain, record, proposer, others, deadline);
  return { record, issuedAt: issuedAtFor(deadline), deadline, signatures };
}

/** The borrower's raw assent to a loan contract record (signed by `signer`, valid an hour by default). */
export async function rawAssent(
  fx: LendingFixture,
  record: RecordInput,
  signer: Actor,
  deadline?: bigint,
): Promise<Assent> {
  const domain = assentDomain(fx.chainId, await fx.loanBook.getAddress());
  return signAssent(signer, domain, record.attrs, record.contentHash, deadline ?? BigInt(await time.latest()) + 3_600n);
}

/** The borrower signer among the fixture's borrowers with `account` (the first one if none). */
export function borrowerSigner(fx: LendingFixture, account: string): Actor {
  return fx.borrowers.find((b) => b.address.toLowerCase() === account.toLowerCase()) ?? fx.borrowers[0];
}

/** The loan subject's raw signed record for `kind`. */
export async function rawLoanRecord(fx: LendingFixture, loanId: bigint, kind: string, attrs: RecordAttrs | string) {
  return rawSigned(fx, fx.leadBank, Subject.loan(loanId), kind, attrs);
}

/** Timestamp of the block that mined `receipt`. */
export async function blockTime(receipt: ContractTransactionReceipt | null): Promise<bigint> {
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return BigInt(block!.timestamp);
}

/** Sets the next block's timestamp to `at` (so a transaction lands exactly then). */
export async function nextBlockAt(at: bigint): Promise<void> {
  await time.setNextBlockTimestamp(at);
}

/** `subject`'s evidence chain, rebuilt from logs and verified link by link. */
export async function chainOf(fx: LendingFixture, subject: string): Promise<ChainEntry[]> {
  return (await rebuildChain(fx.ledger, fx.domain, subject)).entries;
}

/** The kind names along `subject`'s verified chain. */
export async function chainKinds(fx: LendingFixture, subject: string): Promise<string[]> {
  return (await chainOf(fx, subject)).map((e) => kindName(e.record.kind));
}

/** Awaits `promise` and checks it failed with a message matching `pattern` (and of `type`, if given). */
export async function expectRejection(
  promise: Promise<unknown>,
  pattern: RegExp,
  type?: new (...args: never[]) => Error,
): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    if (type && !(e instanceof type))
      throw new Error(`expected ${type.name}, got ${(e as Error).name}: ${(e as Error).message}`);
    if (!pattern.test((e as Error).message))
      throw new Error(`error "${(e as Error).message}" does not match ${pattern}`);
    return e as Error;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}

export { cny, lendingParams };

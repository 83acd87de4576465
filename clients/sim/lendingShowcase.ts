import { keccak256, toUtf8Bytes } from "ethers";
import type { Signer } from "ethers";
import type { AddressBook } from "../core/addressBook";
import {
  BiometricService,
  BorrowerClient,
  CNY,
  DrawdownContext,
  DrawdownGuard,
  DrawdownResponder,
  LeadBankNode,
  LoanMonitor,
  PartnerBankNode,
  ProtectionFailed,
  SmsGateway,
  contextPseudonyms,
  institutionId,
  pseudonymOf,
  useCategory,
} from "../lending";
import type { DocumentStore } from "../store";
import { formatMoney, formatTable } from "./table";

/**
 * What the demo shows after its months of lending (issue 10, client side), on the same chain with
 * borrowers of its own: drawdowns at each tier of transaction protection and one stopped; a line
 * re-evaluated (cut, then closed) after new outside loans; a delinquent borrower of the run applying
 * again and refused; spending from a loan-use account, with one payee refused. Every loan it opens
 * is repaid (or cancelled) before it ends, so the run's book and figures are as they were.
 */
export interface LendingShowcase {
  protection: {
    loanId: string;
    deviations: string[];
    tier: string;
    outcome: "disbursed" | "refused";
    reason?: string;
    protectionHash?: string;
    /** Content hash of the endorsed DisbursementReceipt record. */
    receipt?: string;
  }[];
  monitoring: {
    trigger: string;
    /** Institutions with an active loan to the borrower when re-evaluated (registry). */
    institutions: number;
    action: string;
    limitBefore: string;
    limitAfter: string;
    reasons: string[];
  }[];
  reapplication: { loanId: string; delinquent: boolean; refused: boolean; reason: string } | null;
  loanUse: {
    loanId: string;
    category: string;
    spends: { payee: string; approved: boolean; amount: string; outcome: "paid" | "refused"; reason?: string }[];
    /** What was left in the account after the refused spend (unchanged by it). */
    balanceAfter: string;
  };
  /** Every loan the showcase opened is repaid or cancelled. */
  settled: boolean;
}

export interface ShowcaseContext {
  lead: LeadBankNode;
  partners: PartnerBankNode[];
  book: AddressBook;
  /** A wallet for a named outsider (borrower or payee) of the run. */
  wallet(label: string): Signer & { address: string };
  consortiumSecret: string;
  /** The lead's document store (protection profiles, disbursement receipts). */
  store: DocumentStore;
  /** A borrower of the run that defaulted, with the score it was admitted on (if any). */
  defaulted?: { loanId: bigint; score: number };
  log(line: string): void;
}

/** The borrower's phone: SMS codes sent to its (pseudonymous) number arrive here. */
class SimulatedPhones implements SmsGateway {
  private readonly inbox = new Map<string, string>();
  async send(phone: string, text: string): Promise<void> {
    this.inbox.set(phone, text);
  }
  code(phone: string): string | undefined {
    return /is (\d{6})/.exec(this.inbox.get(phone) ?? "")?.[1];
  }
}

/** The bank's face recognition: a sample matches the template enrolled for the pseudonym. */
class EnrolledFaces implements BiometricService {
  readonly templates = new Map<string, string>();
  async matches(pseudonym: string, sample: Uint8Array): Promise<boolean> {
    return this.templates.get(pseudonym) === keccak256(sample);
  }
}

const USUAL: DrawdownContext = { device: "phone A (app 5.2)", place: "Guangzhou, Tianhe", phone: "+86 138 0000 0001" };
const TERMS = { annualRateBps: 1_200, periods: 5 as const, periodDays: 30 };

export async function runLendingShowcase(c: ShowcaseContext): Promise<LendingShowcase> {
  const { lead, partners } = c;
  const peers = partners;
  const phones = new SimulatedPhones();
  const faces = new EnrolledFaces();
  const guard = new DrawdownGuard(lead, { secret: c.consortiumSecret, store: c.store, sms: phones, biometrics: faces });
  const opened: { loanId: bigint; client: BorrowerClient }[] = [];

  /** A new borrower of the showcase: whitelisted, its usual values and face enrolled, some money of its own. */
  const newBorrower = async (label: string, requestedLimit: bigint) => {
    const wallet = c.wallet(`showcase.${label}`);
    const pseudonym = pseudonymOf(c.consortiumSecret, `SHOWCASE-${label}`);
    const admitted = await lead.admit({ pseudonym, account: wallet.address, score: 850, requestedLimit }, peers);
    guard.enroll(pseudonym, USUAL);
    faces.templates.set(pseudonym, keccak256(toUtf8Bytes(`face of ${label}`)));
    await lead.deposit(5_000n * CNY, wallet.address);
    return { wallet, pseudonym, limit: admitted.limit, client: new BorrowerClient(wallet, c.book), label };
  };
  type Borrower = Awaited<ReturnType<typeof newBorrower>>;
  /** Originates and funds a loan (the first partner takes the partners' share). */
  const fundedLoan = async (b: Borrower, principal: bigint, category?: string) => {
    const o = await lead.originate(
      { pseudonym: b.pseudonym, principal, ...TERMS, useCategory: category, borrower: b.client },
      peers,
    );
    await partners[0].commitFunding(o.loanId);
    return o.loanId;
  };
  const app = (b: Borrower, o: { code?: string; face?: string } = {}): DrawdownResponder => ({
    oneTimeCode: async () => o.code ?? phones.code(contextPseudonyms(c.consortiumSecret, USUAL).phone),
    biometricSample: async () => toUtf8Bytes(o.face ?? `face of ${b.label}`),
  });

  // ------------------------------------------------------------ drawdowns at each protection tier
  const protection: LendingShowcase["protection"] = [];
  const p = await newBorrower("protection", 150_000n * CNY);
  const drawdowns: [Partial<DrawdownContext>, { code?: string; face?: string }][] = [
    [{}, {}],
    [{ device: "tablet B (app 5.2)" }, {}],
    [{ phone: "+86 139 1234 5678" }, {}],
    [{ place: "Urumqi" }, { code: "000000" }],
  ];
  for (const [change, answers] of drawdowns) {
    const loanId = await fundedLoan(p, 2_000n * CNY);
    const context = { ...USUAL, ...change };
    const { tier, deviations } = guard.assess(p.pseudonym, context);
    try {
      const d = await guard.disburse(loanId, context, app(p, answers), peers);
      opened.push({ loanId, client: p.client });
      protection.push({
        loanId: String(loanId),
        deviations,
        tier,
        outcome: "disbursed",
        protectionHash: d.protectionHash,
        receipt: d.record.contentHash,
      });
    } catch (e) {
      if (!(e instanceof ProtectionFailed)) throw e;
      protection.push({ loanId: String(loanId), deviations, tier, outcome: "refused", reason: e.message });
      // Nothing was disbursed: the lead cancels the loan and the partner takes its money back.
      await lead.cancel(loanId);
      await partners[0].withdrawCommitment(loanId);
    }
  }
  for (const d of protection) {
    c.log(
      `protection: loan ${d.loanId} from ${d.deviations.join(" and ") || "the usual device, place and phone"}: ` +
        `${d.tier === "none" ? "no check" : d.tier}, ${d.outcome}${d.reason ? ` (${d.reason})` : ""}`,
    );
  }

  // ------------------------------------------------------------ monitoring after the loan
  const monitoring: LendingShowcase["monitoring"] = [];
  const { registry } = lead.lending;
  const monitor = new LoanMonitor(
    lead,
    peers,
    async () => ({ score: 850, onTimeMonths: 0 }),
    (await lead.signer.provider!.getBlockNumber()) + 1,
  );
  const report = (n: number) =>
    partners[1].reportOutsideLoan(
      {
        pseudonym: p.pseudonym,
        institution: institutionId(`Outside Lender ${n}`),
        amount: 30_000n * CNY,
        active: true,
      },
      [lead, ...partners.filter((x) => x !== partners[1])],
    );
  for (const batch of [[1], [2, 3]]) {
    for (const n of batch) await report(n);
    for (const r of await monitor.scan()) {
      const head = await registry.multiHead(r.pseudonym);
      monitoring.push({
        trigger: r.trigger,
        institutions: Number(head.institutions),
        action: r.action,
        limitBefore: r.limitBefore.toString(),
        limitAfter: r.limitAfter.toString(),
        reasons: r.decision.reasons,
      });
      c.log(
        `monitoring: ${r.trigger} (${head.institutions} institutions): ${r.action}, limit ${r.limitBefore / CNY} → ${r.limitAfter / CNY} CNY`,
      );
    }
  }

  // ------------------------------------------------------------ a delinquent borrower applies again
  let reapplication: LendingShowcase["reapplication"] = null;
  if (c.defaulted) {
    const loan = await lead.lending.loanBook.loanInfo(c.defaulted.loanId);
    const application = {
      pseudonym: loan.pseudonym,
      account: loan.borrower,
      score: c.defaulted.score,
      requestedLimit: 20_000n * CNY,
    };
    const { delinquent } = await lead.decisionInputs(application);
    try {
      await lead.reevaluate(application, peers);
      reapplication = { loanId: String(c.defaulted.loanId), delinquent, refused: false, reason: "approved" };
    } catch (e) {
      const reason = (e as Error).message;
      if (!reason.startsWith("credit declined")) throw e;
      reapplication = { loanId: String(c.defaulted.loanId), delinquent, refused: true, reason };
    }
    c.log(
      `re-application: the borrower of defaulted loan ${c.defaulted.loanId} applies again: ${reapplication.refused ? `refused (${reapplication.reason})` : "approved"}`,
    );
  }

  // ------------------------------------------------------------ the loan-use account
  const category = "building-materials";
  const u = await newBorrower("loan-use", 50_000n * CNY);
  const supplier = c.wallet("showcase.payee.cement-supplier").address;
  const stranger = c.wallet("showcase.payee.cash-out-shop").address;
  await lead.approvePayee(supplier, useCategory(category));
  const useLoan = await fundedLoan(u, 5_000n * CNY, useCategory(category));
  await guard.disburse(useLoan, USUAL, app(u), peers);
  opened.push({ loanId: useLoan, client: u.client });
  const spends: LendingShowcase["loanUse"]["spends"] = [];
  await u.client.spend(useLoan, supplier, 2_000n * CNY, "invoice 117: cement, 40 t");
  spends.push({ payee: supplier, approved: true, amount: (2_000n * CNY).toString(), outcome: "paid" });
  const { loanUse } = lead.lending;
  const before = (await loanUse.accountOf(useLoan)).balance;
  try {
    await u.client.spend(useLoan, stranger, 500n * CNY, "cash");
    throw new Error("a payee the lead never approved was paid from a loan-use account");
  } catch (e) {
    const reason = revertName(e);
    if (reason !== "PayeeNotApproved") throw e;
    spends.push({ payee: stranger, approved: false, amount: (500n * CNY).toString(), outcome: "refused", reason });
  }
  const balanceAfter = (await loanUse.accountOf(useLoan)).balance;
  if (balanceAfter !== before) throw new Error("the refused spend moved money");
  c.log(
    `loan use: loan ${useLoan} pays its approved supplier 2,000 CNY; a payment to an unapproved payee is refused (PayeeNotApproved), ${balanceAfter / CNY} CNY left`,
  );
  // The borrower sends back what it did not spend.
  await u.client.returnToLenders(useLoan, balanceAfter);

  // ------------------------------------------------------------ every showcase loan repaid
  for (const o of opened) await o.client.payOff(o.loanId);
  let settled = true;
  for (const o of opened) {
    if ((await lead.lending.loanBook.loanInfo(o.loanId)).outstanding !== 0n) settled = false;
  }
  return {
    protection,
    monitoring,
    reapplication,
    loanUse: { loanId: String(useLoan), category, spends, balanceAfter: balanceAfter.toString() },
    settled,
  };
}

/** The custom error a reverted call names (ethers puts it on the error it throws). */
function revertName(e: unknown): string | undefined {
  const x = e as { revert?: { name?: string }; message?: string };
  if (x.revert?.name) return x.revert.name;
  return /PayeeNotApproved/.exec(x.message ?? "")?.[0];
}

/** The showcase as the printed report's section. */
export function formatShowcase(s: LendingShowcase): string[] {
  const cny = (units: string): string => formatMoney(BigInt(units), 2);
  const title = "During and after the loan: protection, monitoring, re-application, loan use";
  const out = ["", title, "=".repeat(title.length)];
  out.push(
    formatTable(
      [
        { header: "drawdown (loan)", align: "right" },
        { header: "differs from usual" },
        { header: "check" },
        { header: "outcome" },
        { header: "protection hash in the DisbursementReceipt" },
      ],
      s.protection.map((d) => [
        d.loanId,
        d.deviations.join(", ") || "nothing",
        d.tier,
        d.outcome === "refused" ? `refused: ${d.reason}` : "disbursed",
        d.protectionHash ? `${d.protectionHash.slice(0, 18)}…` : "-",
      ]),
    ),
  );
  out.push("");
  out.push(
    formatTable(
      [
        { header: "re-evaluation" },
        { header: "institutions", align: "right" },
        { header: "action" },
        { header: "limit before (CNY)", align: "right" },
        { header: "after (CNY)", align: "right" },
      ],
      s.monitoring.map((m) => [m.trigger, String(m.institutions), m.action, cny(m.limitBefore), cny(m.limitAfter)]),
    ),
  );
  out.push("");
  out.push(
    s.reapplication
      ? `  delinquent borrower of loan ${s.reapplication.loanId} applies again: ${s.reapplication.refused ? "REFUSED" : "approved"} (${s.reapplication.reason})`
      : "  no borrower defaulted in this run: no re-application to show",
  );
  for (const sp of s.loanUse.spends) {
    out.push(
      `  loan-use account of loan ${s.loanUse.loanId} (${s.loanUse.category}): ${cny(sp.amount)} CNY to ${sp.approved ? "an approved" : "an unapproved"} payee ${sp.payee.slice(0, 10)}…: ${sp.outcome}${sp.reason ? ` (${sp.reason})` : ""}`,
    );
  }
  out.push(`  every showcase loan repaid or cancelled: ${s.settled ? "yes" : "NO"}`);
  return out;
}

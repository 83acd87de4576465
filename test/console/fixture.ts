import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeBytes32String, hexlify, toUtf8Bytes } from "ethers";
import { ArbitratorNode, discloseToArbitrator, fileStatement, openCase } from "../../clients/arbitration";
import { caseDocuments } from "../../clients/evidence";
import { ArbitrationCourt__factory } from "../../typechain-types";
import { ArbitratorDesk, BankDesk, DirectoryInbox } from "../../clients/console/adapter";
import { newSalt } from "../../clients/core/records";
import { Kind, Subject } from "../../clients/core/types";
import { BorrowerClient, cny, encodeDocument } from "../../clients/lending";
import {
  DisclosurePackage,
  DocumentStore,
  documentAad,
  manifestHash,
  newKey,
  seal,
  wrapForRecipient,
} from "../../clients/store";
import { deployDefaultedLoan } from "../arbitration/defaultedLoan";
import { encryptionPrivateKey } from "../arbitration/fixture";
import { admit, openLoan, standardTerms } from "../lending/fixtures";

const DAY = 86_400n;
const SECRET = "0x" + "5c".repeat(32);
/** What the claimant claims in case 1: more than the 12,000 CNY loan's payoff the evidence supports. */
export const CLAIMED = cny(20_000);
/** The consortium's provision rate for substandard loans in this fixture (the default is 2,500). */
export const SUBSTANDARD_BPS = 3_000;

/**
 * A consortium on the real contracts (substandard loans provisioned at 30%) with everything both
 * consoles show:
 *   - loan 1 defaulted (lead + partners 1 and 2), then classified substandard;
 *   - loan 2 performing, its first installment paid, so its funders have money to claim;
 *   - a forged outside-loan report from the lead that every partner refused, with its reason;
 *   - case 1 on loan 1, filed by partner 1 with a claim of 20,000 CNY (more than the evidence
 *     supports), assigned to the arbitrator, with a full disclosure in two packages in the
 *     arbitrator's inbox: every document behind the case as it is (`caseDocuments`: the borrower's
 *     credit decision, the loan contract, default notice and collection step, the claim and a
 *     statement), and the reminder notice doctored (backdated) before it was sealed.
 */
export async function consoleFixture() {
  // The lead keeps every document behind its loans and shares them with its co-lenders: the
  // claimant (partner 1) discloses from the same store.
  const store = DocumentStore.open(":memory:", SECRET);
  // A consortium that provisions above the central bank's floor (substandard 30%, not 25%): the
  // bank's console must show the loan book's rates, not a copy of the defaults.
  const { fx, arbitration, pseudonym, loanId } = await deployDefaultedLoan({
    store,
    params: { provisionSubstandardBps: SUBSTANDARD_BPS },
  });
  const { lead, partnerNodes, book } = fx;

  // A performing loan whose first installment is paid: its partners can claim their share.
  const second = await admit(fx, 1);
  const loan2 = await openLoan(fx, standardTerms(second));
  await time.increaseTo(loan2.disbursedAt + 30n * DAY);
  await new BorrowerClient(fx.borrowers[1], book).payDue(loan2.loanId);

  // The defaulted loan ages into substandard.
  await time.increase(35n * DAY);
  await lead.classify(loanId);

  // The lead reports an outside loan that makes no sense; every partner refuses it.
  let refusal = "";
  try {
    await lead.reportOutsideLoan(
      { pseudonym, institution: encodeBytes32String("Other Bank"), amount: 0n, active: true },
      partnerNodes,
    );
  } catch (e) {
    refusal = (e as Error).message;
  }
  if (!refusal) throw new Error("fixture: the forged report was endorsed");

  // Partner 1 files case 1 and discloses.
  const claimant = partnerNodes[0];
  const peers = [lead, ...partnerNodes.slice(1)];
  const claim = encodeDocument({
    type: "Claim",
    loanId,
    claimant: await claimant.address(),
    amountClaimed: CLAIMED,
    grounds: "installments unpaid after the reminder; the borrower was declared in default",
  });
  const filed = await openCase({ bank: claimant, peers, loanId, arbitrator: fx.arbitrator.address, claim, store });
  await fileStatement({
    bank: claimant,
    peers,
    caseId: filed.caseId,
    document: toUtf8Bytes("Statement: the repayment schedule and the unanswered reminder are on the loan's chain."),
    store,
  });
  const inbox = fs.mkdtempSync(path.join(os.tmpdir(), "colend-console-inbox-"));
  // Every document behind the case but the reminder notice, as it is.
  const loanSubject = Subject.loan(loanId);
  const notice = store.listBySubject(loanSubject).find((d) => d.kind === Kind.Reminder)!.contentHash;
  const everything = caseDocuments(store, loanId, pseudonym, filed.caseId);
  const genuine = await discloseToArbitrator({
    bank: claimant,
    store,
    caseId: filed.caseId,
    contentHashes: everything.filter((h) => h !== notice),
  });
  fs.writeFileSync(path.join(inbox, "1-full-disclosure.json"), JSON.stringify(genuine.package));

  // The reminder notice doctored (backdated): sealed and wrapped like a real disclosure, recorded on chain.
  const doctored = toUtf8Bytes("SMS: installment 1 is overdue (notice backdated: sent ten days before it fell due)");
  const forged = sealedItem({
    chainId: BigInt(genuine.package.chainId),
    ledger: genuine.package.ledger,
    court: book.court!,
    caseId: filed.caseId,
    contentHash: notice,
    subject: loanSubject,
    kind: Kind.Reminder,
    document: doctored,
    recipientKey: await fx.ledger.encryptionKeyOf(fx.arbitrator.address),
  });
  const forgedPackage: DisclosurePackage = { ...genuine.package, items: [forged] };
  const court = ArbitrationCourt__factory.connect(book.court!, fx.partners[0]);
  await (await court.recordDisclosure(filed.caseId, manifestHash(forgedPackage))).wait();
  fs.writeFileSync(path.join(inbox, "2-reminder.json"), JSON.stringify(forgedPackage));

  // An arbitrator's desk on the inbox, for a member with its own key and data folder.
  const deskOf = (name: string, member: typeof fx.arbitrator, dataDir: string) => {
    const key = encryptionPrivateKey(member.address);
    const node = new ArbitratorNode(name, member, book, DocumentStore.open(":memory:", SECRET), key);
    return new ArbitratorDesk(node, key, new DirectoryInbox(inbox), dataDir);
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-console-data-"));
  const arbitratorDesk = deskOf("Arbitration Commission 1", fx.arbitrator, dataDir);
  // A member that is not the case's arbitrator, with a console of its own.
  const otherDesk = deskOf("Regulator 1", fx.regulator, fs.mkdtempSync(path.join(os.tmpdir(), "colend-console-data-")));
  const bankDesk = new BankDesk(claimant);
  return {
    fx,
    arbitration,
    court,
    loanId,
    loan2: loan2.loanId,
    caseId: filed.caseId,
    pseudonym,
    disclosed: everything,
    refusal,
    claimant,
    arbitratorDesk,
    otherDesk,
    bankDesk,
    inbox,
    dataDir,
  };
}

/** One disclosure item holding `document` (whatever it says) under `contentHash`, wrapped to `recipientKey`. */
function sealedItem(a: {
  chainId: bigint;
  ledger: string;
  court: string;
  caseId: bigint;
  contentHash: string;
  subject: string;
  kind: string;
  document: Uint8Array;
  recipientKey: string;
}): DisclosurePackage["items"][number] {
  const dataKey = newKey();
  const payload = new Uint8Array([...newSalt(), ...a.document]);
  const sealed = seal(dataKey, payload, documentAad(a.contentHash, a.subject, a.kind));
  return {
    contentHash: a.contentHash,
    subject: a.subject,
    kind: a.kind,
    document: { iv: hexlify(sealed.iv), ciphertext: hexlify(sealed.ciphertext), tag: hexlify(sealed.tag) },
    key: wrapForRecipient(a.recipientKey, dataKey, {
      chainId: a.chainId,
      ledger: a.ledger,
      court: a.court,
      caseId: a.caseId,
      contentHash: a.contentHash,
    }),
  };
}

/**
 * No personal data on chain: runs the whole lending business for demo-like borrowers (Chinese
 * names, 18-character resident identity numbers), then scans every transaction's input and
 * every log of every block for the names and identity numbers, raw or hashed with plain
 * keccak256 or sha256 (what an unkeyed design would leak). Only the keyed pseudonyms appear.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { keccak256, sha256, toBeHex, toUtf8Bytes, hexlify } from "ethers";
import { BorrowerClient, DAY, cny, institutionId, normalizeIdentity, pseudonymOf } from "../../clients/lending";
import { CATEGORY, DEMO_PEOPLE, TEST_SECRET, lendingFixture, openLoan, standardTerms } from "./fixtures";

/** Every byte string that would identify a person, as lowercase hex without 0x. */
function needles(person: { name: string; idNumber: string }): Map<string, string> {
  const out = new Map<string, string>();
  const add = (label: string, hex: string) => out.set(label, hex.toLowerCase().replace(/^0x/, ""));
  for (const [what, value] of [
    ["name", person.name],
    ["id", person.idNumber],
    ["id (normalized)", normalizeIdentity(person.idNumber)],
    ["id (lower case)", person.idNumber.toLowerCase()],
  ] as const) {
    const bytes = toUtf8Bytes(value);
    add(`${what} raw`, hexlify(bytes));
    add(`${what} keccak256`, keccak256(bytes));
    add(`${what} sha256`, sha256(bytes));
  }
  const digits = person.idNumber.replace(/\D/g, "");
  add("id digits as a number", toBeHex(BigInt(digits)));
  return out;
}

describe("No personal data on chain", function () {
  it("keeps names and identity numbers, raw or plainly hashed, out of every transaction and log", async function () {
    const fx = await loadFixture(lendingFixture);
    const peers = fx.partnerNodes;
    const pseudonyms = DEMO_PEOPLE.map((p) => pseudonymOf(TEST_SECRET, p.idNumber));

    // The business: admissions, an outside loan, loans (one restricted), repayments, a default.
    await fx.lead.reportOutsideLoan(
      { pseudonym: pseudonyms[3], institution: institutionId("Outside Bank A"), amount: cny(5_000), active: true },
      peers,
    );
    for (const [i, p] of pseudonyms.entries()) {
      await fx.lead.admit(
        { pseudonym: p, account: fx.borrowers[i].address, score: 800, requestedLimit: cny(40_000) },
        peers,
      );
      await fx.lead.deposit(cny(50_000), fx.borrowers[i].address);
    }
    await fx.lead.approvePayee(fx.payee.address, CATEGORY);
    const loans = [];
    for (const [i, p] of pseudonyms.entries()) {
      const restricted = i === 2 ? { useCategory: CATEGORY } : {};
      loans.push(await openLoan(fx, standardTerms(p, { principal: cny(6_000 + 1_000 * i), ...restricted })));
    }
    const clients = fx.borrowers.map((b) => new BorrowerClient(b, fx.book));
    await time.increase(31n * DAY);
    await clients[0].payDue(loans[0].loanId);
    await clients[1].payOff(loans[1].loanId);
    await clients[2].spend(loans[2].loanId, fx.payee.address, cny(1_000), "invoice for building materials");
    const { remindedAt } = await fx.lead.remind(loans[3].loanId, "SMS reminder");
    await time.increaseTo(remindedAt + 86_400n);
    await fx.lead.declareDefault(loans[3].loanId, peers);
    await fx.loanBook.classify(loans[3].loanId);
    for (const bank of [fx.lead, ...fx.partnerNodes]) await bank.claim();

    // The scan.
    const latest = await ethers.provider.getBlockNumber();
    const haystacks: { where: string; hex: string }[] = [];
    for (let n = 0; n <= latest; n++) {
      const block = await ethers.provider.getBlock(n, true);
      for (const tx of block!.prefetchedTransactions) {
        haystacks.push({ where: `tx ${tx.hash} input`, hex: tx.data.toLowerCase() });
        const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
        for (const log of receipt!.logs) {
          haystacks.push({
            where: `tx ${tx.hash} log ${log.index}`,
            hex: (log.topics.join("") + log.data).toLowerCase().replace(/0x/g, ""),
          });
        }
      }
    }
    expect(haystacks.length).to.be.greaterThan(100);
    for (const person of DEMO_PEOPLE) {
      for (const [label, needle] of needles(person)) {
        const hit = haystacks.find((h) => h.hex.includes(needle));
        expect(hit, `${label} of ${person.name} found in ${hit?.where}`).to.equal(undefined);
      }
    }
    // The scan does find what is there: every pseudonym, in calldata and in logs.
    for (const p of pseudonyms) {
      const needle = p.slice(2).toLowerCase();
      expect(haystacks.some((h) => h.where.endsWith("input") && h.hex.includes(needle))).to.equal(true);
      expect(haystacks.some((h) => h.where.includes("log") && h.hex.includes(needle))).to.equal(true);
    }
  });

  it("derives pseudonyms that need the consortium secret", function () {
    const id = DEMO_PEOPLE[0].idNumber;
    const p = pseudonymOf(TEST_SECRET, id);
    expect(p).to.match(/^0x[0-9a-f]{64}$/);
    expect(pseudonymOf(TEST_SECRET, ` ${id.toLowerCase()} `)).to.equal(pseudonymOf(TEST_SECRET, id.toUpperCase()));
    expect(pseudonymOf(keccak256(toUtf8Bytes("another consortium")), id)).to.not.equal(p);
    expect(p).to.not.equal(keccak256(toUtf8Bytes(id)));
    expect(p).to.not.equal(sha256(toUtf8Bytes(id)));
    expect(() => pseudonymOf("short secret", id)).to.throw(/at least 32 bytes/);
    expect(() => pseudonymOf(TEST_SECRET, "  ")).to.throw(/empty/);
  });
});

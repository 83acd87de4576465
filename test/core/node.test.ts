import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toUtf8Bytes } from "ethers";
import { AddressBook, parseAddressBook, readAddressBook, writeAddressBook } from "../../clients/core/addressBook";
import {
  Endorser,
  EndorsementRefused,
  LedgerNode,
  Proposal,
  collectEndorsements,
  proposeAndCommit,
} from "../../clients/core/node";
import { attrsHash, nextHead, recordHash } from "../../clients/core/records";
import { Kind, Role, Subject, ZERO_HASH } from "../../clients/core/types";
import { LedgerFixture, loadLedgerFixture } from "../helpers/consortium";

async function nodes(f: LedgerFixture) {
  const book: AddressBook = {
    version: 1,
    chainId: f.chainId.toString(),
    deployBlock: 0,
    ledger: await f.ledger.getAddress(),
    members: f.banks.map((b, i) => ({
      name: `bank ${i}`,
      role: i === 0 ? Role.LeadBank : Role.PartnerBank,
      address: b.address,
    })),
  };
  const [lead, ...partners] = f.banks.map((b, i) => new LedgerNode(`bank ${i}`, b, book));
  return { book, lead, partners };
}

/** Awaits `promise` and checks it rejects with a message matching `pattern` (and of `type`). */
async function expectRejection(promise: Promise<unknown>, pattern: RegExp, type?: new (...args: never[]) => Error) {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, "expected a rejection").to.be.instanceOf(type ?? Error);
  expect((error as Error).message).to.match(pattern);
}

const LIMIT_TYPES = ["bytes32", "uint256"] as const;

describe("LedgerNode and endorsement collection", () => {
  it("commits a record endorsed by a quorum of peers in one transaction", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const subject = Subject.loan(1);
    const document = toUtf8Bytes('{"loan":1,"principal":"1000000"}');
    const committed = await proposeAndCommit(lead, partners, { subject, kind: Kind.Note, document });

    expect(committed.endorsers).to.have.length(4);
    expect(committed.prev).to.equal(ZERO_HASH);
    expect(await f.ledger.headOf(subject)).to.equal(committed.head);
    const record = {
      subject,
      kind: Kind.Note,
      contentHash: committed.contentHash,
      attrs: ZERO_HASH,
      prev: ZERO_HASH,
    };
    expect(committed.head).to.equal(nextHead(ZERO_HASH, recordHash(record, f.leadBank.address)));
  });

  it("extends the subject's current head on the next proposal", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const subject = Subject.loan(2);
    const first = await proposeAndCommit(lead, partners, { subject, kind: Kind.Note, document: toUtf8Bytes("a") });
    const second = await proposeAndCommit(lead, partners, { subject, kind: Kind.Note, document: toUtf8Bytes("b") });
    expect(second.prev).to.equal(first.head);
  });

  it("lets a peer refuse data its own check rejects, and still commits with the others", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    partners[0].onReview(Kind.Note, (p: Proposal) => {
      const [, limit] = p.attrs!.values as [string, bigint];
      if (limit > 30_000_000n) throw new Error(`limit ${limit} above 300,000 CNY`);
    });
    const attrs = { types: LIMIT_TYPES, values: [Subject.loan(9), 40_000_000n] };
    const committed = await proposeAndCommit(lead, partners, {
      subject: Subject.loan(9),
      kind: Kind.Note,
      document: toUtf8Bytes("decision"),
      attrs,
    });
    expect(committed.refusals).to.have.length(1);
    expect(committed.refusals[0]).to.be.instanceOf(EndorsementRefused);
    expect(committed.refusals[0].message).to.contain("above 300,000 CNY");
    expect(committed.endorsers).to.not.include(f.partners[0].address);
  });

  it("fails with every refusal listed when quorum cannot be reached, committing nothing", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    for (const p of partners.slice(0, 3)) p.onReview(Kind.Note, () => Promise.reject(new Error("not today")));
    const subject = Subject.loan(3);
    await expectRejection(
      proposeAndCommit(lead, partners, { subject, kind: Kind.Note, document: toUtf8Bytes("x") }),
      /quorum not reached: 3 of 4 endorsements .*not today/,
    );
    expect(await f.ledger.headOf(subject)).to.equal(ZERO_HASH);
  });

  it("refuses a document that does not hash to the content hash", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const p = await lead.prepare({ subject: Subject.loan(4), kind: Kind.Note, document: toUtf8Bytes("original") });
    const altered = { ...p, document: toUtf8Bytes("altered") };
    await expectRejection(partners[0].review(altered), /document does not match/, EndorsementRefused);
  });

  it("refuses parameters that do not match the attributes hash", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const attrs = { types: LIMIT_TYPES, values: [Subject.loan(5), 100n] };
    const p = await lead.prepare({ subject: Subject.loan(5), kind: Kind.Note, document: toUtf8Bytes("d"), attrs });
    expect(p.record.attrs).to.equal(attrsHash(attrs.types, attrs.values));
    const lied = { ...p, attrs: { types: LIMIT_TYPES, values: [Subject.loan(5), 101n] } };
    await expectRejection(partners[0].review(lied), /parameters do not match/, EndorsementRefused);
  });

  it("skips the proposer among the peers and rejects a quorum larger than the peers", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const p = await lead.prepare({ subject: Subject.loan(6), kind: Kind.Note, document: toUtf8Bytes("d") });
    const collected = await collectEndorsements(p, [lead, ...partners], 6);
    expect(collected.endorsers).to.not.include(f.leadBank.address);
    await expectRejection(collectEndorsements(p, partners, 7), /6 of 7/);
  });
});

/** An endorser outside this process, as network mode has them: it only answers `endorse`. */
class RemoteEndorser implements Endorser {
  calls = 0;
  constructor(
    readonly name: string,
    private readonly claimed: string,
    private readonly answer: (p: Proposal) => Promise<string>,
  ) {}
  async address(): Promise<string> {
    return this.claimed;
  }
  async endorse(p: Proposal): Promise<string> {
    this.calls++;
    return this.answer(p);
  }
}

describe("Endorser interface", () => {
  it("commits with signatures from endorsers that are not nodes of this process", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const remotes = await Promise.all(
      partners.map(async (n) => new RemoteEndorser(`remote ${n.name}`, await n.address(), (p) => n.endorse(p))),
    );
    const subject = Subject.loan(11);
    const committed = await proposeAndCommit(lead, remotes, { subject, kind: Kind.Note, document: toUtf8Bytes("r") });
    expect(committed.endorsers).to.have.length(4);
    expect(await f.ledger.headOf(subject)).to.equal(committed.head);
    // One round of 4 requests was enough: the fifth and sixth were never asked.
    expect(remotes.map((r) => r.calls)).to.deep.equal([1, 1, 1, 1, 0, 0]);
  });

  it("counts a signature that does not recover to the endorser's address as a refusal", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    // The first remote claims partner 0's address but signs with partner 1's key.
    const liar = new RemoteEndorser("liar", await partners[0].address(), (p) => partners[1].endorse(p));
    const garbage = new RemoteEndorser("garbage", await partners[2].address(), async () => "0x1234");
    const honest = partners.slice(3);
    const p = await lead.prepare({ subject: Subject.loan(12), kind: Kind.Note, document: toUtf8Bytes("d") });
    const collected = await collectEndorsements(p, [liar, garbage, ...honest], 3, lead.domain());
    expect(collected.endorsers.map((a) => a.toLowerCase())).to.have.members(
      await Promise.all(honest.map(async (n) => (await n.address()).toLowerCase())),
    );
    expect(collected.refusals.map((r) => r.node)).to.deep.equal(["liar", "garbage"]);
    expect(collected.refusals[0].reason).to.match(/does not recover to its address/);
    // Without enough honest endorsers the proposal fails and names both.
    await expectRejection(
      collectEndorsements(p, [liar, garbage, ...honest], 4, lead.domain()),
      /3 of 4.*liar refused.*garbage refused/,
    );
  });

  it("reports an endorser's refusal with its reason and asks the next one", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const refuser = new RemoteEndorser("refuser", await partners[0].address(), async () => {
      throw new EndorsementRefused("refuser", "limit above the rule");
    });
    const p = await lead.prepare({ subject: Subject.loan(13), kind: Kind.Note, document: toUtf8Bytes("d") });
    const collected = await collectEndorsements(p, [refuser, ...partners.slice(1)], 4, lead.domain());
    expect(collected.endorsers).to.have.length(4);
    expect(collected.refusals.map((r) => `${r.node}: ${r.reason}`)).to.deep.equal(["refuser: limit above the rule"]);
  });

  it("propagates an endorser's failure that is not a refusal (e.g. a broken connection)", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const broken = new RemoteEndorser("broken", await partners[0].address(), async () => {
      throw new Error("connection reset");
    });
    const p = await lead.prepare({ subject: Subject.loan(14), kind: Kind.Note, document: toUtf8Bytes("d") });
    await expectRejection(collectEndorsements(p, [broken, ...partners.slice(1)], 4), /connection reset/);
  });

  it("asks each member once even when it is listed twice", async () => {
    const f = await loadLedgerFixture();
    const { lead, partners } = await nodes(f);
    const p = await lead.prepare({ subject: Subject.loan(15), kind: Kind.Note, document: toUtf8Bytes("d") });
    await expectRejection(collectEndorsements(p, [partners[0], partners[0], partners[1]], 3), /2 of 3/);
  });
});

describe("address book", () => {
  const good = (): AddressBook => ({
    version: 1,
    chainId: "31337",
    deployBlock: 1,
    ledger: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    members: [{ name: "W Bank", role: Role.LeadBank, address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" }],
  });

  it("round-trips through a file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-book-"));
    const file = path.join(dir, "sub", "addresses.json");
    writeAddressBook(file, good());
    expect(readAddressBook(file)).to.deep.equal(good());
  });

  it("says what is wrong with a bad book", () => {
    expect(() => parseAddressBook(null)).to.throw(/not a JSON object/);
    expect(() => parseAddressBook({ ...good(), version: 2 })).to.throw(/unsupported version 2/);
    expect(() => parseAddressBook({ ...good(), chainId: 31337 })).to.throw(/chainId/);
    expect(() => parseAddressBook({ ...good(), deployBlock: -1 })).to.throw(/deployBlock/);
    expect(() => parseAddressBook({ ...good(), ledger: "0x12" })).to.throw(/ledger is not an address/);
    expect(() => parseAddressBook({ ...good(), court: "nope" })).to.throw(/court is not an address/);
    expect(() => parseAddressBook({ ...good(), members: [{ name: "x" }] })).to.throw(/members\[0\]/);
  });

  it("says when the file is missing or not JSON", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-book-"));
    expect(() => readAddressBook(path.join(dir, "none.json"))).to.throw(/not found: deploy first/);
    fs.writeFileSync(path.join(dir, "bad.json"), "{");
    expect(() => readAddressBook(path.join(dir, "bad.json"))).to.throw(/not valid JSON/);
  });
});

describe("endorsement digest", () => {
  it("is the EIP-712 hash of the typed data, so a wallet's direct signature equals signTypedData's", async () => {
    const { TypedDataEncoder, Wallet, Signature } = await import("ethers");
    const { ENDORSEMENT_TYPES, endorsementDigest, ledgerDomain, signEndorsement } =
      await import("../../clients/core/records");
    const wallet = Wallet.createRandom();
    const domain = ledgerDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    const message = {
      subject: Subject.loan(1),
      kind: Kind.Note,
      contentHash: ZERO_HASH.replace(/0$/, "1"),
      attrs: ZERO_HASH,
      prev: ZERO_HASH,
      proposer: wallet.address,
      issuedAt: 1_699_990_000n,
      deadline: 1_700_000_000n,
    };
    expect(endorsementDigest(domain, message)).to.equal(TypedDataEncoder.hash(domain, ENDORSEMENT_TYPES, message));
    const direct = await signEndorsement(wallet, domain, message);
    const typed = Signature.from(await wallet.signTypedData(domain, ENDORSEMENT_TYPES, message)).compactSerialized;
    expect(direct.signature).to.equal(typed);
    // Another domain (another ledger) gives another digest.
    const other = ledgerDomain(31337n, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
    expect(endorsementDigest(other, message)).to.not.equal(endorsementDigest(domain, message));
  });
});

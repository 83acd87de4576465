import { expect } from "chai";
import { SigningKey, Wallet, getBytes, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { contentHash, newSalt } from "../../clients/core/records";
import { Kind, Subject } from "../../clients/core/types";
import {
  DisclosureError,
  DisclosurePackage,
  DocumentStore,
  buildDisclosure,
  manifestHash,
  newKey,
  openDisclosure,
  parseDisclosurePackage,
  sharedX,
  unwrapWithKey,
  wrapForRecipient,
} from "../../clients/store";

const ARBITRATOR_KEY = keccak256(toUtf8Bytes("colend.test.enc.arbitrator"));
const OTHER_KEY = keccak256(toUtf8Bytes("colend.test.enc.other"));
const COURT = "0x00000000000000000000000000000000000c0c07";
const LEDGER = "0x000000000000000000000000000000000001ed9e";
const ARBITRATOR = new Wallet(keccak256(toUtf8Bytes("arbitrator account"))).address;

function pub(privateKey: string): string {
  return new SigningKey(privateKey).compressedPublicKey;
}

describe("Disclosure", function () {
  const context = {
    chainId: 31337n,
    ledger: LEDGER,
    court: COURT,
    caseId: 7n,
    contentHash: contentHash(toUtf8Bytes("doc"), newSalt()),
  };

  describe("wrapping to a recipient key", function () {
    it("round-trips a data key to the recipient", function () {
      const key = newKey();
      const wrapped = wrapForRecipient(pub(ARBITRATOR_KEY), key, context);
      expect(wrapped.recipient).to.equal(pub(ARBITRATOR_KEY));
      expect(getBytes(wrapped.ephemeralKey)).to.have.length(33);
      expect(hexlify(unwrapWithKey(ARBITRATOR_KEY, wrapped, context))).to.equal(hexlify(key));
    });

    it("derives the same ECDH secret as ethers' computeSharedSecret (keys wrapped before still open)", function () {
      for (let i = 0; i < 8; i++) {
        const a = Wallet.createRandom().privateKey;
        const b = new SigningKey(Wallet.createRandom().privateKey);
        const x = getBytes(new SigningKey(a).computeSharedSecret(b.compressedPublicKey)).slice(1, 33);
        expect(hexlify(sharedX(a, b.compressedPublicKey))).to.equal(hexlify(x));
        expect(hexlify(sharedX(b.privateKey, pub(a)))).to.equal(hexlify(x));
      }
    });

    it("uses a fresh ephemeral key and IV every time", function () {
      const key = newKey();
      const a = wrapForRecipient(pub(ARBITRATOR_KEY), key, context);
      const b = wrapForRecipient(pub(ARBITRATOR_KEY), key, context);
      expect(a.ephemeralKey).to.not.equal(b.ephemeralKey);
      expect(a.ciphertext).to.not.equal(b.ciphertext);
    });

    it("refuses to open with a key it was not wrapped to", function () {
      const wrapped = wrapForRecipient(pub(ARBITRATOR_KEY), newKey(), context);
      expect(() => unwrapWithKey(OTHER_KEY, wrapped, context)).to.throw(
        DisclosureError,
        `was wrapped to key ${pub(ARBITRATOR_KEY)}, not to this key ${pub(OTHER_KEY)}`,
      );
    });

    it("fails to open when the recipient label is forged to the wrong key's own", function () {
      const wrapped = wrapForRecipient(pub(ARBITRATOR_KEY), newKey(), context);
      expect(() => unwrapWithKey(OTHER_KEY, { ...wrapped, recipient: pub(OTHER_KEY) }, context)).to.throw(
        DisclosureError,
        "not wrapped for this case, document and key",
      );
    });

    it("fails to open in another case, for another document, court, ledger or chain", function () {
      const wrapped = wrapForRecipient(pub(ARBITRATOR_KEY), newKey(), context);
      const others = [
        { ...context, chainId: 1n },
        { ...context, ledger: "0x000000000000000000000000000000000001ed9f" },
        { ...context, caseId: 8n },
        { ...context, contentHash: keccak256(toUtf8Bytes("other")) },
        { ...context, court: "0x00000000000000000000000000000000000c0c08" },
      ];
      for (const other of others) {
        expect(() => unwrapWithKey(ARBITRATOR_KEY, wrapped, other)).to.throw(DisclosureError, "cannot open the key");
      }
    });

    it("fails to open an altered ciphertext or ephemeral key", function () {
      const wrapped = wrapForRecipient(pub(ARBITRATOR_KEY), newKey(), context);
      const bytes = getBytes(wrapped.ciphertext);
      bytes[0] ^= 1;
      expect(() => unwrapWithKey(ARBITRATOR_KEY, { ...wrapped, ciphertext: hexlify(bytes) }, context)).to.throw(
        DisclosureError,
      );
      const forged = { ...wrapped, ephemeralKey: pub(OTHER_KEY) };
      expect(() => unwrapWithKey(ARBITRATOR_KEY, forged, context)).to.throw(DisclosureError);
    });

    it("rejects a recipient key that is not a compressed secp256k1 point", function () {
      const uncompressed = new SigningKey(ARBITRATOR_KEY).publicKey;
      expect(() => wrapForRecipient(uncompressed, newKey(), context)).to.throw("33-byte compressed");
      expect(() => wrapForRecipient("0x02" + "ff".repeat(32), newKey(), context)).to.throw("not a point");
    });
  });

  describe("packages", function () {
    let store: DocumentStore;
    let hashes: string[];
    const texts = ["loan contract", "disbursement receipt", "reminder of 2024-03-01, unanswered"];

    before(function () {
      store = DocumentStore.open(":memory:", hexlify(new Uint8Array(32).fill(1)));
      hashes = texts.map((t, i) => {
        const document = toUtf8Bytes(t);
        const salt = newSalt();
        return store.put({ subject: Subject.loan(1), kind: i === 0 ? Kind.LoanContract : Kind.Note, document, salt });
      });
    });

    after(function () {
      store.close();
    });

    function build(recipientKey = pub(ARBITRATOR_KEY)): DisclosurePackage {
      return buildDisclosure({
        store,
        chainId: 31337n,
        ledger: LEDGER,
        court: COURT,
        caseId: 1n,
        arbitrator: ARBITRATOR,
        recipientKey,
        contentHashes: hashes,
      });
    }

    it("opens every document for the arbitrator, each checked against its content hash", function () {
      const pkg = build();
      const opened = openDisclosure(JSON.parse(JSON.stringify(pkg)), ARBITRATOR_KEY);
      expect(opened.map((d) => new TextDecoder().decode(d.document))).to.deep.equal(texts);
      opened.forEach((d, i) => {
        expect(d.contentHash).to.equal(hashes[i]);
        expect(contentHash(d.document, d.salt)).to.equal(hashes[i]);
      });
      expect(opened[0].kind).to.equal(Kind.LoanContract);
    });

    it("carries neither the documents nor their salts in clear", function () {
      const json = JSON.stringify(build());
      for (const t of texts) expect(json).to.not.include(hexlify(toUtf8Bytes(t)).slice(2));
      for (const h of hashes) expect(json).to.not.include(hexlify(store.require(h).salt).slice(2));
    });

    it("cannot be opened by the wrong key", function () {
      expect(() => openDisclosure(build(), OTHER_KEY)).to.throw(DisclosureError, "not to this key");
    });

    it("commits to its whole content in the manifest hash", function () {
      const pkg = build();
      const hash = manifestHash(pkg);
      expect(manifestHash(JSON.parse(JSON.stringify(pkg)))).to.equal(hash);
      expect(manifestHash({ ...pkg, caseId: "2" })).to.not.equal(hash);
      expect(manifestHash({ ...pkg, items: [...pkg.items].reverse() })).to.not.equal(hash);
      expect(manifestHash({ ...pkg, items: pkg.items.slice(1) })).to.not.equal(hash);
      const altered = structuredClone(pkg);
      altered.items[1].document.tag = hexlify(new Uint8Array(16));
      expect(manifestHash(altered)).to.not.equal(hash);
      expect(manifestHash(build())).to.not.equal(hash); // fresh wrapping: a new manifest
    });

    it("detects a document relabelled with another kind or subject", function () {
      const pkg = build();
      const relabelled = structuredClone(pkg);
      relabelled.items[0].kind = Kind.Note;
      expect(() => openDisclosure(relabelled, ARBITRATOR_KEY)).to.throw(DisclosureError, "item 0");
      const moved = structuredClone(pkg);
      moved.items[2].subject = Subject.loan(2);
      expect(() => openDisclosure(moved, ARBITRATOR_KEY)).to.throw(DisclosureError, "item 2");
    });

    it("detects a document ciphertext swapped between items", function () {
      const pkg = structuredClone(build());
      [pkg.items[0].document, pkg.items[1].document] = [pkg.items[1].document, pkg.items[0].document];
      expect(() => openDisclosure(pkg, ARBITRATOR_KEY)).to.throw(DisclosureError, "item 0");
    });

    it("rejects an empty list, a repeated document and a document it does not hold", function () {
      const args = {
        store,
        chainId: 1n,
        ledger: LEDGER,
        court: COURT,
        caseId: 1n,
        arbitrator: ARBITRATOR,
        recipientKey: pub(ARBITRATOR_KEY),
      };
      expect(() => buildDisclosure({ ...args, contentHashes: [] })).to.throw("nothing to disclose");
      expect(() => buildDisclosure({ ...args, contentHashes: [hashes[0], hashes[0]] })).to.throw("listed twice");
      expect(() => buildDisclosure({ ...args, contentHashes: [keccak256("0x01")] })).to.throw("is not in store");
    });

    it("rejects a malformed package with a message naming the field", function () {
      const pkg = build();
      expect(() => parseDisclosurePackage({ ...pkg, version: 1 })).to.throw("unsupported version 1");
      expect(() => parseDisclosurePackage({ ...pkg, ledger: "0x12" })).to.throw("ledger is not an address");
      expect(() => parseDisclosurePackage({ ...pkg, court: "nope" })).to.throw("court is not an address");
      expect(() => parseDisclosurePackage({ ...pkg, items: [] })).to.throw("items must be a non-empty array");
      const broken = structuredClone(pkg) as unknown as { items: { key: Record<string, unknown> }[] };
      delete broken.items[1].key.tag;
      expect(() => parseDisclosurePackage(broken)).to.throw("items[1].key.tag is not hex");
    });
  });
});

import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, TypedDataEncoder, Wallet, concat, getAddress, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { TypesHarness__factory } from "../../typechain-types";
import {
  ENDORSEMENT_TYPES,
  attrsHash,
  compareAddresses,
  contentHash,
  ledgerDomain,
  newSalt,
  nextHead,
  packSignatures,
  recordHash,
  recoverEndorser,
  signEndorsement,
  unpackAddresses,
  unpackSignatures,
} from "../../clients/core/records";
import * as types from "../../clients/core/types";
import { KIND_NAMES, Kind, Subject, ZERO_HASH, kindName } from "../../clients/core/types";
import { MODULE_KINDS, commitRecord, ledgerFixture, makeRecord, testSubject } from "../helpers/consortium";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** Enum members declared in Solidity source, in order, keyed by enum name. */
function solidityEnums(source: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const noComments = source.replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
  for (const m of noComments.matchAll(/\benum\s+(\w+)\s*\{([^}]*)\}/g)) {
    out.set(
      m[1],
      m[2]
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );
  }
  return out;
}

/** Names of a numeric TypeScript enum, ordered by value. */
function tsEnumNames(e: Record<string, string | number>): string[] {
  return Object.entries(e)
    .filter(([, v]) => typeof v === "number")
    .sort(([, a], [, b]) => (a as number) - (b as number))
    .map(([k]) => k);
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b)));
const record = fc.record({ subject: bytes32, kind: bytes32, contentHash: bytes32, attrs: bytes32, prev: bytes32 });

describe("clients/core: records and types mirror the chain", function () {
  const fixture = ledgerFixture();

  async function harnessFixture() {
    const fx = await loadFixture(fixture);
    const harness = await new TypesHarness__factory(fx.deployer).deploy();
    return { ...fx, harness };
  }

  describe("types", function () {
    it("derives every Kind id exactly as Types.sol's Kinds library", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const [names, ids] = await harness.kinds();
      expect(names.length).to.be.greaterThan(0);
      for (const [i, name] of names.entries()) {
        expect(KIND_NAMES, name).to.include(name);
        expect(Kind[name as keyof typeof Kind], name).to.equal(ids[i]);
      }
    });

    it("mirrors every kind Types.sol declares, and the harness lists them all", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const declared = [...read("contracts/common/Types.sol").matchAll(/keccak256\("colend\.kind\.(\w+)\.v1"\)/g)].map(
        (m) => m[1],
      );
      const [harnessed] = await harness.kinds();
      expect([...harnessed].sort()).to.deep.equal([...declared].sort());
      for (const name of declared) expect(KIND_NAMES).to.include(name);
    });

    it("lists as module kinds exactly those Kinds.moduleOwned names but Batch and Membership, each in one module's list", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const [, ids] = await harness.kinds();
      const owned = [];
      for (const id of ids) if (await harness.moduleOwned(id)) owned.push(id);
      const expected = owned.filter((k) => k !== Kind.Batch && k !== Kind.Membership);
      expect([...MODULE_KINDS].sort()).to.deep.equal([...expected].sort());
      const lists = (await harness.kindsOfModules()).flat();
      expect(lists.length).to.equal(new Set(lists).size); // no kind in two modules' lists
      expect([...lists].sort()).to.deep.equal([...expected].sort());
      expect(await harness.moduleOwned(Kind.Note)).to.equal(false);
    });

    it("gives every kind a distinct id and maps ids back to names", function () {
      const ids = KIND_NAMES.map((n) => Kind[n]);
      expect(new Set(ids).size).to.equal(ids.length);
      for (const n of KIND_NAMES) {
        expect(kindName(Kind[n])).to.equal(n);
        expect(kindName(Kind[n].toUpperCase().replace("0X", "0x"))).to.equal(n);
      }
      const unknown = keccak256(toUtf8Bytes("colend.kind.Unknown.v1"));
      expect(kindName(unknown)).to.equal(unknown);
    });

    it("computes loan and case subjects exactly as Types.sol's Subjects library", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const ids = [0n, 1n, 42n, 2n ** 64n, 2n ** 256n - 1n];
      for (const id of ids) {
        expect(Subject.loan(id), `loan ${id}`).to.equal(await harness.loanSubject(id));
        expect(Subject.arbitrationCase(id), `case ${id}`).to.equal(await harness.caseSubject(id));
      }
      expect(Subject.loan(7)).to.equal(Subject.loan(7n));
      expect(Subject.loan(7)).to.not.equal(Subject.arbitrationCase(7));
    });

    it("keeps batch subjects apart per proposer and label", function () {
      const a = Wallet.createRandom().address;
      const b = Wallet.createRandom().address;
      expect(Subject.batch(a, "2024-01-01")).to.not.equal(Subject.batch(b, "2024-01-01"));
      expect(Subject.batch(a, "2024-01-01")).to.not.equal(Subject.batch(a, "2024-01-02"));
    });

    it("mirrors every Solidity enum that TypeScript mirrors, member for member", function () {
      const sol = new Map([
        ...solidityEnums(read("contracts/common/Types.sol")),
        ...solidityEnums(read("contracts/ledger/IEvidenceLedger.sol")),
        ...[...solidityEnums(read("contracts/consortium/IMembership.sol"))].map(
          ([k, v]) => [k === "Action" ? "MembershipAction" : k, v] as [string, string[]],
        ),
      ]);
      const mirrored = ["Role", "Attestation", "ProposalState", "RejectReason", "MembershipAction"];
      for (const name of sol.keys()) {
        const ts = (types as Record<string, unknown>)[name];
        if (ts !== undefined) mirrored.push(name);
      }
      for (const name of new Set(mirrored)) {
        const ts = (types as unknown as Record<string, Record<string, string | number>>)[name];
        expect(ts, `${name} has no TypeScript mirror`).to.not.equal(undefined);
        expect(tsEnumNames(ts), name).to.deep.equal(sol.get(name));
      }
    });

    it("names every role", function () {
      for (const role of tsEnumNames(types.Role as unknown as Record<string, number>)) {
        expect(types.ROLE_NAMES[types.Role[role as keyof typeof types.Role]]).to.be.a("string").and.not.empty;
      }
    });
  });

  describe("records", function () {
    it("hashes records exactly as the ledger's recordHash", async function () {
      const { ledger } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(record, address, async (r, proposer) => {
          expect(recordHash(r, proposer)).to.equal(await ledger.recordHash(r, proposer));
        }),
        { numRuns: 25 },
      );
    });

    it("computes the endorsement digest exactly as the ledger's endorsementDigest", async function () {
      const { ledger, domain } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(
          record,
          address,
          fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          async (r, proposer, issuedAt, deadline) => {
            const digest = TypedDataEncoder.hash(domain, ENDORSEMENT_TYPES, { ...r, proposer, issuedAt, deadline });
            expect(digest).to.equal(await ledger.endorsementDigest(r, proposer, issuedAt, deadline));
          },
        ),
        { numRuns: 25 },
      );
    });

    it("builds the ledger's own EIP-712 domain", async function () {
      const { ledger, chainId } = await loadFixture(fixture);
      const domain = ledgerDomain(chainId, await ledger.getAddress());
      expect(TypedDataEncoder.hashDomain(domain)).to.equal(await ledger.domainSeparator());
      expect(domain).to.deep.equal({
        name: "colend",
        version: "1",
        chainId,
        verifyingContract: await ledger.getAddress(),
      });
    });

    it("links heads exactly as the ledger does", async function () {
      const fx = await loadFixture(fixture);
      const subject = testSubject("core-head");
      const first = makeRecord(subject);
      const { head } = await commitRecord(fx, first, fx.leadBank);
      expect(head).to.equal(nextHead(ZERO_HASH, recordHash(first, fx.leadBank.address)));
      expect(nextHead(ZERO_HASH, recordHash(first, fx.leadBank.address))).to.equal(
        keccak256(concat([ZERO_HASH, recordHash(first, fx.leadBank.address)])),
      );
    });

    it("signs compact endorsements that recover to the signer", async function () {
      const { domain, banks } = await loadFixture(fixture);
      const message = {
        ...makeRecord(testSubject("sign")),
        proposer: banks[0].address,
        issuedAt: 100n,
        deadline: 123n,
      };
      const e = await signEndorsement(banks[1], domain, message);
      expect(e.signer).to.equal(banks[1].address);
      expect(e.signature).to.match(/^0x[0-9a-f]{128}$/);
      expect(recoverEndorser(domain, message, e.signature)).to.equal(banks[1].address);
      expect(recoverEndorser(domain, { ...message, deadline: 124n }, e.signature)).to.not.equal(banks[1].address);
      expect(recoverEndorser(domain, { ...message, issuedAt: 101n }, e.signature)).to.not.equal(banks[1].address);
    });

    it("hashes content as keccak256(salt ‖ document)", function () {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (salt, doc) => {
          expect(contentHash(doc, salt)).to.equal(keccak256(concat([salt, doc])));
        }),
        { numRuns: 50 },
      );
      const doc = toUtf8Bytes("loan contract");
      expect(contentHash(doc, new Uint8Array(32))).to.not.equal(contentHash(doc, new Uint8Array(32).fill(1)));
    });

    it("rejects a salt that is not 32 bytes", function () {
      const doc = toUtf8Bytes("x");
      for (const n of [0, 16, 31, 33, 64]) {
        expect(() => contentHash(doc, new Uint8Array(n))).to.throw(`salt must be 32 bytes, got ${n}`);
      }
    });

    it("draws fresh 32-byte salts", function () {
      const a = newSalt();
      const b = newSalt();
      expect(a).to.have.length(32);
      expect(hexlify(a)).to.not.equal(hexlify(b));
    });

    it("hashes attributes as keccak256(abi.encode(types, values))", function () {
      const types = ["uint256", "address", "bytes32"];
      const values = [40_000n, Wallet.createRandom().address, keccak256("0x01")];
      expect(attrsHash(types, values)).to.equal(keccak256(AbiCoder.defaultAbiCoder().encode(types, values)));
      expect(attrsHash(types, values)).to.not.equal(attrsHash(types, [40_001n, values[1], values[2]]));
    });
  });

  describe("packing", function () {
    const sig = fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => hexlify(b));

    it("packs endorsements in ascending signer order and unpacks them back", function () {
      fc.assert(
        fc.property(fc.uniqueArray(fc.tuple(address, sig), { maxLength: 12, selector: ([a]) => a }), (entries) => {
          const endorsements = entries.map(([signer, signature]) => ({ signer, signature }));
          const packed = packSignatures(endorsements);
          const sorted = [...endorsements].sort((x, y) => compareAddresses(x.signer, y.signer));
          expect(unpackSignatures(packed)).to.deep.equal(sorted.map((e) => e.signature));
          for (let i = 1; i < sorted.length; i++)
            expect(BigInt(sorted[i - 1].signer) < BigInt(sorted[i].signer)).to.equal(true);
        }),
        { numRuns: 50 },
      );
    });

    it("packs no endorsements as empty bytes", function () {
      expect(packSignatures([])).to.equal("0x");
      expect(unpackSignatures("0x")).to.deep.equal([]);
      expect(unpackAddresses("0x")).to.deep.equal([]);
    });

    it("round-trips packed addresses", function () {
      fc.assert(
        fc.property(fc.array(address, { maxLength: 20 }), (addresses) => {
          const packed = addresses.length === 0 ? "0x" : hexlify(concat(addresses));
          expect(unpackAddresses(packed).map((a) => getAddress(a))).to.deep.equal(addresses);
        }),
        { numRuns: 50 },
      );
    });

    it("rejects signature blobs that are not a multiple of 64 bytes", function () {
      for (const n of [1, 63, 65, 127, 129]) {
        expect(() => unpackSignatures(hexlify(new Uint8Array(n)))).to.throw(
          `signature blob of ${n} bytes is not a multiple of 64`,
        );
      }
    });

    it("rejects address blobs that are not a multiple of 20 bytes", function () {
      for (const n of [1, 19, 21, 64]) {
        expect(() => unpackAddresses(hexlify(new Uint8Array(n)))).to.throw(
          `address blob of ${n} bytes is not a multiple of 20`,
        );
      }
    });

    it("compares addresses by value, whatever their case", function () {
      const a = "0x00000000000000000000000000000000000000aa";
      const b = "0x00000000000000000000000000000000000000AB";
      expect(compareAddresses(a, b)).to.equal(-1);
      expect(compareAddresses(b, a)).to.equal(1);
      expect(compareAddresses(a, a.toUpperCase().replace("0X", "0x"))).to.equal(0);
    });
  });
});

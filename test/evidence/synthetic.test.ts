import { expect } from "chai";
import { TypedDataEncoder, keccak256, toUtf8Bytes } from "ethers";
import { ENDORSEMENT_TYPES, ledgerDomain } from "../../clients/core/records";
import { Kind, Subject, ZERO_HASH } from "../../clients/core/types";
import { serializeBundle } from "../../clients/evidence/bundle";
import { EndorsementHasher } from "../../clients/evidence/hashing";
import { benchVerify, buildSyntheticBundle } from "../../clients/evidence/synthetic";
import { quorumFor, verifyBundle } from "../../clients/evidence/verify";

describe("Synthetic evidence bundles", function () {
  it("builds a chain that verifies offline with exactly the quorum of recoveries per record", async function () {
    const { bundle, signatures } = buildSyntheticBundle({ records: 20, members: 5 });
    expect(bundle.subjects[0].records).to.have.length(20);
    expect(signatures).to.equal(20 * quorumFor(5));
    const report = await verifyBundle(serializeBundle(bundle));
    expect(report.errors).to.deep.equal([]);
    expect(report.stats.recoveries).to.equal(signatures);
    expect(report.documents.verified).to.equal(20);
  });

  it("builds the same bundle from the same seed", function () {
    const a = serializeBundle(buildSyntheticBundle({ records: 3, members: 4 }).bundle);
    const b = serializeBundle(buildSyntheticBundle({ records: 3, members: 4 }).bundle);
    const c = serializeBundle(buildSyntheticBundle({ records: 3, members: 4, seed: "other" }).bundle);
    expect(a).to.equal(b);
    expect(a).to.not.equal(c);
  });

  it("rejects signatures of a member admitted after the record, even in the same block", async function () {
    const { bundle } = buildSyntheticBundle({ records: 4, members: 4, documents: false });
    bundle.membership[3].blockNumber = 12; // the last bank joins at block 12, after records 0-2
    const report = await verifyBundle(bundle);
    expect(report.ok).to.equal(false);
    const errors = report.errors.join("\n");
    expect(errors).to.match(
      /loan record 1 \(Repayment\): signature 1 does not count: 0x[0-9a-fA-F]+ was only admitted at block 12, after the record's block 11/,
    );
    expect(errors).to.match(
      /loan record 1 \(Repayment\): 1 valid endorsements; quorum at block 11 is 2 \(3 voting members\)/,
    );
    expect(errors).to.match(
      /loan record 2 \(Repayment\): signature 1 does not count: .* was only admitted in block 12, after the record/,
    );
    expect(errors).to.not.match(/loan record [03]/);
  });

  it("hashes endorsements exactly as EIP-712 does", function () {
    const domain = {
      name: "colend",
      version: "1",
      chainId: "31337",
      verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    };
    const message = {
      subject: Subject.loan(9),
      kind: Kind.Repayment,
      contentHash: keccak256(toUtf8Bytes("doc")),
      attrs: ZERO_HASH,
      prev: keccak256(toUtf8Bytes("prev")),
      proposer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      issuedAt: 2n ** 63n + 5n,
      deadline: 2n ** 64n - 1n,
    };
    const expected = TypedDataEncoder.hash(ledgerDomain(31337n, domain.verifyingContract), ENDORSEMENT_TYPES, message);
    expect(
      new EndorsementHasher(domain).digest(message, message.proposer, message.issuedAt, message.deadline),
    ).to.equal(expected);
  });

  it("measures verification next to the bare signature recoveries", async function () {
    const bench = await benchVerify(4, 5, 1);
    expect(bench).to.include({ records: 4, signatures: 4 * quorumFor(5), ok: true });
    expect(bench.verifyMs).to.be.greaterThan(0);
    expect(bench.bareRecoveriesMs).to.be.greaterThan(0);
  });
});

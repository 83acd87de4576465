import { expect } from "chai";
import { AbiCoder, getBytes, keccak256, toBeHex } from "ethers";
import { bytes32, bytes32Hex, hexBytes, uint256Hex } from "../../clients/core/bytes";
import { Subject } from "../../clients/core/types";

const coder = AbiCoder.defaultAbiCoder();
const MAX = (1n << 256n) - 1n;

describe("core: fast byte conversions of the hashing hot paths", function () {
  it("give what ethers gives", function () {
    const h = keccak256("0x1234");
    expect(bytes32(h)).to.deep.equal(getBytes(h));
    expect(bytes32(h.toUpperCase().replace("0X", "0x"))).to.deep.equal(getBytes(h));
    expect(bytes32Hex(h)).to.equal(h.slice(2));
    expect(hexBytes("0x00ff10")).to.deep.equal(getBytes("0x00ff10"));
    for (const x of [0n, 1n, 255n, 2n ** 64n, MAX]) expect("0x" + uint256Hex(x)).to.equal(toBeHex(x, 32));
  });

  it("refuse what is not a 32-byte value, an odd or non-hex string, or not a uint256", function () {
    for (const bad of ["0x12", "12".repeat(33), "0x" + "g".repeat(64), "0x" + "1".repeat(65)])
      expect(() => bytes32(bad), bad).to.throw(TypeError, /not a 32-byte hex value/);
    expect(() => hexBytes("0x123")).to.throw(TypeError, /whole bytes/);
    expect(() => hexBytes("0xzz")).to.throw(TypeError, /whole bytes/);
    expect(() => uint256Hex(-1n)).to.throw(RangeError, /not a uint256/);
    expect(() => uint256Hex(MAX + 1n)).to.throw(RangeError, /not a uint256/);
  });

  it("Subject.loan is keccak256(abi.encode('colend.loan', id)) for every id", function () {
    for (const id of [0n, 1n, 7n, 1_000_000n, 2n ** 200n, MAX]) {
      expect(Subject.loan(id)).to.equal(keccak256(coder.encode(["string", "uint256"], ["colend.loan", id])));
    }
    expect(Subject.loan(42)).to.equal(Subject.loan(42n));
    expect(() => Subject.loan(-1n)).to.throw(RangeError);
  });
});

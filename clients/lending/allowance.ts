import { MaxUint256 } from "ethers";
import type { LendingContracts } from "./contracts";

/**
 * The loan book's allowance over one account's settlement tokens (a bank's or a borrower's).
 *
 * The first payment approves an unlimited amount, which the token never spends down, so the
 * allowance is read from the chain once and not before every payment. The remembered answer can go
 * stale: the account's key may approve a lower amount elsewhere, or a test chain may go back to a
 * snapshot. A payment the chain then refuses for want of allowance is sent once more after reading
 * and approving again; any other refusal is the caller's.
 */
export class LoanBookAllowance {
  private unlimited = false;

  constructor(
    private readonly lending: LendingContracts,
    private readonly owner: () => Promise<string>,
  ) {}

  /** Lets the loan book take at least `amount` (approving an unlimited amount if it cannot). */
  async ensure(amount: bigint): Promise<void> {
    if (this.unlimited) return;
    const { token, loanBook } = this.lending;
    const spender = await loanBook.getAddress();
    const allowance = await token.allowance(await this.owner(), spender);
    if (allowance < amount) await (await token.approve(spender, MaxUint256)).wait();
    this.unlimited = allowance === MaxUint256 || allowance < amount;
  }

  /** Sends `pay`, a transaction in which the loan book takes up to `amount` from the account. */
  async pay<T>(amount: bigint, pay: () => Promise<T>): Promise<T> {
    await this.ensure(amount);
    try {
      return await pay();
    } catch (e) {
      if (!this.unlimited || !this.isShortAllowance(e)) throw e;
      this.unlimited = false;
      await this.ensure(amount);
      return pay();
    }
  }

  /** Whether `e` is the token's ERC20InsufficientAllowance, however the provider reports it. */
  private isShortAllowance(e: unknown): boolean {
    const selector = this.lending.token.interface.getError("ERC20InsufficientAllowance")!.selector;
    const seen = new Set<unknown>();
    const scan = (v: unknown, depth: number): boolean => {
      if (typeof v === "string") return v.startsWith(selector) || v.includes("ERC20InsufficientAllowance");
      if (v === null || typeof v !== "object" || depth > 4 || seen.has(v)) return false;
      seen.add(v);
      const o = v as Record<string, unknown>;
      return ["data", "message", "shortMessage", "error", "info", "revert"].some((k) => scan(o[k], depth + 1));
    };
    return scan(e, 0);
  }
}

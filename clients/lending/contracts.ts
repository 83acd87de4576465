import { Contract, Interface } from "ethers";
import type { Signer } from "ethers";
import {
  CreditRegistry,
  CreditRegistry__factory,
  LoanBook,
  LoanBook__factory,
  LoanUseAccount,
  LoanUseAccount__factory,
  SettlementToken,
  SettlementToken__factory,
} from "../../typechain-types";
import { AddressBook } from "../core/addressBook";

/** The lending contracts, connected to one signer. */
export interface LendingContracts {
  token: SettlementToken;
  registry: CreditRegistry;
  loanBook: LoanBook;
  loanUse: LoanUseAccount;
}

const interfaces = new Map<object, Interface>();

/**
 * `factory.connect(address, signer)` with the factory's ABI parsed once: a borrower client per
 * loan connects four contracts, and parsing their ABIs each time was a visible share of a run.
 */
function connect<T>(factory: { createInterface(): unknown }, address: string, signer: Signer): T {
  let iface = interfaces.get(factory);
  if (!iface) interfaces.set(factory, (iface = factory.createInterface() as Interface));
  return new Contract(address, iface, signer) as unknown as T;
}

/** Connects the lending contracts listed in `book`; says which one is missing. */
export function lendingContracts(book: AddressBook, signer: Signer): LendingContracts {
  for (const key of ["token", "registry", "loanBook", "loanUse"] as const) {
    if (!book[key]) throw new Error(`address book has no ${key}: deploy the lending modules first`);
  }
  return {
    token: connect<SettlementToken>(SettlementToken__factory, book.token!, signer),
    registry: connect<CreditRegistry>(CreditRegistry__factory, book.registry!, signer),
    loanBook: connect<LoanBook>(LoanBook__factory, book.loanBook!, signer),
    loanUse: connect<LoanUseAccount>(LoanUseAccount__factory, book.loanUse!, signer),
  };
}

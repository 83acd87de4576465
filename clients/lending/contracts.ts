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

/** Connects the lending contracts listed in `book`; says which one is missing. */
export function lendingContracts(book: AddressBook, signer: Signer): LendingContracts {
  for (const key of ["token", "registry", "loanBook", "loanUse"] as const) {
    if (!book[key]) throw new Error(`address book has no ${key}: deploy the lending modules first`);
  }
  return {
    token: SettlementToken__factory.connect(book.token!, signer),
    registry: CreditRegistry__factory.connect(book.registry!, signer),
    loanBook: LoanBook__factory.connect(book.loanBook!, signer),
    loanUse: LoanUseAccount__factory.connect(book.loanUse!, signer),
  };
}

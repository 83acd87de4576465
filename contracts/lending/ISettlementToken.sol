// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Settlement token
/// @notice A stand-in for tokenized bank deposits, in fen (2 decimals: 1 unit = 0.01 CNY). Only
///         registered accounts may hold it: active consortium members, enabled module contracts,
///         and accounts a module registered (borrowers admitted by the credit registry, payees
///         approved for restricted loan-use accounts).
interface ISettlementToken is IERC20 {
    /// @notice Emitted when a bank tokenizes `amount` of a deposit it holds, crediting `to`.
    event Deposited(address indexed bank, address indexed to, uint256 amount);
    /// @notice Emitted when a bank turns `amount` of its tokens back into a deposit.
    event Redeemed(address indexed bank, uint256 amount);
    /// @notice Emitted when module `registrar` registers `account` as a holder.
    event AccountRegistered(address indexed account, address indexed registrar);

    /// @notice `account` is not registered, so it may neither hold nor send the token.
    error UnregisteredAccount(address account);
    /// @notice Only an enabled module contract may register accounts.
    error NotRegistrar(address caller);

    /// @notice A bank tokenizes `amount` of a deposit it holds and credits registered account `to`.
    /// @param to the registered account credited
    /// @param amount token units (fen)
    function deposit(address to, uint256 amount) external;

    /// @notice A bank (or a bank removed from the consortium) burns `amount` of its own tokens
    ///         (the deposit leaves the ledger).
    /// @param amount token units (fen)
    function redeem(uint256 amount) external;

    /// @notice An enabled module registers `account` as a holder (idempotent).
    /// @param account the account to register
    function register(address account) external;

    /// @notice Whether `account` may hold and send the token now.
    function isRegistered(address account) external view returns (bool);

    /// @notice Whether `account` is a bank removed from the consortium: it may still receive what
    ///         modules owe it and redeem, but not send to anyone.
    function canWithdraw(address account) external view returns (bool);
}

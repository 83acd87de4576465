// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ISettlementToken} from "./ISettlementToken.sol";
import {IConsortiumLedger, LedgerModule} from "../ledger/LedgerModule.sol";
import {Role} from "../common/Types.sol";
import {IMembership} from "../consortium/IMembership.sol";
import {NotBank, ZeroAddress, ZeroAmount} from "../common/Errors.sol";

/// @title SettlementToken
/// @notice "colend settlement CNY": the money loans are funded, disbursed and repaid in.
contract SettlementToken is ERC20, LedgerModule, ISettlementToken {
    mapping(address account => bool) private _registered;

    /// @param ledger_ the consortium ledger whose members and modules may hold the token
    constructor(IConsortiumLedger ledger_) ERC20("colend settlement CNY", "cCNY") LedgerModule(ledger_) {}

    /// @notice Two decimals: one unit is one fen.
    function decimals() public pure override returns (uint8) {
        return 2;
    }

    /// @inheritdoc ISettlementToken
    function deposit(address to, uint256 amount) external {
        if (!ledger.isVotingMember(msg.sender)) revert NotBank(msg.sender);
        if (amount == 0) revert ZeroAmount();
        _mint(to, amount);
        emit Deposited(msg.sender, to, amount);
    }

    /// @inheritdoc ISettlementToken
    function redeem(uint256 amount) external {
        if (!ledger.isVotingMember(msg.sender) && !_isFormerBank(msg.sender)) revert NotBank(msg.sender);
        if (amount == 0) revert ZeroAmount();
        _burn(msg.sender, amount);
        emit Redeemed(msg.sender, amount);
    }

    /// @inheritdoc ISettlementToken
    function register(address account) external {
        if (!ledger.isModule(msg.sender)) revert NotRegistrar(msg.sender);
        if (account == address(0)) revert ZeroAddress();
        if (_registered[account]) return;
        _registered[account] = true;
        emit AccountRegistered(account, msg.sender);
    }

    /// @inheritdoc ISettlementToken
    function isRegistered(address account) public view returns (bool) {
        return _registered[account] || ledger.isModule(account) || ledger.roleOf(account) != Role.None;
    }

    /// @inheritdoc ISettlementToken
    function canWithdraw(address account) public view returns (bool) {
        return _isFormerBank(account);
    }

    /// @dev Every movement (mint, burn, transfer) checks both ends; mint and burn have one end at zero.
    ///      A bank removed from the consortium keeps a way out and nothing new: it may receive what a
    ///      module owes it (claims, refunds, withdrawn commitments) and redeem, but neither send
    ///      to anyone nor receive from anyone else.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && !isRegistered(from) && !(to == address(0) && _isFormerBank(from))) {
            revert UnregisteredAccount(from);
        }
        if (to != address(0) && !isRegistered(to) && !(ledger.isModule(msg.sender) && _isFormerBank(to))) {
            revert UnregisteredAccount(to);
        }
        super._update(from, to, value);
    }

    /// @dev Whether `account` was a bank of the consortium and has been removed.
    function _isFormerBank(address account) private view returns (bool) {
        IMembership.Member memory m = ledger.memberInfo(account);
        return !m.active && (m.role == Role.LeadBank || m.role == Role.PartnerBank);
    }
}

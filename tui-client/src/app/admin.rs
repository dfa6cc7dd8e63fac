//! The administrator's desk on top of [`super`]: closing and opening a service, the staff
//! accounts (create, reset a password, disable or enable) and the visitor block list
//! (lift a block).
//!
//! Every destructive step (a password reset, disabling or enabling an account, lifting a
//! block) asks a second "yes" first. A password the relay makes is shown once, in its own
//! popup, and kept nowhere else: closing that popup forgets it.

use chathulp_shared::staff::{AccountInfo, BlockInfo, StaffRequest};
use chathulp_shared::{Role, ServiceId};

use super::App;
use crate::model::{AccountChange, Compose, Popup, ROLES};
use crate::{sanitize, strings};

impl App {
    /// Back to the account list, on `user`'s row if it is there.
    pub(super) fn back_to_accounts(&mut self, user: Option<&str>) {
        let selected = user
            .and_then(|user| self.accounts.iter().position(|a| a.user == user))
            .unwrap_or(0);
        self.popup = Some(Popup::Accounts { selected });
    }

    /// Opens the account list and asks the relay for a fresh one.
    pub(super) fn show_accounts(&mut self) {
        if !self.is_admin() {
            self.error(strings::ADMIN_DESK_ONLY.into());
        } else if self.request(StaffRequest::ListAccounts) {
            self.popup = Some(Popup::Accounts { selected: 0 });
        }
    }

    /// Opens the block list and asks the relay for a fresh one.
    pub(super) fn show_blocks(&mut self) {
        if !self.is_admin() {
            self.error(strings::ADMIN_DESK_ONLY.into());
        } else if self.request(StaffRequest::ListBlocks) {
            self.popup = Some(Popup::Blocks { selected: 0 });
        }
    }

    /// In the account list: type the new account's name; its role is picked next.
    pub(super) fn new_account(&mut self) {
        if matches!(self.popup, Some(Popup::Accounts { .. })) {
            self.popup = Some(Popup::Compose {
                purpose: Compose::AccountName,
                text: String::new(),
            });
        }
    }

    /// In the account list: ask to reset the highlighted account's password.
    pub(super) fn reset_password(&mut self) {
        if let Some(account) = self.selected_account() {
            self.popup = Some(Popup::ConfirmAccount(AccountChange::ResetPassword {
                user: account.user.clone(),
            }));
        }
    }

    /// In the account list: ask to disable the highlighted account, or enable it again.
    pub(super) fn toggle_disabled(&mut self) {
        if let Some(account) = self.selected_account() {
            self.popup = Some(Popup::ConfirmAccount(AccountChange::SetDisabled {
                user: account.user.clone(),
                disabled: !account.disabled,
            }));
        }
    }

    /// In the block list: the reason to lift the highlighted block (confirmed next).
    pub(super) fn lift_block(&mut self) {
        let Some(Popup::Blocks { selected }) = &self.popup else {
            return;
        };
        if let Some(block) = self.blocks.get(*selected) {
            self.popup = Some(Popup::Compose {
                purpose: Compose::LiftBlock(block.id),
                text: String::new(),
            });
        }
    }

    fn selected_account(&self) -> Option<&AccountInfo> {
        match &self.popup {
            Some(Popup::Accounts { selected }) => self.accounts.get(*selected),
            _ => None,
        }
    }

    /// The administrator said "yes" to an account change: it goes out, and the account
    /// list comes back with the relay's answer.
    pub(super) fn send_account_change(&mut self, change: AccountChange) {
        self.back_to_accounts(Some(change.user()));
        let request = match change {
            AccountChange::ResetPassword { user } => StaffRequest::ResetPassword { user },
            AccountChange::SetDisabled { user, disabled } => {
                StaffRequest::SetAccountDisabled { user, disabled }
            }
        };
        if self.request(request) {
            self.info(strings::ACCOUNT_SAVING.into());
        }
    }

    /// Enter on a role: the new account goes out; its password comes back once.
    pub(super) fn create_account(&mut self, user: String, selected: usize) {
        let role = ROLES.get(selected).copied().unwrap_or(Role::Counselor);
        self.popup = Some(Popup::Accounts { selected: 0 });
        if self.request(StaffRequest::CreateAccount { user, role }) {
            self.info(strings::ACCOUNT_SAVING.into());
        }
    }

    pub(super) fn accounts_list(&mut self, accounts: Vec<AccountInfo>) {
        self.accounts = accounts
            .into_iter()
            .map(|a| AccountInfo {
                user: sanitize::line(&a.user),
                ..a
            })
            .collect();
        if let Some(Popup::Accounts { selected }) = &mut self.popup {
            *selected = (*selected).min(self.accounts.len().saturating_sub(1));
        }
    }

    pub(super) fn blocks_list(&mut self, blocks: Vec<BlockInfo>) {
        self.blocks = blocks
            .into_iter()
            .map(|b| BlockInfo {
                counselor: sanitize::line(&b.counselor),
                reason: sanitize::line(&b.reason),
                ..b
            })
            .collect();
        if let Some(Popup::Blocks { selected }) = &mut self.popup {
            *selected = (*selected).min(self.blocks.len().saturating_sub(1));
        }
    }

    /// A password the relay made: shown once, over whatever is open.
    pub(super) fn account_secret(&mut self, user: &str, password: &str) {
        self.popup = Some(Popup::AccountSecret {
            user: sanitize::line(user),
            password: sanitize::line(password),
        });
    }
}

impl App {
    /// The selected queue row's service, for the administrator's keys.
    pub(super) fn admin_service(&mut self) -> Option<ServiceId> {
        if !self.is_admin() {
            self.error(strings::ADMIN_ONLY.into());
            return None;
        }
        let service = self.queue_cursor.as_ref().map(|r| r.service().clone());
        if service.is_none() {
            self.error(strings::NOTHING_SELECTED.into());
        }
        service
    }

    pub(super) fn ask_close_service(&mut self) {
        if let Some(service) = self.admin_service() {
            self.popup = Some(Popup::CloseReason {
                service,
                reason: String::new(),
            });
        }
    }

    pub(super) fn open_service(&mut self) {
        let Some(service) = self.admin_service() else {
            return;
        };
        let closed = self
            .services
            .iter()
            .any(|s| s.service == service && s.closed_reason.is_some());
        if !closed {
            self.info(strings::SERVICE_NOT_CLOSED.into());
        } else if self.request(StaffRequest::OpenService { service }) {
            self.info(strings::OPENING_SERVICE.into());
        }
    }
}

//! Everything that can happen to the app. Key handlers, the network worker and the clock
//! only produce these; [`crate::app::App::update`] applies them.

use crate::link::NetEvent;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The clock moved on; carries the current time in Unix milliseconds.
    Tick(i64),
    /// Something arrived from the network worker.
    Net(NetEvent),
    /// The terminal has this size (columns, rows).
    Resize(u16, u16),

    /// Focus the next pane (wachtrij → gesprekken → invoer).
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Move the selection in the focused list.
    MoveDown,
    MoveUp,

    /// Take the selected visitor (or the next one, if a service is selected).
    TakeSelected,
    /// Take the longest-waiting visitor of the selected service.
    TakeNext,
    /// Make the selected conversation the active one.
    OpenSelected,
    /// Switch to the next / previous conversation.
    NextConversation,
    PrevConversation,
    /// Switch to conversation number N (1-based, as shown in the list).
    JumpConversation(usize),
    /// Ask to end the active conversation (or close it, once it has ended).
    EndConversation,
    /// Scroll the active conversation's scrollback.
    ScrollUp,
    ScrollDown,

    /// Send the input as a message.
    Send,
    /// Insert a line break into the input.
    Newline,
    /// Leave the input and focus the conversation list.
    LeaveInput,
    /// A key for the input field.
    Input(ratatui_textarea::Input),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),

    /// Open the canned responses; the next key (or a search and Enter) picks one and
    /// puts its text in the input, unsent.
    OpenCanned,
    /// In the canned list: filter by typing instead of picking by key.
    SearchCanned,
    /// In a popup with input: pick the highlighted response, or go on with the reason.
    Accept,
    /// Mark or unmark the active conversation as a dossier candidate.
    ToggleDossier,
    /// Administrators: close the selected service (asks a reason, then confirms).
    CloseService,
    /// Administrators: lift the closing of the selected service.
    OpenService,

    /// Jump to the conversation that needs attention most (weechat's Alt-a).
    Hotlist,
    /// Write an internal note on the active conversation (never sent to the visitor).
    AddNote,
    /// Hand the active conversation over to a colleague, with a note.
    Transfer,
    /// Copy the active conversation's id to the clipboard.
    CopyId,
    /// Ask an administrator to disclose the visitor's IP (reason, then confirmation).
    RequestReveal,
    /// Block the active conversation's visitor (reason, then confirmation).
    BlockVisitor,
    /// Tag a name said in the active conversation: the anonymised export replaces it
    /// by `[naam]`.
    TagName,
    /// Show the active conversation's anonymised transcript, as the team would get it.
    Preview,
    /// The ended conversations still to register.
    ShowToRegister,
    /// In the wrap-up form: choose or unchoose the highlighted topic.
    ToggleTopic,
    /// Supervisors and administrators: the reveal requests.
    ShowReveals,
    /// Supervisors and administrators: the "Cijfers" screen, charts per service.
    ShowFigures,
    /// Administrators, in the reveal list: approve (`true`) or deny the highlighted one.
    DecideReveal(bool),
    /// Supervisors and administrators: follow the selected live conversation read-only.
    Watch,
    /// Stop following the watched conversation in view.
    Unwatch,
    /// Administrators: the staff accounts.
    ShowAccounts,
    /// In the account list: create an account (name, then role).
    NewAccount,
    /// In the account list: a new password for the highlighted account (confirmed).
    ResetPassword,
    /// In the account list: disable or enable the highlighted account (confirmed).
    ToggleDisabled,
    /// Administrators: the visitor blocks.
    ShowBlocks,
    /// In the block list: lift the highlighted block (reason, then confirmation).
    LiftBlock,

    ShowHelp,
    ClosePopup,
    /// Answer "yes" to the open confirmation.
    Confirm,
    /// Answer "no" to the open confirmation.
    Cancel,
    /// Ask to quit (confirms first if conversations are open).
    Quit,
}

//! The JSON of `GET /api/status`.

use serde::{Deserialize, Serialize};

use crate::common::{ServiceId, ServiceStatus};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub protocol: u32,
    pub services: Vec<ServiceStatusEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatusEntry {
    pub id: ServiceId,
    /// Display name, e.g. "CAW online".
    pub name: String,
    pub status: ServiceStatus,
    /// The seed's sentence for this status, in Dutch.
    pub message: String,
    /// E-mail contact offered when the chat is busy or offline.
    pub email: String,
    /// Web page with other contact details (the seed's "De contactgegevens vind je hier").
    pub contact_url: String,
    /// Opening hours in words, e.g. "werkdagen 13.00 tot 17.00".
    pub hours: String,
    /// The next time the service opens (RFC 3339, Europe/Brussels offset), if it is closed now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_opening: Option<String>,
}

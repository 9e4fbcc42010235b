//! Settings read once at start (command line and environment).

use std::path::PathBuf;

/// Runtime settings of the service.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the service is reached at, for links in QR codes (e.g. `https://handover.example.com`).
    pub public_url: String,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Directory of stored files (photos and their derivatives), created if missing.
    pub data_dir: PathBuf,
}

impl Config {
    /// Settings for a local run on `port`.
    pub fn local(port: u16) -> Self {
        Config {
            public_url: format!("http://localhost:{port}"),
            secure_cookies: false,
            data_dir: PathBuf::from("handover-data"),
        }
    }
}

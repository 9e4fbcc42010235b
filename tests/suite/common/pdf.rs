//! PDFs checked with the real poppler tools.

use std::process::Command;

/// Runs a poppler tool on `pdf` and returns its standard output.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e} (install poppler-utils)"));
    assert!(out.status.success(), "{tool} failed on the PDF");
    String::from_utf8(out.stdout).unwrap()
}

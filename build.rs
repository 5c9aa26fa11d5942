//! The library of regimes (`report-templates/`, `indicators/`) is built into the binary
//! (`catalog::library`): a change to it rebuilds.

fn main() {
    println!("cargo:rerun-if-changed=report-templates");
    println!("cargo:rerun-if-changed=indicators");
}

fn main() {
    println!("mer {}", env!("CARGO_PKG_VERSION"));
}

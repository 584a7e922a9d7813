//! Prints every argument (including argv[0]) on its own line, then exits with
//! the status given by an argument of the form `exit=N` (0 when there is none).

fn main() {
    let mut status = 0;
    for arg in std::env::args() {
        println!("{arg}");
        if let Some(n) = arg.strip_prefix("exit=") {
            status = n.parse().expect("exit=N needs an integer N");
        }
    }
    std::process::exit(status);
}

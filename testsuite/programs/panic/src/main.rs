//! Prints a line, then panics. Under wasm32-wasip1 (panic=abort) the panic
//! message goes to stderr and the abort executes `unreachable`.

fn main() {
    println!("about to panic");
    let answer: u32 = std::env::args().count() as u32 + 41;
    panic!("kiln test panic: the answer is {answer}");
}

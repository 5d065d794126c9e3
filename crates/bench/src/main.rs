//! roost-bench: builds a data set, starts a release roost and measures it over real HTTP
//! against the machine's own ceiling.

fn main() {}

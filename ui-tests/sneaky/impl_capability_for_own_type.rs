// A user type cannot become a policy by way of a capability: capabilities need `Policy`.
enum Anything {}

impl spm::capability::AllowsBarrier for Anything {}

fn main() {}

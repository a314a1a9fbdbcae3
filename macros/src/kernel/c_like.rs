//! What the WGSL and CUDA C emitters write alike: indented lines and blocks, and the
//! statements whose syntax the two languages share.

use super::ir::{Expr, Kernel, Stmt};

/// A local's name in the GPU sources: numbered, so that shadowing and the languages' reserved
/// words cannot clash.
pub(crate) fn local_name(k: &Kernel, id: usize) -> String {
    format!("l{id}_{}", k.locals[id].name)
}

pub(crate) trait CLike {
    /// The text written so far, and the current indentation (in steps of four spaces).
    fn text(&mut self) -> (&mut String, &mut usize);

    /// Writes one statement.
    fn stmt(&mut self, stmt: &Stmt);

    /// One expression, as text.
    fn expr(&self, expr: &Expr) -> String;

    fn line(&mut self, text: &str) {
        let (out, indent) = self.text();
        for _ in 0..*indent {
            out.push_str("    ");
        }
        out.push_str(text);
        out.push('\n');
    }

    /// Opens a block (`head {`, or a bare `{` when `head` is empty).
    fn open(&mut self, head: &str) {
        if head.is_empty() {
            self.line("{");
        } else {
            self.line(&format!("{head} {{"));
        }
        *self.text().1 += 1;
    }

    fn close(&mut self) {
        *self.text().1 -= 1;
        self.line("}");
    }

    fn block(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            self.stmt(stmt);
        }
    }

    fn nested(&mut self, head: &str, stmts: &[Stmt]) {
        self.open(head);
        self.block(stmts);
        self.close();
    }

    /// `if`, `while`, `break`, `continue` and `return`, written alike in both languages;
    /// `false` for the other statements, which each language writes its own way.
    fn shared_stmt(&mut self, stmt: &Stmt) -> bool {
        match stmt {
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.expr(cond);
                self.nested(&format!("if ({cond})"), then);
                if !otherwise.is_empty() {
                    self.nested("else", otherwise);
                }
            }
            Stmt::While { cond, body } => {
                let cond = self.expr(cond);
                self.nested(&format!("while ({cond})"), body);
            }
            Stmt::Break => self.line("break;"),
            Stmt::Continue => self.line("continue;"),
            Stmt::Return(_) => self.line("return;"),
            _ => return false,
        }
        true
    }
}

//! The policies `#[pclosure]` accepts, and help for names it does not.

use proc_macro2::Ident;

/// Attribute name and marker type of each policy.
pub(crate) const POLICIES: [(&str, &str); 5] = [
    ("coarse_singleton", "CoarseSingleton"),
    ("coarse_list", "CoarseList"),
    ("coarse_race", "CoarseRace"),
    ("fine_limited", "FineLimited"),
    ("fine_general", "FineGeneral"),
];

/// The marker type of the policy named `name`, or a message that helps the user.
pub(crate) fn lookup(name: &Ident) -> Result<Ident, String> {
    let written = name.to_string();
    if let Some((_, ty)) = POLICIES.iter().find(|(attr, _)| *attr == written) {
        return Ok(Ident::new(ty, name.span()));
    }
    if let Some((attr, _)) = POLICIES.iter().find(|(_, ty)| *ty == written) {
        return Err(format!(
            "write the policy as the attribute names it: `{attr}`, not `{written}`"
        ));
    }
    let all = list();
    if written == "coarse_dag" {
        return Err(format!(
            "`coarse_dag` is not available in this version of spm; the policies are {all}"
        ));
    }
    match closest(&written) {
        Some(near) => Err(format!(
            "unknown policy `{written}`: did you mean `{near}`? The policies are {all}"
        )),
        None => Err(format!(
            "unknown policy `{written}`: the policies are {all}"
        )),
    }
}

/// The policies, for messages.
pub(crate) fn list() -> String {
    let names: Vec<String> = POLICIES.iter().map(|(a, _)| format!("`{a}`")).collect();
    names.join(", ")
}

/// The policy name closest to `written`, if one is close enough to be a likely typo.
fn closest(written: &str) -> Option<&'static str> {
    let written = written.to_ascii_lowercase();
    POLICIES
        .iter()
        .map(|(attr, _)| (*attr, edit_distance(&written, attr)))
        .filter(|&(attr, d)| d <= attr.len() / 3 || attr.contains(written.as_str()))
        .min_by_key(|&(_, d)| d)
        .map(|(attr, _)| attr)
}

/// Levenshtein distance between two short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn look(name: &str) -> Result<String, String> {
        lookup(&Ident::new(name, Span::call_site())).map(|i| i.to_string())
    }

    #[test]
    fn known_policies_map_to_their_types() {
        assert_eq!(look("coarse_list").unwrap(), "CoarseList");
        assert_eq!(look("fine_general").unwrap(), "FineGeneral");
    }

    #[test]
    fn typos_get_a_suggestion() {
        let e = look("coarse_lsit").unwrap_err();
        assert!(
            e.starts_with("unknown policy `coarse_lsit`: did you mean `coarse_list`?"),
            "{e}"
        );
        let e = look("fine_limted").unwrap_err();
        assert!(e.contains("did you mean `fine_limited`?"), "{e}");
        let e = look("singleton").unwrap_err();
        assert!(e.contains("did you mean `coarse_singleton`?"), "{e}");
    }

    #[test]
    fn far_names_get_the_list() {
        let e = look("banana").unwrap_err();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(
            e.contains(
                "`coarse_singleton`, `coarse_list`, `coarse_race`, `fine_limited`, `fine_general`"
            ),
            "{e}"
        );
    }

    #[test]
    fn type_names_are_redirected() {
        let e = look("CoarseRace").unwrap_err();
        assert_eq!(
            e,
            "write the policy as the attribute names it: `coarse_race`, not `CoarseRace`"
        );
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}

//! Jepsen/Knossos EDN histories: operation maps, one per line or in a vector.

use super::edn::{Edn, EdnReader};
use super::interpret_timeout;
use super::jepsen_log::parse_kind;
use crate::parsed::Parsed;
use crate::{Op, ParseError, Process};

/// Reads EDN operation maps (`{:process 0, :type :invoke, :f :read, :value nil}`),
/// given one per line or as vectors of maps. With `require_key`, every client
/// operation must carry a `:key`.
pub fn parse_edn_history(text: &str, require_key: bool) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    let mut reader = EdnReader::new(text);
    while let Some((form, line)) = reader.next_form()? {
        // Jepsen writes some operations as records: `#jepsen.history.Op{...}`.
        let form = untagged(form);
        match form {
            Edn::Map(_, line) => push(&mut parsed, &form, line, require_key)?,
            Edn::Seq(items) => {
                for item in items.into_iter().map(untagged) {
                    let Edn::Map(_, item_line) = item else {
                        return Err(ParseError::new(line, format!("expected operation maps in the vector, found {}", item.kind())));
                    };
                    push(&mut parsed, &item, item_line, require_key)?;
                }
            }
            other => {
                return Err(ParseError::new(
                    line,
                    format!("expected an operation map like {{:process 0, :type :invoke, :f :read, :value nil}}, found {}", other.kind()),
                ))
            }
        }
    }
    Ok(parsed)
}

fn untagged(form: Edn) -> Edn {
    match form {
        Edn::Tagged(_, inner) => untagged(*inner),
        other => other,
    }
}

fn push(parsed: &mut Parsed, map: &Edn, line: usize, require_key: bool) -> Result<(), ParseError> {
    let op = to_op(map, require_key).map_err(|m| ParseError::new(line, m))?;
    parsed.history.push(interpret_timeout(op), line);
    Ok(())
}

fn to_op(map: &Edn, require_key: bool) -> Result<Op, String> {
    let field = |name: &str| {
        map.get(name)
            .ok_or_else(|| format!("operation has no :{name}"))
    };
    // Every process that is not a client (`:nemesis`, another keyword, a
    // negative number) injects faults: Knossos and Jepsen read them so.
    let process = match field("process")? {
        Edn::Int(n) if *n >= 0 => Process::Client(*n as u64),
        _ => Process::Nemesis,
    };
    let kind = parse_kind(
        field("type")?
            .as_name()
            .ok_or(":type must be a keyword such as :invoke")?,
    )?;
    let f = field("f")?
        .as_name()
        .ok_or(":f must be a keyword or string such as :read")?
        .to_owned();
    let mut op = Op::new(
        process,
        kind,
        f,
        map.get("value")
            .map_or(serde_json::Value::Null, Edn::to_value),
    );
    op.key = match map.get("key") {
        None | Some(Edn::Nil) => None,
        Some(Edn::Int(i)) => Some(i.to_string()),
        Some(k) => Some(
            k.as_name()
                .ok_or(":key must be a string, keyword or integer")?
                .to_owned(),
        ),
    };
    if require_key && op.key.is_none() && process != Process::Nemesis {
        return Err("operation has no :key, which the kv-edn format needs (use --format edn for single-object histories)".into());
    }
    if let Some(Edn::Int(t)) = map.get("time") {
        op.time = (*t).max(0) as u64;
    }
    op.error = map.get("error").map(|e| {
        e.as_name()
            .map_or_else(|| e.to_value().to_string(), str::to_owned)
    });
    op.node = map.get("node").and_then(Edn::as_name).map(str::to_owned);
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OpType;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reads_maps_per_line_and_in_vectors() {
        let lines = "{:process 0, :type :invoke, :f :append, :key \"3\", :value \"x 0 0 y\"}\n{:process 0, :type :ok, :f :append, :key \"3\", :value \"x 0 0 y\"}\n";
        let parsed = parse_edn_history(lines, true).unwrap();
        assert_eq!(parsed.history.len(), 2);
        assert_eq!(parsed.history.events()[1].key.as_deref(), Some("3"));
        let vector = "[{:process 1 :type :invoke :f :cas :value [1 2]}\n {:process :nemesis :type :info :f :start :value nil}\n {:process 1 :type :fail :f :cas :value :timed-out}]";
        let parsed = parse_edn_history(vector, false).unwrap();
        let events = parsed.history.events();
        assert_eq!(events[0].value, json!([1, 2]));
        assert_eq!(events[1].process, Process::Nemesis);
        assert_eq!(events[2].kind, OpType::Info);
        assert_eq!(parsed.history.line_of(2), Some(3));
    }

    #[test]
    fn errors_name_the_line_and_the_missing_field() {
        let err = parse_edn_history(
            "{:process 0 :type :invoke :f :read}\n{:process 0 :f :read}\n",
            false,
        )
        .unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (2, "operation has no :type")
        );
        let err = parse_edn_history("{:process 0 :type :invoke :f :get}", true).unwrap_err();
        assert!(err.message.contains("no :key"), "{err}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics(body in "[:a-z0-9 \\[\\]{}\"#-]{0,50}") {
            let _ = parse_edn_history(&format!("{{:process 0 :type :invoke {body}}}"), true);
            let _ = parse_edn_history(&body, false);
        }
    }
}

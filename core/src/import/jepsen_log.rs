//! Jepsen's operation log lines: `INFO  jepsen.util - <process>\t<type>\t<f>\t<value>`.

use super::edn::{Edn, EdnReader};
use super::interpret_timeout;
use crate::parsed::Parsed;
use crate::{Op, OpType, ParseError, Process};

/// What every operation line of a Jepsen log holds before its fields.
pub const JEPSEN_LOG_MARKER: &str = "jepsen.util - ";
const MARKER: &str = JEPSEN_LOG_MARKER;

/// Reads the operation lines of a Jepsen log; other log lines are skipped.
pub fn parse_jepsen_log(text: &str) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    let mut skipped = 0usize;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let Some(at) = line.find(MARKER) else {
            skipped += usize::from(!line.trim().is_empty());
            continue;
        };
        let op = parse_line(&line[at + MARKER.len()..]).map_err(|m| ParseError::new(line_no, m))?;
        parsed.history.push(interpret_timeout(op), line_no);
    }
    if parsed.history.is_empty() && skipped > 0 {
        return Err(ParseError::new(
            1,
            format!(
                "none of its {skipped} line(s) holds `{}`: this is not a Jepsen log",
                MARKER.trim()
            ),
        ));
    }
    if skipped > 0 {
        parsed.warnings.push(format!(
            "{skipped} line(s) without `{}` were not operations and were skipped",
            MARKER.trim()
        ));
    }
    Ok(parsed)
}

fn parse_line(fields: &str) -> Result<Op, String> {
    // Fields are separated by tabs or runs of spaces; the value may hold spaces.
    let mut rest = fields.trim();
    let mut next = || -> Option<&str> {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        rest = tail;
        Some(token)
    };
    let (Some(process), Some(kind), Some(f)) = (next(), next(), next()) else {
        return Err("expected `<process> <type> <f> <value>` after `jepsen.util - `".into());
    };
    let process = parse_process(process)?;
    let kind = parse_kind(kind)?;
    let f = f.strip_prefix(':').unwrap_or(f).to_owned();
    let value = match rest.trim() {
        "" => Edn::Nil,
        text => {
            let forms =
                EdnReader::read_all(text).map_err(|e| format!("value `{text}`: {}", e.message))?;
            forms.into_iter().next().map_or(Edn::Nil, |(v, _)| v)
        }
    };
    Ok(Op::new(process, kind, f, value.to_value()))
}

/// A non-negative integer is a client; anything else (`:nemesis`, another
/// keyword, a negative number) is a fault injector, as Knossos and Jepsen
/// treat every process that is not a client.
fn parse_process(token: &str) -> Result<Process, String> {
    Ok(token
        .parse::<u64>()
        .map_or(Process::Nemesis, Process::Client))
}

pub(super) fn parse_kind(token: &str) -> Result<OpType, String> {
    match token.strip_prefix(':').unwrap_or(token) {
        "invoke" => Ok(OpType::Invoke),
        "ok" => Ok(OpType::Ok),
        "fail" => Ok(OpType::Fail),
        "info" => Ok(OpType::Info),
        t => Err(format!(
            "type `{t}` is not one of :invoke, :ok, :fail, :info"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reads_tab_and_space_separated_lines() {
        let text = "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\nINFO  jepsen.util - 2   :ok     :cas    [3 0]\nINFO jepsen.core - Run complete\nINFO  jepsen.util - 3\t:fail\t:read\t:timed-out\n";
        let parsed = parse_jepsen_log(text).unwrap();
        let events = parsed.history.events();
        assert_eq!(events.len(), 3);
        assert_eq!(
            (events[0].f.as_str(), &events[0].value),
            ("cas", &json!([3, 0]))
        );
        assert_eq!(events[1].kind, OpType::Ok);
        assert_eq!(
            (events[2].kind, events[2].error.as_deref()),
            (OpType::Info, Some("timed-out"))
        );
        assert_eq!(parsed.history.line_of(2), Some(4));
        assert_eq!(parsed.warnings.len(), 1);
    }

    #[test]
    fn names_the_line_and_problem() {
        let err = parse_jepsen_log(
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:done\t:read\t1\n",
        )
        .unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("type `done`"), "{err}");
    }

    #[test]
    fn every_process_that_is_not_a_client_is_the_nemesis() {
        let text = "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\nINFO  jepsen.util - :nemesis-2\t:info\t:stop\tnil\n";
        let parsed = parse_jepsen_log(text).unwrap();
        let events = parsed.history.events();
        assert!(events.iter().all(|e| e.process == Process::Nemesis));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics(tail in "[0-9a-z:\\[\\] \t{}\"#-]{0,40}") {
            let _ = parse_jepsen_log(&format!("INFO  jepsen.util - {tail}\n"));
        }
    }
}

//! YAML as `kubectl apply -f` reads it: one or several documents, each an
//! object (a `List`'s `items` count as objects), turned into their JSON
//! form; and objects written back as YAML for export.

use serde_json::{Map, Number, Value};
use yaml_rust2::{yaml::Hash, Yaml, YamlEmitter, YamlLoader};

use super::PolicyError;

/// The objects in `text` (YAML, or JSON, which is YAML), in order; empty
/// documents are skipped as kubectl skips them.
pub fn objects(text: &str) -> Result<Vec<Value>, PolicyError> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| PolicyError::Syntax {
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    for doc in docs {
        match to_json(doc) {
            Value::Null => {}
            Value::Object(mut o) if o.get("kind").and_then(Value::as_str) == Some("List") => {
                if let Some(Value::Array(items)) = o.remove("items") {
                    out.extend(items);
                }
            }
            v => out.push(v),
        }
    }
    Ok(out)
}

fn to_json(y: Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or(Value::String(s), Value::Number),
        Yaml::Integer(i) => Value::Number(i.into()),
        Yaml::String(s) => Value::String(s),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(a) => Value::Array(a.into_iter().map(to_json).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                m.insert(key, to_json(v));
            }
            Value::Object(m)
        }
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

fn to_yaml(v: &Value) -> Yaml {
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Yaml::Real(n.to_string()), Yaml::Integer),
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(a) => Yaml::Array(a.iter().map(to_yaml).collect()),
        Value::Object(o) => {
            let mut h = Hash::new();
            for (k, v) in o {
                h.insert(Yaml::String(k.clone()), to_yaml(v));
            }
            Yaml::Hash(h)
        }
    }
}

/// `objects` as YAML documents, each starting `---`.
pub fn documents(objects: &[Value]) -> String {
    let mut out = String::new();
    for o in objects {
        let mut doc = String::new();
        if YamlEmitter::new(&mut doc).dump(&to_yaml(o)).is_ok() {
            out.push_str(&doc);
            out.push('\n');
        }
    }
    out
}

//! Kubernetes quantities (`"100"`, `"500m"`, `"1.5k"`, `"2Mi"`, `"1e3"`) and the milli-units
//! the controller computes in (`Quantity.MilliValue`, which rounds up).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// A quantity as a float: a JSON number or a quantity string.
pub fn parse_quantity(v: &Value) -> Option<f64> {
    if let Some(x) = v.as_f64() {
        return Some(x);
    }
    Decimal::parse(v.as_str()?).map(Decimal::approx)
}

/// A number as a Kubernetes quantity string: whole numbers plainly, others in milli-units.
pub fn quantity(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{}", x as i64)
    } else {
        format!("{}m", (x * 1000.0).round() as i64)
    }
}

/// `x` in milli-units, rounded up as `MilliValue` rounds the quantity written as `x`'s
/// shortest decimal form (`0.3` is 300, not 301); saturating far beyond any metric.
pub fn milli(x: f64) -> i64 {
    if x.abs() >= 1e15 {
        return (x * 1000.0) as i64;
    }
    Decimal::parse(&format!("{x}"))
        .and_then(Decimal::milli)
        .unwrap_or((x * 1000.0).ceil() as i64)
}

/// A quantity of an HPA spec, written as a number or a quantity string.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    text: String,
    milli: i64,
    approx: f64,
}

impl Quantity {
    /// The quantity written `text`, if it is one.
    pub fn parse(text: &str) -> Option<Quantity> {
        let d = Decimal::parse(text)?;
        Some(Quantity {
            text: text.trim().to_owned(),
            milli: d.milli()?,
            approx: d.approx(),
        })
    }

    /// Its milli-value, rounded up (`MilliValue`).
    pub fn milli(&self) -> i64 {
        self.milli
    }

    /// Its value as a float (`AsApproximateFloat64`).
    pub fn as_f64(&self) -> f64 {
        self.approx
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Quantity, D::Error> {
        struct Q;
        impl Visitor<'_> for Q {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity such as 100, 0.5, \"500m\" or \"1.5k\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Quantity, E> {
                Quantity::parse(s).ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Quantity, E> {
                let bad = || E::invalid_value(de::Unexpected::Float(x), &self);
                x.is_finite()
                    .then(|| Quantity::parse(&format!("{x}")))
                    .flatten()
                    .ok_or_else(bad)
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<Quantity, E> {
                self.visit_str(&x.to_string())
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<Quantity, E> {
                self.visit_str(&x.to_string())
            }
        }
        d.deserialize_any(Q)
    }
}

/// A decimal quantity: `mantissa × 10^exp × binary` (binary a power of 1024).
#[derive(Debug, Clone, Copy)]
struct Decimal {
    mantissa: i128,
    exp: i32,
    binary: i128,
}

impl Decimal {
    /// Kubernetes' quantity syntax: a signed decimal number and a suffix (`n u m k M G T P E`,
    /// `Ki Mi Gi Ti Pi Ei`, or an exponent `e3`).
    fn parse(text: &str) -> Option<Decimal> {
        let s = text.trim();
        let (negative, s) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, suffix) = s.split_at(end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
            return None;
        }
        let digits = format!("{whole}{fraction}");
        if digits.len() > 30 {
            return None;
        }
        let mut mantissa: i128 = digits.parse().ok()?;
        if negative {
            mantissa = -mantissa;
        }
        let mut exp = -(fraction.len() as i32);
        let mut binary = 1;
        match suffix {
            "" => {}
            "n" => exp -= 9,
            "u" => exp -= 6,
            "m" => exp -= 3,
            "k" => exp += 3,
            "M" => exp += 6,
            "G" => exp += 9,
            "T" => exp += 12,
            "P" => exp += 15,
            "E" => exp += 18,
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                let power = "KMGTPE".find(&suffix[..1])? as u32 + 1;
                binary = 1024i128.pow(power);
            }
            _ => {
                let e = suffix.strip_prefix(['e', 'E'])?;
                exp += e.parse::<i32>().ok().filter(|e| e.abs() <= 30)?;
            }
        }
        Some(Decimal {
            mantissa,
            exp,
            binary,
        })
    }

    /// The value in milli-units, rounded up; `None` beyond `i64`.
    fn milli(self) -> Option<i64> {
        let scaled = self.mantissa.checked_mul(self.binary)?;
        let exp = self.exp + 3;
        let m = if exp >= 0 {
            scaled.checked_mul(10i128.checked_pow(exp as u32)?)?
        } else {
            let divisor = 10i128.checked_pow(exp.unsigned_abs())?;
            // Integer division truncates toward zero, which rounds a negative value up.
            let q = scaled / divisor;
            q + i128::from(scaled % divisor > 0)
        };
        i64::try_from(m).ok()
    }

    /// The value as the nearest float (read back from its decimal form, so `0.3` is 0.3).
    fn approx(self) -> f64 {
        let decimal: f64 = format!("{}e{}", self.mantissa, self.exp)
            .parse()
            .unwrap_or(f64::NAN);
        decimal * self.binary as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milli_values_round_up_as_kubernetes_does() {
        let m = |s: &str| Quantity::parse(s).map(|q| q.milli());
        assert_eq!(m("100"), Some(100_000));
        assert_eq!(m("500m"), Some(500));
        assert_eq!(m("1.5k"), Some(1_500_000));
        assert_eq!(m("2Ki"), Some(2_048_000));
        assert_eq!(m("1e3"), Some(1_000_000));
        assert_eq!(
            m("0.0001"),
            Some(1),
            "a tenth of a milli-unit rounds up to 1"
        );
        assert_eq!(m("333333333n"), Some(334));
        assert_eq!(m("-1.5m"), Some(-1), "rounded up, toward +∞");
        assert_eq!(m("abc"), None);
        assert_eq!(m("1.2.3"), None);
        assert_eq!(m("5x"), None);
        // Floats are read in their shortest decimal form: 0.3 is 300 m, not 300.000…06.
        assert_eq!(milli(0.3), 300);
        assert_eq!(milli(0.1 + 0.2), 301);
        assert_eq!(milli(2.1), 2100);
        assert_eq!(milli(1.0 / 3.0), 334);
        assert_eq!(Quantity::parse("0.05").unwrap().as_f64(), 0.05);
        assert_eq!(parse_quantity(&Value::from("1.5k")), Some(1500.0));
        assert_eq!(quantity(0.5), "500m");
    }

    #[test]
    fn quantities_read_numbers_and_strings() {
        let q: Quantity = serde_json::from_value(Value::from(0.5)).unwrap();
        assert_eq!((q.milli(), q.to_string()), (500, "0.5".to_string()));
        let q: Quantity = serde_json::from_value(Value::from(20)).unwrap();
        assert_eq!(q.milli(), 20_000);
        let q: Quantity = serde_json::from_value(Value::from("250m")).unwrap();
        assert_eq!(serde_json::to_value(&q).unwrap(), Value::from("250m"));
        let e = serde_json::from_value::<Quantity>(Value::from("lots")).unwrap_err();
        assert!(e.to_string().contains("a quantity such as"), "{e}");
    }
}

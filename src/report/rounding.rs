//! Numbers as people read them: every figure the outputs hold is rounded to what it means, at
//! output only (the model keeps full precision), and a sum is taken over the rounded parts in
//! whole units, so a total row is exactly the sum of the rows above it.

/// Decimal places kept: dollars and shares (0–1) to a millionth, percentages (0–100) to the
/// same millionth of the whole, requests to a thousandth, hours and seconds to a millionth
/// and a thousandth.
pub const DOLLARS: u32 = 6;
pub const SHARE: u32 = 6;
pub const PCT: u32 = 4;
pub const REQUESTS: u32 = 3;
pub const HOURS: u32 = 6;
pub const RATE: u32 = 6;

fn scale(places: u32) -> f64 {
    10f64.powi(places as i32)
}

/// The decimals a figure named `name` keeps: by the convention of its name.
pub fn figure_places(name: &str) -> u32 {
    if name.ends_with("_pct") {
        PCT
    } else if name.starts_with("requests_") || name.starts_with("unserved_while") {
        REQUESTS
    } else {
        DOLLARS
    }
}

/// What a figure named `name` can be: a share is within [0, 1], the jitter (supply's changes
/// less demand's) any number, every other figure (costs, counts, percentages) at least 0.
pub fn figure_range(name: &str) -> (f64, f64) {
    if name.ends_with("_share") {
        (0.0, 1.0)
    } else if name == "jitter_per_hour" {
        (f64::NEG_INFINITY, f64::INFINITY)
    } else {
        (0.0, f64::INFINITY)
    }
}

/// `value` in whole units of `places` decimals (saturating far beyond any bill).
fn units(value: f64, places: u32) -> i64 {
    (value * scale(places)).round() as i64
}

/// `value` rounded to `places` decimals: the nearest binary number to that decimal, so it is
/// written back as the decimal (`0.1 + 0.2` becomes `0.3`). −0 becomes 0.
pub fn round(value: f64, places: u32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let scaled = (value * scale(places)).round();
    if scaled.abs() >= 9.0e15 {
        return value; // beyond f64's whole numbers: already coarser than the places asked
    }
    (scaled / scale(places)) + 0.0
}

/// The exact sum of `values` rounded to `places`: summed in whole units, so no float dust.
pub fn sum(values: impl IntoIterator<Item = f64>, places: u32) -> f64 {
    let total: i64 = values.into_iter().map(|v| units(v, places)).fold(0, i64::saturating_add);
    total as f64 / scale(places) + 0.0
}

/// `numerator / denominator` rounded, none when the denominator is not positive.
pub fn ratio(numerator: f64, denominator: f64, places: u32) -> Option<f64> {
    (denominator > 0.0).then(|| round(numerator / denominator, places))
}

/// Rows as CSV, one column per field in the struct's order, numbers as plain decimals
/// (`0.000003`, never `3e-6`) and `None` as an empty cell.
pub fn plain_csv<T: serde::Serialize>(rows: impl IntoIterator<Item = T>) -> csv::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let (mut names, mut cells) = (Vec::new(), Vec::new());
    for (i, row) in rows.into_iter().enumerate() {
        names.clear();
        cells.clear();
        row.serialize(super::cells::Row { names: &mut names, cells: &mut cells }).map_err(std::io::Error::other)?;
        if i == 0 {
            writer.write_record(&names)?;
        }
        writer.write_record(&cells)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Column names for `prefix` and each of `names`: `PREFIX_NAME` with anything but ASCII
/// letters, digits and `_` in the name made `_`, and `_2`, `_3`… after a name that another
/// already gave (`api-v1` and `api_v1`), so every column is an identifier of its own.
pub fn columns<'a>(prefix: &str, names: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for name in names {
        let plain: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        let base = format!("{prefix}_{plain}");
        let mut column = base.clone();
        for n in 2.. {
            if !columns.contains(&column) {
                break;
            }
            column = format!("{base}_{n}");
        }
        columns.push(column);
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_writes_back_as_the_decimal() {
        assert_eq!(round(0.1 + 0.2, DOLLARS).to_string(), "0.3");
        assert_eq!(round(189.456_000_000_000_2, DOLLARS).to_string(), "189.456");
        assert_eq!(round(189.455_999_999_999_93, DOLLARS).to_string(), "189.456");
        assert_eq!(round(3e-10, SHARE).to_string(), "0");
        assert_eq!(round(-1e-12, DOLLARS).to_string(), "0");
        assert_eq!(round(777_030_722.674_864_8, REQUESTS).to_string(), "777030722.675");
    }

    #[test]
    fn sums_of_rounded_parts_are_exact() {
        // Ten dimes in binary floating point sum to 0.9999999999999999; in cents, to one dollar.
        let dimes = vec![0.1; 10];
        assert_ne!(dimes.iter().sum::<f64>(), 1.0);
        assert_eq!(sum(dimes, DOLLARS), 1.0);
        assert_eq!(sum([158.787_538, 42.786_862], DOLLARS).to_string(), "201.5744");
    }

    #[test]
    fn csv_numbers_are_plain_decimals() {
        #[derive(serde::Serialize)]
        struct Row {
            name: &'static str,
            share: f64,
            count: u32,
            missing: Option<f64>,
        }
        let rows = [
            Row { name: "web", share: 3e-6, count: 4, missing: None },
            Row { name: "a,b", share: 300.0, count: 0, missing: Some(f64::NAN) },
            Row { name: "api", share: -1.5, count: 7, missing: Some(2.0) },
        ];
        assert_eq!(
            String::from_utf8(plain_csv(rows).unwrap()).unwrap(),
            "name,share,count,missing\nweb,0.000003,4,\n\"a,b\",300,0,\napi,-1.5,7,2\n"
        );
        // A row that is not a struct of plain values is an error, not a half-written cell.
        #[derive(serde::Serialize)]
        struct Nested {
            list: Vec<u32>,
        }
        assert!(plain_csv([Nested { list: vec![1] }]).is_err());
        assert!(plain_csv([1.5]).is_err());
    }

    #[test]
    fn column_names_are_identifiers_each_once() {
        let names: Vec<String> = ["api", "api-v1", "api_v1", "web front"].map(String::from).to_vec();
        assert_eq!(
            columns("cost_usd_service", &names),
            [
                "cost_usd_service_api",
                "cost_usd_service_api_v1",
                "cost_usd_service_api_v1_2",
                "cost_usd_service_web_front"
            ]
        );
    }

    #[test]
    fn ratios_need_a_positive_denominator() {
        assert_eq!(ratio(1.0, 3.0, SHARE), Some(0.333_333));
        assert_eq!(ratio(1.0, 0.0, SHARE), None);
    }
}

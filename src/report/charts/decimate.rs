//! Fewer points for a line than a chart has pixels, keeping each pixel column's lowest and
//! highest value so spikes stay visible: a month of minutes is 43,200 points a line.

/// At most about `2 × columns` of `points` (in x order): per column of the x range, the first
/// point, the lowest and the highest, in their order.
pub fn decimate(points: &[(f64, f64)], columns: usize) -> Vec<(f64, f64)> {
    if points.len() <= 2 * columns.max(1) {
        return points.to_vec();
    }
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    let width = (last - first) / columns as f64;
    let mut out = Vec::with_capacity(3 * columns);
    let mut start = 0;
    while start < points.len() {
        let column = ((points[start].0 - first) / width).floor();
        let end = start + points[start..].iter().take_while(|p| ((p.0 - first) / width).floor() <= column).count();
        let bucket = &points[start..end];
        let low = bucket.iter().enumerate().min_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |(i, _)| i);
        let high = bucket.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |(i, _)| i);
        let mut keep = vec![0, low, high];
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|i| bucket[i]));
        start = end.max(start + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_survives_and_short_lines_are_kept_whole() {
        let short: Vec<(f64, f64)> = (0..10).map(|i| (f64::from(i), 1.0)).collect();
        assert_eq!(decimate(&short, 100), short);
        // 43,200 minutes at 1, one minute at 50: drawn over 500 columns.
        let mut month: Vec<(f64, f64)> = (0..43_200).map(|i| (f64::from(i), 1.0)).collect();
        month[20_001].1 = 50.0;
        let drawn = decimate(&month, 500);
        assert!(drawn.len() <= 3 * 501, "{}", drawn.len());
        assert!(drawn.contains(&(20_001.0, 50.0)));
        assert!(drawn.windows(2).all(|w| w[0].0 < w[1].0), "in x order");
        assert_eq!((drawn[0], drawn[drawn.len() - 1].0), ((0.0, 1.0), 43_199.0));
    }
}

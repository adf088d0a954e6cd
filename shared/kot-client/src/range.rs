//! Splitting punch listings into the ranges KING OF TIME accepts.

use chrono::{Duration, NaiveDate};

/// Longest range one punch listing may cover, both ends included \[docs\].
pub const MAX_RANGE_DAYS: i64 = 62;

/// `start..=end` as consecutive pieces of at most [`MAX_RANGE_DAYS`] days.
pub fn split_range(start: NaiveDate, end: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut pieces = Vec::new();
    let mut from = start;
    while from <= end {
        let to = (from + Duration::days(MAX_RANGE_DAYS - 1)).min(end);
        pieces.push((from, to));
        match to.succ_opt() {
            Some(next) => from = next,
            None => break,
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_up_to_62_days_are_one_call() {
        assert_eq!(
            split_range(day("2024-01-01"), day("2024-03-02")),
            vec![(day("2024-01-01"), day("2024-03-02"))]
        );
        assert_eq!(split_range(day("2024-05-05"), day("2024-05-05")).len(), 1);
    }

    #[test]
    fn longer_ranges_split_without_gaps_or_overlaps() {
        let pieces = split_range(day("2024-01-01"), day("2024-12-31"));
        assert_eq!(pieces.len(), 6); // 366 days
        assert_eq!(pieces[0], (day("2024-01-01"), day("2024-03-02")));
        for pair in pieces.windows(2) {
            assert_eq!(pair[0].1.succ_opt(), Some(pair[1].0));
        }
        for (from, to) in &pieces {
            assert!((*to - *from).num_days() < MAX_RANGE_DAYS);
        }
        assert_eq!(pieces.last().unwrap().1, day("2024-12-31"));
    }
}

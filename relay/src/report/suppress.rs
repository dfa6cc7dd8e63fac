//! Small-cell suppression: no figure of a report lets a reader learn about fewer than
//! five conversations, not even by subtracting the figures shown from a total.
//!
//! The rule (also in docs/reports.md and in every report):
//!
//! 1. **Primary**: a count from 1 to 4 is shown as `<5`. Zero is shown: it names nobody.
//! 2. **Complementary**: figures are tied together in *groups*: a total and the cells
//!    it is the sum of (a distribution and its total, a series over the periods and its
//!    period total, a period's arrivals and how they ended). A reader knows that a
//!    `<5` cell holds 1 to 4, that a hidden cell (`x`) holds 5 or more, and every shown
//!    figure. In a group whose cells include a suppressed one, if that knowledge pins
//!    any suppressed cell (or the total) to a single value, the smallest shown non-zero
//!    cell of the group is hidden as well (`x`); when no cell is left to hide, the
//!    total is hidden. This repeats over all groups until no suppressed figure can be
//!    pinned down in any group.
//!
//! A figure that is hidden in one group is hidden everywhere it appears, so a hidden
//! period total also weakens the series-wide group it belongs to.

/// How a figure is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Shown,
    /// 1 to 4: shown as `<5`.
    Small,
    /// Hidden so that a small cell can't be recomputed: shown as `x`.
    Hidden,
}

/// The bounds a reader knows for a figure from its mark.
fn bounds(mark: Mark, value: i64) -> (i64, i64) {
    match mark {
        Mark::Shown => (value, value),
        Mark::Small => (1, 4),
        Mark::Hidden => (5, UNBOUNDED),
    }
}

/// Stands for "no upper bound"; far above any count, far below overflow.
const UNBOUNDED: i64 = 1 << 40;

/// A total and the cells it is the exact sum of (indices into the figures).
#[derive(Clone, Debug)]
pub struct Group {
    pub total: usize,
    pub members: Vec<usize>,
}

/// Marks every figure of `values` by the rule above, given the groups that tie them.
pub fn suppress(values: &[i64], groups: &[Group]) -> Vec<Mark> {
    let mut marks: Vec<Mark> = values
        .iter()
        .map(|&v| {
            if (1..5).contains(&v) {
                Mark::Small
            } else {
                Mark::Shown
            }
        })
        .collect();
    loop {
        let mut changed = false;
        for g in groups {
            if pinned(values, &marks, g) {
                let next = g
                    .members
                    .iter()
                    .copied()
                    .filter(|&i| marks[i] == Mark::Shown && values[i] > 0)
                    .min_by_key(|&i| values[i]);
                let hide = next.unwrap_or(g.total);
                if marks[hide] == Mark::Shown {
                    marks[hide] = Mark::Hidden;
                    changed = true;
                }
            }
        }
        if !changed {
            return marks;
        }
    }
}

/// Whether a reader can pin some suppressed figure of `g` to one value: for the
/// equation `total - Σ members = 0`, each figure's range follows from the others'.
pub fn pinned(values: &[i64], marks: &[Mark], g: &Group) -> bool {
    // (coefficient, index): the total counts +1, each member -1.
    let terms: Vec<(i64, usize)> = std::iter::once((1, g.total))
        .chain(g.members.iter().map(|&m| (-1, m)))
        .collect();
    let range = |&(c, i): &(i64, usize)| {
        let (lo, hi) = bounds(marks[i], values[i]);
        if c > 0 { (lo, hi) } else { (-hi, -lo) }
    };
    let (sum_lo, sum_hi) = terms
        .iter()
        .map(range)
        .fold((0i64, 0i64), |(a, b), (lo, hi)| {
            (a.saturating_add(lo), b.saturating_add(hi))
        });
    terms.iter().any(|t @ &(c, i)| {
        if marks[i] == Mark::Shown {
            return false;
        }
        let (lo, hi) = range(t);
        // c·x = -(sum of the others), whose range is [-(sum_hi - hi), -(sum_lo - lo)].
        let (others_lo, others_hi) = (sum_lo - lo, sum_hi - hi);
        let (x_lo, x_hi) = if c > 0 {
            (-others_hi, -others_lo)
        } else {
            (others_lo, others_hi)
        };
        let (own_lo, own_hi) = bounds(marks[i], values[i]);
        x_lo.max(own_lo) >= x_hi.min(own_hi)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(total: usize, members: std::ops::Range<usize>) -> Group {
        Group {
            total,
            members: members.collect(),
        }
    }

    /// Every value a reader could believe for each figure, by brute force over small
    /// counts: what they know is the marks, the shown values and the group equations.
    fn candidates(values: &[i64], marks: &[Mark], groups: &[Group], i: usize) -> Vec<i64> {
        let hidden: Vec<usize> = (0..values.len())
            .filter(|&k| marks[k] != Mark::Shown)
            .collect();
        let max = values.iter().copied().max().unwrap_or(0) + 6;
        let mut found = std::collections::BTreeSet::new();
        let mut guess = values.to_vec();
        // An odometer over every hidden figure's possible values.
        let range = |k: usize| {
            let (lo, hi) = bounds(marks[k], 0);
            (lo, hi.min(max))
        };
        for &k in &hidden {
            guess[k] = range(k).0;
        }
        loop {
            let fits = groups
                .iter()
                .all(|g| guess[g.total] == g.members.iter().map(|&m| guess[m]).sum::<i64>());
            if fits {
                found.insert(guess[i]);
            }
            let Some(turn) = hidden.iter().position(|&k| guess[k] < range(k).1) else {
                break;
            };
            guess[hidden[turn]] += 1;
            for &k in &hidden[..turn] {
                guess[k] = range(k).0;
            }
        }
        found.into_iter().collect()
    }

    #[test]
    fn one_person_in_a_distribution_is_not_exposed_by_its_total() {
        // 30 visitors; one 65-plus. A naive report shows "65+: 1" or, suppressing only
        // that cell, lets 30 - 12 - 9 - 8 = 1 be recomputed.
        let values = [30, 12, 9, 8, 1];
        let groups = [group(0, 1..5)];
        let marks = suppress(&values, &groups);
        assert_eq!(marks[4], Mark::Small);
        assert_eq!(marks[3], Mark::Hidden, "the smallest other cell hides too");
        assert_eq!(marks[..3], [Mark::Shown; 3]);
        for i in [3, 4] {
            assert!(
                candidates(&values, &marks, &groups, i).len() > 1,
                "cell {i} pinned"
            );
        }
    }

    #[test]
    fn two_small_cells_that_pin_each_other_take_a_third() {
        // 1 + 1 = 2 would be read off as "both 1".
        let values = [22, 20, 1, 1];
        let groups = [group(0, 1..4)];
        let marks = suppress(&values, &groups);
        assert_eq!(marks, [Mark::Shown, Mark::Hidden, Mark::Small, Mark::Small]);
        for i in 1..4 {
            assert!(candidates(&values, &marks, &groups, i).len() > 1);
        }
    }

    #[test]
    fn a_small_cell_and_a_hidden_five_would_pin_at_six() {
        // Hidden cell ≥ 5, small ≥ 1, and they add up to 6: both pinned, so a third goes.
        let values = [21, 15, 5, 1];
        let groups = [group(0, 1..4)];
        let marks = suppress(&values, &groups);
        assert!(marks.iter().filter(|m| **m != Mark::Shown).count() >= 3);
        for i in 0..4 {
            if marks[i] != Mark::Shown {
                assert!(candidates(&values, &marks, &groups, i).len() > 1);
            }
        }
    }

    #[test]
    fn rows_and_columns_are_protected_together() {
        // Two periods × (served, left) with period totals and column totals:
        //   p1: 10 = 8 + 2     p2: 12 = 7 + 5     totals: 22 = 15 + 7
        let values = [10, 8, 2, 12, 7, 5, 22, 15, 7];
        let groups = [
            Group {
                total: 0,
                members: vec![1, 2],
            },
            Group {
                total: 3,
                members: vec![4, 5],
            },
            Group {
                total: 6,
                members: vec![7, 8],
            },
            Group {
                total: 7,
                members: vec![1, 4],
            },
            Group {
                total: 8,
                members: vec![2, 5],
            },
            Group {
                total: 6,
                members: vec![0, 3],
            },
        ];
        let marks = suppress(&values, &groups);
        assert_eq!(marks[2], Mark::Small);
        for g in &groups {
            assert!(!pinned(&values, &marks, g));
        }
        for i in 0..values.len() {
            if marks[i] != Mark::Shown {
                assert!(
                    candidates(&values, &marks, &groups, i).len() > 1,
                    "figure {i}"
                );
            }
        }
    }

    #[test]
    fn a_group_without_small_cells_shows_everything() {
        let values = [0, 7, 0, 7];
        let marks = suppress(
            &values,
            &[
                group(1, 2..4),
                Group {
                    total: 0,
                    members: vec![2],
                },
            ],
        );
        assert_eq!(marks, [Mark::Shown; 4]);
    }
}

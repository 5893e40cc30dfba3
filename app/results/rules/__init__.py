"""Pure rules of the results (no database): import everything from here.

- `final`: final score and qualification under the cycle's versioned formula.
- `ranking`: competition ranks per category with a declared tie-break policy.
- `awards`: Informatif, top N per category, best per indicator, special prizes.
- `diff`: which bodies change published score, qualification or rank between two result sets.
- `history`: streaks (hattrick), second time Informatif, first Informatif, most improved.
"""

from app.results.rules.awards import (
    Award,
    AwardKind,
    AwardRules,
    AwardScope,
    IndicatorAward,
    SpecialAward,
    award_rules_errors,
    determine_awards,
)
from app.results.rules.config import (
    award_rules,
    ranking_policy,
    scoring_rules,
    tie_break_criterion,
)
from app.results.rules.diff import PublishedRow, RowChange, diff_results, published_rows
from app.results.rules.final import (
    FORMULA_VERSION,
    SAQ,
    BodyInputs,
    ComponentContribution,
    ComponentWeight,
    FinalScore,
    NonShortlistedPolicy,
    NonSubmitterPolicy,
    ScoreBasis,
    ScoringRules,
    compute_final_score,
    compute_results,
    missing_components,
    scoring_rules_errors,
)
from app.results.rules.history import (
    HistoryRecord,
    Recognition,
    RecognitionKind,
    RecognitionRules,
    body_recognitions,
    cycle_recognitions,
    informatif_streak,
    most_improved,
)
from app.results.rules.ranking import (
    FINAL,
    SHARED,
    VERIFIED_SAQ,
    RankedBody,
    RankingPolicy,
    criterion_value,
    rank_category,
    rank_results,
    tie_break_errors,
    tie_break_values,
)

__all__ = [
    "FINAL",
    "FORMULA_VERSION",
    "SAQ",
    "SHARED",
    "VERIFIED_SAQ",
    "Award",
    "AwardKind",
    "AwardRules",
    "AwardScope",
    "BodyInputs",
    "ComponentContribution",
    "ComponentWeight",
    "FinalScore",
    "HistoryRecord",
    "IndicatorAward",
    "NonShortlistedPolicy",
    "NonSubmitterPolicy",
    "PublishedRow",
    "RankedBody",
    "RankingPolicy",
    "Recognition",
    "RecognitionKind",
    "RecognitionRules",
    "RowChange",
    "ScoreBasis",
    "ScoringRules",
    "SpecialAward",
    "award_rules",
    "award_rules_errors",
    "body_recognitions",
    "compute_final_score",
    "compute_results",
    "criterion_value",
    "cycle_recognitions",
    "determine_awards",
    "diff_results",
    "informatif_streak",
    "missing_components",
    "most_improved",
    "published_rows",
    "rank_category",
    "rank_results",
    "ranking_policy",
    "scoring_rules",
    "scoring_rules_errors",
    "tie_break_criterion",
    "tie_break_errors",
    "tie_break_values",
]

//! Every Dutch text of the reports, in one place.

pub const TITLE: &str = "Cijferrapport chathulp";
pub const PERIOD: &str = "Periode";
pub const SERVICE: &str = "Dienst";
pub const ALL_SERVICES: &str = "alle diensten";
pub const PER: &str = "per";
pub const MADE_AT: &str = "Gemaakt op";

pub const SUMMARY: &str = "Samenvatting";
pub const HELLOS: &str = "Bezoekers die een gesprek begonnen";
pub const SERVED: &str = "Gesprekken opgenomen";
pub const LEFT_QUEUE: &str = "Verlieten de wachtrij";
pub const OPEN: &str = "Nog wachtend of bezig";
pub const REFUSED_BUSY: &str = "Geweigerd: alle medewerkers in gesprek";
pub const REFUSED_CLOSED: &str = "Geweigerd: chat gesloten";
pub const RETURNING: &str = "Terugkerende bezoekers";
pub const MEAN_WAIT: &str = "Gemiddelde wachttijd tot opname";
pub const MEAN_DURATION: &str = "Gemiddelde gespreksduur";
pub const OVER_60: &str = "Aandeel gesprekken van 60 minuten of langer";
pub const ABANDONMENT: &str = "Aandeel dat de wachtrij verliet";
pub const DOSSIER_REFUSED: &str = "Aandeel dat een dossier weigerde";
pub const REVEALS_REQUESTED: &str = "IP-opvragingen aangevraagd";
pub const REVEALS_APPROVED: &str = "IP-opvragingen goedgekeurd";
pub const REVEALS_DENIED: &str = "IP-opvragingen geweigerd";
pub const VISITS_CLOSED: &str = "Bezoeken aan de pagina terwijl de chat gesloten was";
pub const BLOCKS: &str = "Blokkeringen";

pub const HEATMAP: &str = "Gemiddelde wachttijd per uur van de week (minuten)";
pub const HEATMAP_NOTE: &str =
    "Lege vakjes: minder dan 5 opgenomen gesprekken in dat uur, of geen.";
pub const GAPS_NOTE: &str = "Een ontbrekend punt: dat aantal is verborgen (\"<5\" of \"x\") \
om kleine aantallen te beschermen.";
pub const DEMAND: &str = "Vraag en opgenomen gesprekken";
pub const DEMAND_LEGEND: &str = "vraag (begonnen gesprekken)";
pub const SERVED_LEGEND: &str = "opgenomen";
pub const ABANDONMENT_CHART: &str = "Aandeel dat de wachtrij verliet (%)";
pub const PERIODS: &str = "Per periode";
pub const START: &str = "Begin";

pub const INTAKE: &str = "Wie nam contact op (zoals ze het zelf kozen te zeggen)";
pub const AGE: &str = "Leeftijd";
pub const REGION: &str = "Regio";
pub const GENDER: &str = "Gender";
pub const WAIT_SERVED: &str = "Wachttijd tot opname (minuten)";
pub const WAIT_LEFT: &str = "Wachttijd van wie de wachtrij verliet (minuten)";
pub const DURATION: &str = "Gespreksduur (minuten)";
pub const DOSSIER: &str = "Dossier";
pub const TOPICS: &str = "Thema's (registratie na het gesprek)";
pub const SURVEY: &str = "Bevraging na het gesprek";
pub const COUNT: &str = "Aantal";
pub const TOTAL: &str = "Totaal";

pub const NOT_GIVEN: &str = "niet opgegeven";
pub const UNDISCLOSED: &str = "zeg ik liever niet";
pub const REFUSED: &str = "geweigerd";
pub const NOT_REFUSED: &str = "niet geweigerd";
pub const YES: &str = "ja";
pub const NO: &str = "nee";

pub const WEEKDAYS: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];

pub const RULE_TITLE: &str = "Bescherming van kleine aantallen";
/// The rule, as every report states it (see `suppress.rs`).
pub const RULE: &str = "Een aantal van 1 tot 4 staat er als \"<5\". Waar een totaal samen met \
de andere getoonde aantallen zo'n klein aantal (of een ander verborgen aantal) precies zou \
verraden, is ook het kleinste andere aantal van die groep verborgen (\"x\"), en als er geen \
meer over is het totaal. Dat wordt herhaald tot geen enkel verborgen aantal nog uit te \
rekenen is. Gemiddelden en percentages staan er alleen als de aantallen waaruit ze komen \
getoond worden. Alles is geteld per uur van aankomst van de bezoeker; het rapport bevat \
geen bijnamen, IP-adressen, teksten of gespreksnummers.";
pub const RULE_ID: &str = "chathulp-klein-aantal-v1: <5 primair, aanvullend per groep";

/// The Dutch label of a tally value.
pub fn label(metric: &str, value: &str) -> String {
    use crate::tally;
    let fixed = match value {
        tally::NOT_GIVEN => Some(NOT_GIVEN),
        "undisclosed" => Some(UNDISCLOSED),
        "refused" if metric == tally::DOSSIER => Some(REFUSED),
        "not_refused" => Some(NOT_REFUSED),
        "antwerpen" => Some("Antwerpen"),
        "limburg" => Some("Limburg"),
        "oost_vlaanderen" => Some("Oost-Vlaanderen"),
        "vlaams_brabant" => Some("Vlaams-Brabant"),
        "west_vlaanderen" => Some("West-Vlaanderen"),
        "brussel" => Some("Brussel"),
        "elders" => Some("elders"),
        "female" => Some("vrouw"),
        "male" => Some("man"),
        "x" if metric == tally::GENDER => Some("x"),
        "yes" => Some(YES),
        "no" => Some(NO),
        _ => None,
    };
    fixed.map_or_else(|| value.to_owned(), str::to_owned)
}

//! The lookup lists of the name finder, embedded in the binary and loaded once.
//!
//! The data files in `relay/data/names/` are folded (see [`super::text::fold`]); their
//! origin and licence are in `relay/data/names/README.md`. The short word lists below
//! are not names: they are the vocabulary of the rules (who is a role, what is a month).

use std::collections::HashSet;
use std::sync::LazyLock;

fn set(data: &'static str) -> HashSet<&'static str> {
    data.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// First names common in Belgium and the Netherlands (Faker, from Statbel and others).
pub static FIRST_NAMES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| set(include_str!("../../data/names/first_names.txt")));
/// Surnames, whole ("van den broeck") and as their core ("broeck").
pub static SURNAMES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| set(include_str!("../../data/names/surnames.txt")));
/// Surnames that are also dictionary words ("bakker", "mol"): names only in context.
pub static SURNAME_WORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| set(include_str!("../../data/names/surname_words.txt")));
/// First names that are also common chat words ("ben", "elke", "max").
pub static NOT_NAMES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| set(include_str!("../../data/names/not_names.txt")));
/// Municipalities and places of Belgium and the Netherlands: kept when named alone.
pub static PLACES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| set(include_str!("../../data/names/places.txt")));
/// Dutch words (OpenTaal) of at most 10 letters: an unknown word in a name context that
/// is none of these is taken for a name.
pub static DUTCH_WORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| set(include_str!("../../data/names/dutch_words.txt")));

macro_rules! words {
    ($name:ident, $doc:literal, $($w:literal)*) => {
        #[doc = $doc]
        pub static $name: LazyLock<HashSet<&'static str>> =
            LazyLock::new(|| [$($w),*].into_iter().collect());
    };
}

words!(PARTICLES, "Particles inside a surname: \"van den\", \"El\", \"ben\".",
    "van" "de" "der" "den" "het" "ter" "ten" "te" "vd" "vande" "vanden" "vander" "du" "des"
    "la" "le" "el" "al" "ben" "bin" "ibn" "abou" "abu" "ait" "ou" "da" "di" "dos" "von" "op" "'t");

words!(ROLES, "Words for a person by their role: the role stays, the name after it goes.",
    "vriend" "vriendin" "vriendje" "vriendinnetje" "vrienden" "vriendinnen" "lief" "liefje" "ex"
    "broer" "broertje" "zus" "zusje" "zuster" "stiefbroer" "stiefzus" "halfbroer" "halfzus"
    "mama" "papa" "mam" "pap" "ma" "pa" "moeder" "vader" "mams" "paps" "stiefvader"
    "stiefmoeder" "stiefpapa" "stiefmama" "pleegvader" "pleegmoeder" "pleegmama" "pleegpapa"
    "opa" "oma" "bompa" "bomma" "meme" "pepe" "grootvader" "grootmoeder" "tante" "oom"
    "nonkel" "tata" "neef" "nicht" "neefje" "nichtje" "kozijn" "kozijntje" "schoonmoeder"
    "schoonvader" "schoonzus" "schoonbroer" "man" "vrouw" "echtgenoot" "echtgenote" "partner"
    "zoon" "dochter" "zoontje" "dochtertje" "kleinzoon" "kleindochter" "kind" "baby"
    "juf" "juffrouw" "meester" "meneer" "mevrouw" "mr" "mevr" "mw" "dhr" "leraar" "lerares"
    "leerkracht" "directeur" "directrice" "coach" "trainer" "trainster" "leider" "leidster"
    "monitor" "mentor" "begeleider" "begeleidster" "opvoeder" "opvoedster" "dokter" "dr"
    "huisarts" "psycholoog" "psychologe" "psychiater" "therapeut" "hulpverlener" "assistent"
    "collega" "baas" "chef" "buurman" "buurvrouw" "buur" "klasgenoot" "klasgenote"
    "kamergenoot" "pastoor" "imam" "agent" "stalker" "jongen" "meisje" "gast" "vent" "kerel"
    "maat" "bff" "crush" "date" "bestie" "hond" "kat" "pony");

words!(NAMING, "Words after which the next word is a name: \"hij heet X\".",
    "heet" "heten" "noemt" "noem" "genaamd" "naam" "heette" "noemde");

words!(SPEECH, "Verbs of speech and deeds after a name: \"X zei\", \"X sloeg\".",
    "zei" "zegt" "zeggen" "zeiden" "vroeg" "vraagt" "vindt" "vond" "vinden" "riep" "roept"
    "schreef" "schrijft" "stuurde" "stuurt" "sms'te" "appte" "appt" "belde" "belt" "wist"
    "dacht" "denkt" "lacht" "lachte" "lachen" "pest" "pestte" "pesten" "slaat" "sloeg"
    "roddelen" "roddelt" "bedreigt" "bedreigde" "vertelde" "vertelt" "weten");

words!(VERBS, "Common verbs after a subject: after a word no list knows, a name (\"oumaima is\").",
    "heeft" "had" "hebben" "is" "was" "zijn" "waren" "wil" "wou" "kwam" "komt" "zit" "zat"
    "zitten" "doet" "deed" "woont" "wonen" "weet" "gaat" "ging" "kan" "kon" "mag" "moet"
    "wacht" "wachten" "speelt" "spelen" "maakt" "maakte" "snijdt" "drinkt" "heet" "houdt");

words!(DETERMINERS, "Words before a noun: \"de bakker zei\" is no name.",
    "de" "het" "een" "die" "deze" "dat" "dit" "mijn" "jouw" "zijn" "haar" "onze" "ons" "hun"
    "m'n" "z'n" "ne" "nen" "den" "elke" "geen");

words!(SOCIAL, "Prepositions before a person: \"met X\", \"bij X\", \"tegen X\".",
    "met" "bij" "aan" "tegen" "voor" "naast" "zonder" "van" "op" "achter");

words!(KEEP, "Words the team needs that the lists may take for names: months, days, feasts, \
    the services and other help, countries and their adjectives (OpenTaal writes these with a \
    capital, so dutch_words.txt, which holds its lowercase words, lacks \"turkse\").",
    "januari" "februari" "maart" "april" "mei" "juni" "juli" "augustus" "september" "oktober"
    "november" "december" "maandag" "dinsdag" "woensdag" "donderdag" "vrijdag" "zaterdag"
    "zondag" "kerstmis" "kerst" "pasen" "pinksteren" "ramadan" "suikerfeest" "offerfeest"
    "valentijn" "halloween" "caw" "jac" "clb" "awel" "ocmw" "tele-onthaal" "teleonthaal"
    "zelfmoordlijn" "politie" "god" "allah" "jezus" "insta" "instagram" "snap" "snapchat"
    "tiktok" "whatsapp" "discord" "facebook" "youtube" "netflix" "google" "nederland"
    "belgie" "vlaanderen" "wallonie" "brussel" "marokko" "turkije" "syrie" "spanje"
    "frankrijk" "duitsland" "polen" "europa" "frans" "engels" "nederlands" "arabisch"
    "turks" "marokkaans" "turkse" "marokkaanse" "franse" "engelse" "nederlandse" "arabische"
    "belgisch" "belgische" "vlaams" "vlaamse" "waals" "waalse" "syrisch" "syrische" "spaans"
    "spaanse" "duits" "duitse" "pools" "poolse" "europees" "europese" "islam" "moslim" "chiro" "ksa" "kla" "scouts" "fortnite"
    "minecraft" "roblox" "playstation" "xbox" "colruyt" "delhaize" "aldi" "lidl" "mcdonalds"
    "kinepolis" "spotify" "telenet" "proximus" "nmbs" "vdab" "tejo" "jongerenwelzijn"
    "vertrouwenscentrum" "kind" "gezin" "jeugdhulp" "zorgband" "bib" "school");

words!(STOP, "Function words and chat words: never a name, whatever context.",
    "ik" "je" "jij" "jou" "jouw" "u" "uw" "hij" "zij" "ze" "wij" "we" "jullie" "hun" "hen"
    "mij" "me" "mijn" "m'n" "zijn" "z'n" "haar" "ons" "onze" "het" "de" "een" "en" "of"
    "maar" "want" "dus" "dan" "als" "dat" "die" "dit" "deze" "wat" "wie" "waar" "hoe"
    "waarom" "wanneer" "niet" "nie" "ni" "geen" "wel" "ook" "nog" "al" "zo" "heel" "erg"
    "echt" "gewoon" "eigenlijk" "misschien" "mss" "ja" "jaa" "nee" "neen" "neeje" "ok" "oke"
    "okee" "oké" "okay" "hey" "hoi" "hallo" "hai" "dag" "doei" "haha" "hahaha" "xd" "lol"
    "omg" "idk" "wtf" "sws" "ff" "nx" "wrm" "ofz" "ge" "gij" "zijt" "da" "wa" "wadde"
    "allee" "amai" "efkes" "ewa" "wollah" "wallah" "inshallah" "bro" "sis" "sorry" "sry"
    "aub" "pls" "plz" "thx" "merci" "dank" "bedankt" "in" "op" "aan" "van" "voor" "met"
    "bij" "naar" "uit" "over" "om" "tot" "tegen" "zonder" "na" "door" "heb" "hebt" "heeft"
    "ben" "bent" "is" "was" "waren" "word" "wordt" "werd" "kan" "kun" "kunt" "moet" "mag"
    "wil" "zal" "zou" "ga" "gaat" "gaan" "doe" "doet" "zeg" "zegt" "zei" "weet" "er" "hier"
    "daar" "nu" "toen" "soms" "altijd" "nooit" "vaak" "iemand" "niemand" "iedereen" "alles"
    "niks" "niets" "iets" "ook" "kheb" "kben" "kzit" "kweet" "tis" "twas" "ma" "nen" "ne"
    "elke" "elk" "alle" "veel" "weinig" "beetje" "samen" "alleen" "nieuwe" "nieuw" "oude"
    "beste" "lieve" "enige" "zelf" "andere" "ander" "eerste" "laatste" "vorige" "volgende"
    "zo'n" "zon" "iets" "hem" "nog" "even" "ineens" "weer" "terug" "mee" "weg" "thuis");

/// Places whose name comes right before a place: "in Brecht" is the town.
pub const PLACE_PREPOSITIONS: &[&str] = &["in", "uit", "naar", "te", "rond", "nabij", "richting"];

use super::*;

fn check(cases: &[(&str, &str, &[&str], &str)]) {
    let mut failures = Vec::new();
    for (text, nickname, tagged, expected) in cases {
        let got = Anonymiser::new(nickname, tagged.iter().copied()).scrub(text);
        if got != *expected {
            failures.push(format!("{text:?}\n   got {got:?}\n  want {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Kept from the pattern scrubber: contact details and numbers, and what stays.
#[test]
fn contact_details_and_numbers_are_replaced_and_the_rest_stays() {
    check(&[
        (
            "bel me op 0470 12 34 56 aub",
            "Sam",
            &[],
            "bel me op [telefoon] aub",
        ),
        (
            "mijn gsm: 0470/12.34.56",
            "Sam",
            &[],
            "mijn gsm: [telefoon]",
        ),
        ("thuis 09 123 45 67", "Sam", &[], "thuis [telefoon]"),
        ("of +32 470 12 34 56", "Sam", &[], "of [telefoon]"),
        (
            "mijn nummer is 0032470123456",
            "Sam",
            &[],
            "mijn nummer is [telefoon]",
        ),
        (
            "papa woont in Nederland: +31 6 12345678",
            "Sam",
            &[],
            "papa woont in Nederland: [telefoon]",
        ),
        (
            "mail naar noor.peeters@gmail.com",
            "Sam",
            &[],
            "mail naar [e-mail]",
        ),
        ("of sam+chat@student.ugent.be", "Sam", &[], "of [e-mail]"),
        (
            "ik woon in de Kerkstraat 12, 9000 Gent",
            "Sam",
            &[],
            "ik woon in de [adres]",
        ),
        ("Dorpsplein 3 bus 2 in Lier", "Sam", &[], "[adres] in Lier"),
        (
            "adres: kortrijksesteenweg 1010 9051 Sint-Denijs-Westrem",
            "Sam",
            &[],
            "adres: [adres]",
        ),
        (
            "chez moi, rue de la Loi 16, 1000 Brussel",
            "Sam",
            &[],
            "chez moi, [adres]",
        ),
        (
            "mijn rijksregisternummer is 85.07.30-033.28",
            "Sam",
            &[],
            "mijn rijksregisternummer is [rijksregisternummer]",
        ),
        (
            "nummer 05071401242 staat op mijn kaart",
            "Sam",
            &[],
            "nummer [rijksregisternummer] staat op mijn kaart",
        ),
        (
            "stort op BE68 5390 0754 7034",
            "Sam",
            &[],
            "stort op [iban]",
        ),
        (
            "rekening be68539007547034 graag",
            "Sam",
            &[],
            "rekening [iban] graag",
        ),
        (
            "Bel 112 of de Zelfmoordlijn op 1813",
            "Sam",
            &[],
            "Bel 112 of de Zelfmoordlijn op 1813",
        ),
        ("ik woon in 9000", "Sam", &[], "ik woon in 9000"),
        (
            "het was op 12/03/2024 om 14.30 uur",
            "Sam",
            &[],
            "het was op 12/03/2024 om 14.30 uur",
        ),
        (
            "op 01.02.2024 14.30 begon het",
            "Sam",
            &[],
            "op 01.02.2024 14.30 begon het",
        ),
        (
            "ik kreeg € 1.250,00 zakgeld, of 0,50 euro per dag",
            "Sam",
            &[],
            "ik kreeg € 1.250,00 zakgeld, of 0,50 euro per dag",
        ),
        (
            "ik ben onderweg 2 uur naar school",
            "Sam",
            &[],
            "ik ben onderweg 2 uur naar school",
        ),
        (
            "12.34.56-789.00 is geen echt nummer",
            "Sam",
            &[],
            "12.34.56-789.00 is geen echt nummer",
        ),
        (
            "BE68 5390 0754 7035 is een tikfout",
            "Sam",
            &[],
            "BE68 5390 0754 7035 is een tikfout",
        ),
        (
            "ik ben 16 en zit in het 4de jaar",
            "Sam",
            &[],
            "ik ben 16 en zit in het 4de jaar",
        ),
        (
            "Samenvatting: het gaat beter",
            "Sam",
            &[],
            "Samenvatting: het gaat beter",
        ),
    ]);
}

/// The nickname and tagged names: whole words, any case, longest first, numbered.
#[test]
fn tagged_names_are_numbered_whole_longest_first_in_any_case() {
    check(&[
        (
            "Ik ben Noor en ik ben 15",
            "Noor",
            &[],
            "Ik ben [naam 1] en ik ben 15",
        ),
        (
            "NOOR zegt mijn mama altijd",
            "Noor",
            &[],
            "[naam 1] zegt mijn mama altijd",
        ),
        (
            "ik heet x_mila_x op insta",
            "x_mila_x",
            &[],
            "ik heet [naam 1] op insta",
        ),
        (
            "Mijn vriendin Mila en mijn broer Jonas Peeters",
            "Sam",
            &["Mila", "Jonas", "Jonas Peeters"],
            "Mijn vriendin [naam 1] en mijn broer [naam 2]",
        ),
        (
            "MILA zei dat jonas het wist",
            "Sam",
            &["Mila", "Jonas"],
            "[naam 1] zei dat [naam 2] het wist",
        ),
        (
            "ik zit bij Jonas   Peeters\nin de klas",
            "Sam",
            &["Jonas Peeters"],
            "ik zit bij [naam 1]\nin de klas",
        ),
        (
            "Sam woont in de Kerkstraat 12, 9000 Gent bij tante Adres",
            "Sam",
            &["adres"],
            "[naam 1] woont in de [adres] bij tante [naam 2]",
        ),
        (
            "de (x) groep en x",
            "Sam",
            &["(x)"],
            "de [naam 1] groep en x",
        ),
    ]);
}

/// Names nobody tagged: each case fails without the finder (the tagged list is empty).
#[test]
fn untagged_names_are_found_from_the_lists_and_their_context() {
    check(&[
        // From the lists, in lowercase.
        (
            "gisteren zei lars dat niemand me moet",
            "",
            &[],
            "gisteren zei [naam 1] dat niemand me moet",
        ),
        (
            "yasmine en fatima lachen me uit",
            "",
            &[],
            "[naam 1] en [naam 2] lachen me uit",
        ),
        // A full name, with particles.
        (
            "mijn beste vriend is mohamed el amrani",
            "",
            &[],
            "mijn beste vriend is [naam 1]",
        ),
        (
            "bram van den broeck heeft me bedreigd",
            "",
            &[],
            "[naam 1] heeft me bedreigd",
        ),
        ("hij heet thijs de backer", "", &[], "hij heet [naam 1]"),
        // The role stays, the name goes; a surname after a title with its particle.
        (
            "de juf van wiskunde, juf hilde, heeft het gezien",
            "",
            &[],
            "de juf van wiskunde, juf [naam 1], heeft het gezien",
        ),
        (
            "mevrouw de smet heeft me naar het CLB gestuurd",
            "",
            &[],
            "mevrouw [naam 1] heeft me naar het CLB gestuurd",
        ),
        // Context: after a role, a naming word, before a verb; a capital mid-sentence.
        (
            "mijn vriendin kiara heeft hetzelfde",
            "",
            &[],
            "mijn vriendin [naam 1] heeft hetzelfde",
        ),
        (
            "ze noemen me altijd meryem de dikke",
            "",
            &[],
            "ze noemen me altijd [naam 1] de dikke",
        ),
        (
            "oumaima is mijn beste vriendin",
            "",
            &[],
            "[naam 1] is mijn beste vriendin",
        ),
        (
            "Ik heb het verteld aan Jolien",
            "",
            &[],
            "Ik heb het verteld aan [naam 1]",
        ),
        // A name that is a common word, only in a name context.
        (
            "mijn vriendin roos heeft een roos gekregen",
            "",
            &[],
            "mijn vriendin [naam 1] heeft een roos gekregen",
        ),
        // The same person, the same number.
        (
            "jonas maes zei het, en jonas lachte, en noor ook",
            "",
            &[],
            "[naam 1] zei het, en [naam 1] lachte, en [naam 2] ook",
        ),
    ]);
}

/// What the team needs stays: roles, months, towns, services, ages, common words.
#[test]
fn roles_places_dates_and_services_stay() {
    check(&[
        (
            "mijn mama weet het niet en mijn papa ook niet",
            "",
            &[],
            "mijn mama weet het niet en mijn papa ook niet",
        ),
        (
            "in mei verhuizen we naar brugge",
            "",
            &[],
            "in mei verhuizen we naar brugge",
        ),
        ("ik woon in Brecht", "", &[], "ik woon in Brecht"),
        // "meer" is a village and a surname, and a Dutch word: a verb after it does not
        // make it a person (a name of the lists still is one: "Brecht heeft").
        (
            "bel 112 als het echt niet meer gaat",
            "",
            &[],
            "bel 112 als het echt niet meer gaat",
        ),
        (
            "brecht heeft het gezegd",
            "",
            &[],
            "[naam 1] heeft het gezegd",
        ),
        // An adjective of origin after "van" or "met" is no name the lists lack.
        (
            "mijn papa is van marokkaanse afkomst en mijn mama van belgische",
            "",
            &[],
            "mijn papa is van marokkaanse afkomst en mijn mama van belgische",
        ),
        (
            "ik zit met poolse en syrische jongens in de klas",
            "",
            &[],
            "ik zit met poolse en syrische jongens in de klas",
        ),
        (
            "ik heb al met het CAW en het JAC gepraat",
            "",
            &[],
            "ik heb al met het CAW en het JAC gepraat",
        ),
        (
            "ik ben 16 jaar en elke dag moe, max 4 uur slaap",
            "",
            &[],
            "ik ben 16 jaar en elke dag moe, max 4 uur slaap",
        ),
        ("het gaat over mijn job", "", &[], "het gaat over mijn job"),
        (
            "de leerkracht en de juf zeiden het",
            "",
            &[],
            "de leerkracht en de juf zeiden het",
        ),
        (
            "tijdens de ramadan is het rustiger",
            "",
            &[],
            "tijdens de ramadan is het rustiger",
        ),
    ]);
}

/// E-mail addresses as people write them to dodge filters.
#[test]
fn e_mail_addresses_written_out_are_replaced() {
    check(&[
        (
            "mila[at]gmail[dot]com is mijn mail",
            "",
            &[],
            "[e-mail] is mijn mail",
        ),
        ("noor (at) telenet (punt) be", "", &[], "[e-mail]"),
        (
            "mail me op lowie2009 at hotmail dot com",
            "",
            &[],
            "mail me op [e-mail]",
        ),
        (
            "stuur naar sien @ hotmail . com",
            "",
            &[],
            "stuur naar [e-mail]",
        ),
        (
            "ilias.b @gmail.com is mijn mail",
            "",
            &[],
            "[e-mail] is mijn mail",
        ),
        ("xander.claes at skynet punt be", "", &[], "[e-mail]"),
        ("ik ben at home", "", &[], "ik ben at home"),
    ]);
}

/// Phone numbers in groups, with +32/0032 and (0).
#[test]
fn phone_numbers_in_groups_are_replaced() {
    check(&[
        (
            "je kan me bereiken op 04 70 12 34 56",
            "",
            &[],
            "je kan me bereiken op [telefoon]",
        ),
        (
            "+32(0)485 11 22 33 is van mijn zus",
            "",
            &[],
            "[telefoon] is van mijn zus",
        ),
        (
            "0478-55-66-77 is mijn nieuw nummer",
            "",
            &[],
            "[telefoon] is mijn nieuw nummer",
        ),
        (
            "mijn nummer: 0032 475 11 22 33",
            "",
            &[],
            "mijn nummer: [telefoon]",
        ),
        (
            "bel 0486 123 456 na 5 uur",
            "",
            &[],
            "bel [telefoon] na 5 uur",
        ),
        ("rrn 11 01 30 172 68", "", &[], "rrn [rijksregisternummer]"),
    ]);
}

/// Accounts, plates, addresses in lowercase and schools.
#[test]
fn accounts_plates_addresses_and_schools_are_replaced() {
    check(&[
        ("insta: fien.tje", "", &[], "insta: [account]"),
        (
            "mijn insta is lotte_vdb",
            "",
            &[],
            "mijn insta is [account]",
        ),
        (
            "add me op snap xander_2008",
            "",
            &[],
            "add me op snap [account]",
        ),
        (
            "volg me op @mila.x.official.",
            "",
            &[],
            "volg me op [account].",
        ),
        (
            "hij heeft me geblokt op insta",
            "",
            &[],
            "hij heeft me geblokt op insta",
        ),
        (
            "zijn nummerplaat is 1-ABC-234",
            "",
            &[],
            "zijn nummerplaat is [nummerplaat]",
        ),
        (
            "een oude opel, plaat ABC-123",
            "",
            &[],
            "een oude opel, plaat [nummerplaat]",
        ),
        (
            "ik zag 1xyz987 op de wagen",
            "",
            &[],
            "ik zag [nummerplaat] op de wagen",
        ),
        ("ik heb nog 100 euro", "", &[], "ik heb nog 100 euro"),
        (
            "ik woon in de kerkstraat 12 in lier",
            "",
            &[],
            "ik woon in de [adres] in lier",
        ),
        (
            "mijn oma woont Lange Nieuwstraat 7",
            "",
            &[],
            "mijn oma woont [adres]",
        ),
        (
            "ik zit op het sint-jozefscollege in aalst",
            "",
            &[],
            "ik zit op het [school] in aalst",
        ),
        (
            "ik zit in het KA Redingenhof",
            "",
            &[],
            "ik zit in het [school]",
        ),
        (
            "mijn broertje zit op basisschool de regenboog",
            "",
            &[],
            "mijn broertje zit op [school]",
        ),
        (
            "op de basisschool was het beter",
            "",
            &[],
            "op de basisschool was het beter",
        ),
    ]);
}

#[test]
fn numbering_runs_across_the_messages_of_one_transcript() {
    let mut a = Anonymiser::new("Noor", ["Jonas Peeters"]);
    assert_eq!(a.scrub("ik ben noor"), "ik ben [naam 1]");
    assert_eq!(a.scrub("jonas peeters pest me"), "[naam 2] pest me");
    assert_eq!(
        a.scrub("en lars ook, net als jonas"),
        "en [naam 3] ook, net als [naam 2]"
    );
    assert_eq!(a.scrub("NOOR hier"), "[naam 1] hier");
}

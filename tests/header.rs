//! The committed header must equal the one build.rs generates with cbindgen.

#[test]
fn committed_header_matches_generated_header() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/simd_r_drive.h"));
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/simd_r_drive.h");
    let committed =
        std::fs::read_to_string(committed_path).expect("include/simd_r_drive.h is missing");
    assert!(
        committed == generated,
        "include/simd_r_drive.h differs from the header cbindgen generates; run scripts/regen-header.sh and commit it"
    );
}

#[test]
fn header_version_macros_match_cargo_toml() {
    let h = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include/simd_r_drive.h"
    ));
    let v = env!("CARGO_PKG_VERSION");
    assert!(
        h.contains(&format!("#define SRD_VERSION_STRING \"{v}\"")),
        "version string"
    );
    let p: Vec<u32> = v.split('.').map(|x| x.parse().unwrap()).collect();
    assert!(h.contains(&format!("#define SRD_VERSION_MAJOR {}\n", p[0])));
    assert!(h.contains(&format!("#define SRD_VERSION_MINOR {}\n", p[1])));
    assert!(h.contains(&format!("#define SRD_VERSION_PATCH {}\n", p[2])));
    assert!(h.contains(&format!(
        "#define SRD_VERSION_NUMBER {}\n",
        p[0] * 1_000_000 + p[1] * 1000 + p[2]
    )));
}

#[test]
fn every_function_in_the_header_is_documented() {
    let h = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include/simd_r_drive.h"
    ));
    let lines: Vec<&str> = h.lines().collect();
    let mut checked = 0;
    for (i, l) in lines.iter().enumerate() {
        let is_decl = l.contains("srd_")
            && l.contains('(')
            && !l.starts_with(' ')
            && !l.starts_with('*')
            && !l.starts_with("/*");
        let is_type = l.starts_with("typedef struct")
            || l.starts_with("enum srd_")
            || l.starts_with("#define SRD_");
        if is_decl || is_type {
            assert!(
                i > 0 && lines[i - 1].trim_end().ends_with("*/"),
                "undocumented: {l}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} declarations found");
}

#!/usr/bin/env python3
"""Extract, from MediaWiki 1.39's own localisation files, what mwauth's API needs to speak
every language MediaWiki ships: the translations of exactly the message keys mwauth uses,
the language fallback chains, the language-code aliases, the CLDR plural rules and the
digit/separator tables of number formatting.

    python3 crates/mwauth/data/i18n/extract.py [/usr/share/mediawiki]

writes crates/mwauth/data/i18n/i18n.json (embedded by crates/mwauth/src/api/i18n.rs):

    {
      "source":   "MediaWiki 1.39.x",
      "keys":     [every extracted key, sorted],
      "aliases":  {code: code}            $wgDummyLanguageCodes (LanguageFactory::getLanguage)
      "fallback": {code: [code, ...]}     Messages*.php $fallback, without the final "en"
      "plural":   {code: [rule, ...]}     plurals.xml overridden by plurals-mediawiki.xml; the
                                          rules in form order, without "other" and samples
      "digits":   {code: "0123456789"}    $digitTransformTable
      "separators": {code: [",", "."]}    $separatorTransformTable: grouping, decimal
      "icu":      {code: [digits, ",", 3, 0]} ICU's formatter (Language::getNumberFormatter)
      "mingrouping": {code: n}            $minimumGroupingDigits
      "messages": {code: {key: text}}     languages/i18n, includes/api/i18n and
                                          ParamValidator's i18n
    }

The keys are those of `english()` in crates/mwauth/src/i18n/catalogue.rs (the English catalogue,
which stays the source of English) plus EXTRA_KEYS below: messages the API renders
indirectly (list separators, durations, the fields and providers of authentication
requests, group names). Add a key to one of them and rerun the script to grow the data.
"""
import glob
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGES_RS = os.path.join(HERE, "..", "..", "src", "i18n", "catalogue.rs")
OUT = os.path.join(HERE, "i18n.json")

EXTRA_KEYS = [
    # Language::commaList, Language::listToText
    "comma-separator", "and", "word-separator",
    # Language::formatDuration
    "duration-seconds", "duration-minutes", "duration-hours", "duration-days",
    "duration-weeks", "duration-years", "duration-decades", "duration-centuries",
    "duration-millennia",
    # AuthManager: providers and fields of authentication requests
    "authmanager-provider-password",
    "userlogin-yourname", "authmanager-username-help",
    "userlogin-yourpassword", "authmanager-password-help",
    "yourpasswordagain", "authmanager-retype-help",
    "userlogin-remembermypassword", "authmanager-userlogin-remembermypassword-help",
    "authmanager-email-label", "authmanager-email-help",
    "authmanager-realname-label", "authmanager-realname-help",
    # the requests for changing and removing credentials, and for creating an account
    # while logged in (TemporaryPasswordAuthenticationRequest, CreationReason…)
    "newpassword", "retypenew", "authmanager-provider-temporarypassword",
    "createaccountmail", "createaccountmail-help", "createacct-reason", "createacct-reason-help",
    # AuthManager / login failures not in the English catalogue
    "nosuchusershort",
    # PermissionManager's refusal and the group it names (UserGroupMembership)
    "badaccess-groups", "group-sysop",
]


def catalogue_keys():
    text = open(MESSAGES_RS, encoding="utf-8").read()
    start = text.index("pub fn english(")
    end = text.index("_ => return None", start)
    return re.findall(r'^\s*"([^"]+)"\s*=>', text[start:end], re.M)


def file_code(path, prefix):
    name = os.path.basename(path)[len(prefix):-len(".php")]
    return name.lower().replace("_", "-")


PHP_DUMP = r'''
$out = [];
foreach ( glob( $argv[1] . '/languages/messages/Messages*.php' ) as $file ) {
    $fallback = null; $digitTransformTable = null; $separatorTransformTable = null;
    $minimumGroupingDigits = null; $digitGroupingPattern = null;
    include $file;
    $code = strtolower( str_replace( '_', '-', substr( basename( $file, '.php' ), 8 ) ) );
    $out[$code] = [
        'fallback' => $fallback,
        'digits' => $digitTransformTable,
        'separators' => $separatorTransformTable,
        'mingrouping' => $minimumGroupingDigits,
        'pattern' => $digitGroupingPattern,
    ];
}
// Language::getNumberFormatter: ICU's formatter for the code (with the inherited
// $digitGroupingPattern), or for the first fallback ICU accepts. What it makes of the
// digits and of grouping, for every code that may be asked for.
$icu = [];
foreach ( explode( ' ', $argv[2] ) as $code ) {
    $chain = array_merge( [ $code ], array_map( 'trim', explode( ',', $out[$code]['fallback'] ?? '' ) ) );
    $pattern = null;
    foreach ( $chain as $c ) {
        if ( ( $out[$c]['pattern'] ?? null ) !== null ) { $pattern = $out[$c]['pattern']; break; }
    }
    $fmt = null;
    foreach ( array_merge( $chain, [ 'en' ] ) as $c ) {
        if ( $c === '' ) { continue; }
        try {
            $fmt = $pattern ? new NumberFormatter( $c, NumberFormatter::PATTERN_DECIMAL, $pattern )
                : new NumberFormatter( $c, NumberFormatter::DECIMAL );
        } catch ( \Throwable $e ) { $fmt = null; }
        if ( $fmt ) { break; }
    }
    $digits = '';
    for ( $i = 0; $i < 10; $i++ ) { $digits .= $fmt->format( $i ); }
    $icu[$code] = [
        $digits,
        $fmt->getSymbol( NumberFormatter::GROUPING_SEPARATOR_SYMBOL ),
        $fmt->getAttribute( NumberFormatter::GROUPING_SIZE ),
        $fmt->getAttribute( NumberFormatter::SECONDARY_GROUPING_SIZE ),
    ];
}
require $argv[1] . '/includes/language/LanguageCode.php';
$extra = [ 'bh' => 'bho', 'no' => 'nb', 'simple' => 'en' ];   // MainConfigSchema::ExtraLanguageCodes
$dummy = [ 'qqq' => 'qqq', 'qqx' => 'qqx' ] + $extra + LanguageCode::getDeprecatedCodeMapping();
foreach ( LanguageCode::getNonstandardLanguageCodeMapping() as $code => $bcp47 ) {
    $bcp47 = strtolower( $bcp47 );
    if ( !isset( $dummy[$bcp47] ) ) {
        $dummy[$bcp47] = $dummy[$code] ?? $code;
    }
}
echo json_encode( [ 'languages' => $out, 'dummy' => $dummy, 'icu' => $icu ] );
'''


def php_data(mw, codes):
    # The Messages files name namespaces by constant: define them as Defines.php does.
    defines = open(os.path.join(mw, "includes", "Defines.php"), encoding="utf-8").read()
    prelude = "".join(
        f"define('{name}', {value});"
        for name, value in re.findall(r"define\(\s*'(NS_[A-Z_]+)',\s*(-?\d+)\s*\)", defines)
    )
    out = subprocess.run(
        ["php", "-r", prelude + PHP_DUMP, "--", mw, " ".join(codes)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def plural_rules(mw):
    rules = {}
    for name in ("plurals.xml", "plurals-mediawiki.xml"):
        tree = ET.parse(os.path.join(mw, "languages", "data", name))
        for ruleset in tree.iter("pluralRules"):
            forms = []
            for rule in ruleset.iter("pluralRule"):
                if rule.get("count") == "other":
                    continue
                # CLDRPluralRuleParser ignores the samples after "@".
                forms.append((rule.text or "").split("@")[0].strip())
            for code in ruleset.get("locales").split(" "):
                rules[code] = forms
    return rules


def main():
    mw = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/mediawiki"
    keys = sorted(set(catalogue_keys()) | set(EXTRA_KEYS))
    dirs = [
        os.path.join(mw, "languages", "i18n"),
        os.path.join(mw, "includes", "api", "i18n"),
        os.path.join(mw, "includes", "libs", "ParamValidator", "i18n"),
        # The extensions mwauth reproduces when they are on (Debian's extensions-core).
        os.path.join(mw, "extensions", "OATHAuth", "i18n"),
        os.path.join(mw, "extensions", "ConfirmEdit", "i18n"),
        os.path.join(mw, "extensions", "ConfirmEdit", "QuestyCaptcha", "i18n"),
    ]
    messages = {}
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "*.json"))):
            code = os.path.basename(path)[:-5]
            if code == "qqq":
                continue
            data = json.load(open(path, encoding="utf-8"))
            for key in keys:
                if key in data:
                    messages.setdefault(code, {})[key] = data[key]
    # Keys of mwauth's own (not MediaWiki's) have no translations to extract.
    missing = [k for k in keys if k not in messages.get("en", {})]
    if missing:
        print(f"not MediaWiki messages, skipped: {missing}", file=sys.stderr)
        keys = [k for k in keys if k not in missing]

    message_files = sorted(
        file_code(p, "Messages")
        for p in glob.glob(os.path.join(mw, "languages", "messages", "Messages*.php"))
    )
    codes = sorted(set(messages) | set(message_files) | {"qqx"})
    php = php_data(mw, codes)
    fallback, digits, separators, mingrouping = {}, {}, {}, {}
    for code, info in sorted(php["languages"].items()):
        chain = [c.strip() for c in (info["fallback"] or "").split(",") if c.strip()]
        if chain and chain[-1] == "en":
            chain.pop()
        if chain:
            fallback[code] = chain
        # An empty table is a value too: it stops the inheritance from the fallbacks.
        if info["digits"] is not None:
            table = info["digits"]
            if isinstance(table, dict):
                table = [table[str(i)] for i in range(10)]
            digits[code] = "".join(table or [])
        if info["separators"] is not None:
            table = info["separators"] or {}
            separators[code] = [table.get(",", ","), table.get(".", ".")] if table else []
        if info["mingrouping"]:
            mingrouping[code] = info["mingrouping"]

    version = "1.39"
    m = re.search(r"define\( 'MW_VERSION', '([^']+)' \)",
                  open(os.path.join(mw, "includes", "Defines.php"), encoding="utf-8").read())
    if m:
        version = m.group(1)
    out = {
        "source": f"MediaWiki {version}",
        "keys": keys,
        "aliases": dict(sorted(php["dummy"].items())),
        "fallback": fallback,
        "plural": dict(sorted(plural_rules(mw).items())),
        "digits": digits,
        "separators": separators,
        "mingrouping": mingrouping,
        # ICU's digits, grouping separator and grouping sizes, where they differ from its
        # root locale's ("0123456789", ",", 0, 0: no grouping), which any other code gets.
        "icu": {
            code: v for code, v in sorted(php["icu"].items())
            if v != ["0123456789", ",", 0, 0]
        },
        "messages": {code: dict(sorted(m.items())) for code, m in sorted(messages.items())},
    }
    # Compact JSON, one line per top-level entry and per language of "messages", so that
    # a change to one language is a one-line diff.
    def dump(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = []
    for name, value in out.items():
        if name == "messages":
            inner = ",\n".join(f"{dump(code)}:{dump(m)}" for code, m in value.items())
            lines.append(f"{dump(name)}:{{\n{inner}\n}}")
        else:
            lines.append(f"{dump(name)}:{dump(value)}")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")
    size = os.path.getsize(OUT)
    print(f"{OUT}: {size} bytes, {len(messages)} languages, {len(keys)} keys")


if __name__ == "__main__":
    main()

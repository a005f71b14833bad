#!/usr/bin/env python3
"""Records the static parts of meta=siteinfo from the reference wiki (MediaWiki 1.39, see
../README.md) as formatversion=2 JSON, one file per siprop, for `src/api/modules/siteinfo.rs`.

    python3 record-siteinfo.py http://127.0.0.1:8180/w/api.php

formatversion 2 keeps every boolean and the key order; siteinfo.rs adds MediaWiki's metadata
(indexed tag names, BCarray, kvp, BC booleans) per siprop, as ApiQuerySiteinfo.php does.
Values that depend on the wiki's configuration (general, namespaces, statistics, usergroups,
…) are computed by siteinfo.rs instead. Standard library only.
"""
import json, os, sys, urllib.parse, urllib.request

STATIC = ["specialpagealiases", "magicwords", "interwikimap", "libraries", "extensions",
          "languages", "languagevariants", "skins", "extensiontags", "functionhooks",
          "showhooks", "variables", "protocols", "defaultoptions", "uploaddialog"]

def main():
    api = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8180/w/api.php"
    here = os.path.dirname(os.path.abspath(__file__))
    for prop in STATIC:
        q = urllib.parse.urlencode({"action": "query", "meta": "siteinfo", "siprop": prop,
                                    "format": "json", "formatversion": "2"})
        with urllib.request.urlopen(f"{api}?{q}") as r:
            data = json.load(r)["query"][prop]
        with open(os.path.join(here, prop + ".json"), "w") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("recorded", prop)

if __name__ == "__main__":
    main()

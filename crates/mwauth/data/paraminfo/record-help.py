#!/usr/bin/env python3
"""Records the help texts of the modules mwauth serves from the reference wiki (MediaWiki
1.39, see ../README.md), for `action=paraminfo&helpformat=wikitext|html|raw` and
`action=help` (`src/api/modules/paraminfo.rs`, `help.rs`):

    python3 record-help.py http://127.0.0.1:8180/w/api.php

Writes help.json: {helpformat: {module path: {"description", "examples", "parameters":
{name: {"description", "info"}}, "dynamicparameters"}}}, with the pageset module under
"pageset". Everything else paraminfo says about a module (types, defaults, flags) comes from
the ParamSpec declarations next to each module. The per-value descriptions of submodule
parameters (main's `action`, query's `meta`…) list every module of the reference wiki;
paraminfo.rs keeps those mwauth serves. Links keep the reference wiki's `/w` script path;
paraminfo.rs puts the configured one in. Rerun when mwauth serves another module (add its
path to PATHS). Standard library only.

The modules of an extension are recorded from a wiki that loads it, and added to help.json
without touching the other entries (the core ones stay those of the wiki without extensions):

    python3 record-help.py http://127.0.0.1:8184/w/api.php --add query+oath oathvalidate

(OATHAuth's, from /work/shared/oracle/extensions.sh.)
"""
import json, os, sys, urllib.parse, urllib.request

PATHS = ["main", "query", "query+authmanagerinfo", "query+siteinfo", "query+tokens",
         "query+userinfo", "checktoken", "clientlogin", "createaccount", "help", "login",
         "logout", "paraminfo", "json", "jsonfm", "none", "php", "phpfm", "rawfm", "xml",
         "xmlfm"]
KEEP = ["description", "examples", "dynamicparameters"]


def fetch(api, params):
    q = urllib.parse.urlencode({**params, "action": "paraminfo", "format": "json",
                                "formatversion": "2"})
    with urllib.request.urlopen(f"{api}?{q}") as r:
        return json.load(r)["paraminfo"]


def texts(module):
    out = {k: module[k] for k in KEEP if k in module}
    out["parameters"] = {}
    for p in module.get("parameters", []) + module.get("templatedparameters", []):
        out["parameters"][p["name"]] = {k: p[k] for k in ("description", "info") if k in p}
    return out


def add(api, paths):
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "help.json")
    data = json.load(open(path))
    for fmt in ("wikitext", "html", "raw"):
        info = fetch(api, {"modules": "|".join(paths), "helpformat": fmt})
        found = {m["path"]: texts(m) for m in info.get("modules", [])}
        missing = [p for p in paths if p not in found]
        if missing:
            sys.exit(f"not in that wiki: {missing}")
        data[fmt].update(found)
    with open(path, "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("added", len(paths), "modules in 3 help formats")


def main():
    api = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8180/w/api.php"
    if len(sys.argv) > 3 and sys.argv[2] == "--add":
        return add(api, sys.argv[3:])
    data = {}
    for fmt in ("wikitext", "html", "raw"):
        info = fetch(api, {"modules": "|".join(PATHS), "helpformat": fmt, "pagesetmodule": "1"})
        found = {m["path"]: texts(m) for m in info["modules"]}
        missing = [p for p in PATHS if p not in found]
        if missing:
            sys.exit(f"not in the reference wiki: {missing}")
        found["pageset"] = texts(info["pagesetmodule"])
        data[fmt] = found
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "help.json"), "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("recorded", len(PATHS), "modules in 3 help formats")


if __name__ == "__main__":
    main()

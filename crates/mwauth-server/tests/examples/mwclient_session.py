#!/usr/bin/python3
# A short mwclient session (Debian's python3-mwclient), as a bot would run it: log in with a
# bot password, optionally save a page, log out. Not from the seed: written for the tests
# (common/examples.rs runs it). Reads MW_HOST ("127.0.0.1:PORT"), MW_LGNAME, MW_LGPASSWORD
# and, to edit, MW_TITLE and MW_TEXT. After each step it prints one JSON line and waits for a
# line on stdin, so the test can look at the wiki in between (what PHP sees of the session).
import json
import os
import sys

import mwclient


def report(step, **fields):
    print(json.dumps(dict(step=step, **fields)), flush=True)
    if not sys.stdin.readline():
        sys.exit("the test went away")


def cookies(site):
    return {c.name: c.value for c in site.connection.cookies}


site = mwclient.Site(os.environ["MW_HOST"], path="/w/", scheme="http")
site.login(os.environ["MW_LGNAME"], os.environ["MW_LGPASSWORD"])
csrf = site.get_token("csrf")
report("logged-in", user=site.username, rights=site.rights, cookies=cookies(site), csrf=csrf)

title = os.environ.get("MW_TITLE")
if title:
    page = site.pages[title]
    result = page.edit(os.environ["MW_TEXT"], summary="mwclient through mwauth")
    report("saved", result=result, text=site.pages[title].text(cache=False))

answer = site.post("logout", token=csrf)
report("logged-out", answer=answer, cookies=cookies(site))

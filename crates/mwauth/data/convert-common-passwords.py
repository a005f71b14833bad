#!/usr/bin/env python3
"""Turn wikimedia/common-passwords' common-x64.json into common-passwords-x64.bin.

The JSON is pleonasm/bloom-filter's serialisation of a BloomFilter:

    {"bit_array": {"len": <bits>, "arr": <base64 of the raw bit bytes>},
     "hashers": {"algo": "sha1", "count": <k>, "max": <m>}}

The .bin file is exactly base64_decode(bit_array.arr): bit i of the filter is
(byte[i // 8] >> (i % 8)) & 1, as BitArray::offsetGet reads it. The three numbers
(len, count, max) are not stored; src/user/policy.rs hard-codes them, so this
script refuses a JSON whose numbers differ from those.

Usage (from this directory, with MediaWiki 1.39 installed as on the oracle host):

    python3 convert-common-passwords.py \
        /usr/share/mediawiki/vendor/wikimedia/common-passwords/src/CommonPasswords/common-x64.json \
        common-passwords-x64.bin
"""
import base64
import hashlib
import json
import sys

EXPECTED = {"len": 2875518, "algo": "sha1", "count": 20, "max": 2875518}


def main(src: str, dst: str) -> None:
    with open(src, "rb") as f:
        data = json.load(f)
    ba, hashers = data["bit_array"], data["hashers"]
    found = {"len": ba["len"], "algo": hashers["algo"], "count": hashers["count"], "max": hashers["max"]}
    if found != EXPECTED:
        sys.exit(f"unexpected filter parameters {found}; update policy.rs and EXPECTED first")
    raw = base64.b64decode(ba["arr"], validate=True)
    if len(raw) != (ba["len"] + 7) // 8:
        sys.exit(f"bit array is {len(raw)} bytes, expected {(ba['len'] + 7) // 8}")
    with open(dst, "wb") as f:
        f.write(raw)
    print(f"{dst}: {len(raw)} bytes, sha256 {hashlib.sha256(raw).hexdigest()}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

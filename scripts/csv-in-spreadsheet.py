#!/usr/bin/env python3
"""Checks that the CSV exports read into a spreadsheet as the API's values.

Opens both exports (spreadsheet mode, `bom=1`) in Gnumeric via `ssconvert`, saves them back
to CSV, and compares every cell with the plain export (which is the API's values exactly).
Dates may come back in the spreadsheet's display format (2013/01/31); nothing else may differ.

    apt-get install gnumeric        # for ssconvert
    TOKEN=$(cargo run --release -q -- token --role viewer) scripts/csv-in-spreadsheet.py
"""
import csv, io, os, re, subprocess, sys, tempfile, urllib.request

BASE = os.environ.get("PLAN_API_URL", "http://127.0.0.1:8000")
PLAN = os.environ.get("PLAN", "herefordshire-2012")
TOKEN = os.environ["TOKEN"]


def get(path):
    req = urllib.request.Request(BASE + path, headers={"Authorization": "Bearer " + TOKEN})
    return urllib.request.urlopen(req).read()


def main():
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["actions.csv", "rag-history.csv"]:
            plain = list(csv.reader(io.StringIO(get(f"/export/{name}?plan={PLAN}").decode(), newline="")))
            sheet_csv = os.path.join(tmp, name)
            with open(sheet_csv, "wb") as f:
                f.write(get(f"/export/{name}?plan={PLAN}&bom=1"))
            xlsx = sheet_csv + ".xlsx"
            back_csv = sheet_csv + ".back.csv"
            subprocess.run(["ssconvert", sheet_csv, xlsx], check=True, capture_output=True)
            subprocess.run(["ssconvert", "-T", "Gnumeric_stf:stf_csv", xlsx, back_csv], check=True, capture_output=True)
            with open(back_csv, encoding="utf-8", newline="") as f:
                back = list(csv.reader(f))
            norm = lambda v: re.sub(r"^(\d{4})/(\d{2})/(\d{2})", r"\1-\2-\3", v)
            diffs = [
                (i, plain[0][j], plain[i][j], back[i][j])
                for i in range(min(len(plain), len(back)))
                for j in range(min(len(plain[i]), len(back[i])))
                if norm(plain[i][j]) != norm(back[i][j])
            ]
            same_shape = len(plain) == len(back) and all(len(a) == len(b) for a, b in zip(plain, back))
            print(f"{name}: {len(plain) - 1} rows; spreadsheet {len(back) - 1} rows; {len(diffs)} cells differ")
            for d in diffs[:10]:
                print("   ", d)
            failed |= bool(diffs) or not same_shape
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

# Writes flamby-split.json: FLamby's fixed train/test split of the four heart-disease centres
# (flamby/datasets/fed_heart_disease/dataset.py, owkin/FLamby at edacf54d), recomputed with
# scikit-learn's train_test_split exactly as FLamby calls it. Run from this folder:
#   python3 flamby-split.py   (needs numpy and scikit-learn; no pandas, no torch)
import hashlib
import json
import re

import numpy as np
import sklearn
from sklearn.model_selection import train_test_split

# FLamby's centre numbers; Accord's site names (simulation/datasets.ts) beside them.
CENTRES = [("cleveland", "cleveland", 0), ("hungarian", "hungary", 1), ("switzerland", "switzerland", 2), ("va", "va", 3)]
TRAIN_FRACTION = 0.66
SEED = 43
KEPT = list(range(10))  # FLamby drops columns 10, 11, 12 (slope, ca, thal); 13 is the label


def cell(s):
    s = s.strip()
    return float("nan") if s in ("?", "NaN", "nan", "") else float(s)


out = {
    "source": "FLamby flamby/datasets/fed_heart_disease/dataset.py (owkin/FLamby edacf54d): drop columns 10-12, "
    "drop rows with a missing value, train_test_split(np.arange(n), test_size=1-0.66, train_size=0.66, "
    "random_state=43, shuffle=True, stratify=binary label when both classes have more than 2 rows)",
    "generator": "data/heart-disease/flamby-split.py",
    "sklearn": sklearn.__version__,
    "numpy": np.__version__,
    "centres": {},
}
for file_name, site, number in CENTRES:
    path = f"processed.{file_name}.data"
    text = open(path).read()
    lines = [l for l in text.split("\n") if l.strip() != ""]
    rows = [[cell(c) for c in l.split(",")] for l in lines]
    # Line numbers (1-based, as Accord's reader counts them) of the complete rows, in file order.
    kept = [i + 1 for i, r in enumerate(rows) if not any(np.isnan(r[j]) for j in KEPT + [13])]
    labels = np.array([0 if rows[l - 1][13] == 0 else 1 for l in kept])
    nb = len(kept)
    levels = np.unique(labels)
    stratify = labels if len(levels) > 1 and all((labels == lev).sum() > 2 for lev in levels) else None
    idx_train, idx_test = train_test_split(
        np.arange(nb),
        test_size=1.0 - TRAIN_FRACTION,
        train_size=TRAIN_FRACTION,
        random_state=SEED,
        shuffle=True,
        stratify=stratify,
    )
    test_lines = sorted(kept[i] for i in idx_test)
    out["centres"][site] = {
        "flambyCentre": number,
        "file": path,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        # What Accord recognises a centre by, whatever the file's spelling of its numbers (63 or 63.0,
        # ? or NaN): every row's 14 values with one decimal ("NaN" when missing), "," within a row,
        # newline between rows (shared/data/flamby.ts computes the same).
        "rowsSha256": hashlib.sha256(
            "\n".join(",".join("NaN" if np.isnan(v) else f"{v:.1f}" for v in r) for r in rows).encode()
        ).hexdigest(),
        "rows": len(rows),
        "complete": nb,
        "train": len(idx_train),
        "test": len(idx_test),
        "stratified": stratify is not None,
        "testLines": test_lines,
    }
with open("flamby-split.json", "w") as f:
    # One centre a line pair, its test lines on one line: small and readable.
    text = json.dumps(out, indent=1)
    text = re.sub(r"\[\s+([0-9,\s]+?)\s+\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)
    f.write(text + "\n")
for site, c in out["centres"].items():
    print(site, c["complete"], c["train"], c["test"], c["stratified"])

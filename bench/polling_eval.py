"""« Où voter ? » measured on the shared ground truth (bench/run.py, suite "polling").

The Val-de-Marne file (../shared/data/polling/val-de-marne/electeurs-adresses-bureaux.csv, see
its SOURCE.md) gives, for each elector address of 48 communes, the bureau its commune assigned.
Per commune, a seeded 80 % of the rows is imported as the reference (one `assignment_import`);
every address of the other 20 % is looked up with `polling_station_for` and its answer checked
against the file. Reported: answered share, accuracy (all answers, certain, probable), answers
from another commune or naming a bureau the commune does not have (must be 0), per reason code
and per commune, and the lookup latency, on that reference and again on the full file (~100k).

Queries whose address the commune's own list puts in several bureaux ("indeterminable") are
counted apart: no address-only answer can be right for them.

    python -m bench.polling_eval [out.json]   # in bench/run.py's _env("sqlite", workdir)

Environment: BENCH_POLLING_CSV, BENCH_POLLING_SEED (2026), BENCH_TERRITORY
(../shared/data/decoupage-administratif).
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from identity.models import Authority

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "polling" / "val-de-marne"
DEFAULT_CSV = DEFAULT_CSV / "electeurs-adresses-bureaux.csv"
DEFAULT_OUT = ROOT / "bench" / "polling-results.json"
REFERENCE_SHARE = 0.8
MIN_ROWS = 50
LATENCY_LOOKUPS = 3000
TARGET_CERTAIN = 0.995
TARGET_ACCURACY = 0.97
TARGET_ANSWERED = 0.90
TARGET_P95_MS = 50.0
CERTAIN = ("certain", "certain_arrete")
INDETERMINABLE_NOTE = (
    "the commune's own list puts this address in several bureaux; "
    "no address-only answer can be right"
)


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _latency(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "p50_ms": round(_percentile(ms, 0.50), 2),
        "p95_ms": round(_percentile(ms, 0.95), 2),
        "max_ms": round(max(ms, default=0.0), 2),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "database": "sqlite",
    }


def _address_key(text: str) -> tuple[int | None, str, str]:
    from polling.normalize import parse_address

    parsed = parse_address(text)
    return (parsed.number, parsed.repetition, parsed.street)


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from identity.services import territory_import
    from identity.territory import load_territory, select_scope

    call_command("migrate", verbosity=0)
    territory = os.environ.get("BENCH_TERRITORY") or str(
        ROOT.parent / "shared" / "data" / "decoupage-administratif"
    )
    territory_import(data=select_scope(load_territory(territory), region="11"))


class _Tally:
    """Counts of one set of queries (overall, one commune, one reason)."""

    def __init__(self) -> None:
        self.queries = 0
        self.answered = 0
        self.correct = 0
        self.certain = 0
        self.certain_correct = 0
        self.probable = 0
        self.probable_correct = 0

    def add(self, confidence: str, answered: bool, correct: bool) -> None:
        self.queries += 1
        if not answered:
            return
        self.answered += 1
        self.correct += correct
        if confidence in CERTAIN:
            self.certain += 1
            self.certain_correct += correct
        elif confidence == "probable":
            self.probable += 1
            self.probable_correct += correct

    def as_dict(self) -> dict[str, Any]:
        return {
            "queries": self.queries,
            "answered": self.answered,
            "answered_share": _ratio(self.answered, self.queries),
            "correct": self.correct,
            "accuracy": _ratio(self.correct, self.answered),
            "certain": self.certain,
            "certain_share": _ratio(self.certain, self.queries),
            "certain_correct": self.certain_correct,
            "certain_accuracy": _ratio(self.certain_correct, self.certain),
            "probable": self.probable,
            "probable_correct": self.probable_correct,
            "probable_accuracy": _ratio(self.probable_correct, self.probable),
        }


def evaluate(csv_path: Path, seed: int) -> dict[str, Any]:
    from polling.models import AssignedAddress
    from polling.selectors import polling_station_for
    from polling.services import _Communes, assignment_import, bureau_number

    started = time.perf_counter()
    raw = csv_path.read_bytes()
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig")))
    header = next(reader)
    at = {name: i for i, name in enumerate(header)}

    def cell(row: list[str], name: str) -> str:
        return row[at[name]].strip() if at[name] < len(row) else ""

    lines = 0
    by_place: dict[tuple[str, str], list[tuple[list[str], int]]] = defaultdict(list)
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        lines += 1
        bureau = bureau_number(cell(row, "bureau"))
        if not cell(row, "adresse") or bureau is None:
            continue
        by_place[(cell(row, "ville"), cell(row, "cp"))].append((row, bureau))

    finder = _Communes()
    by_commune: dict[int, list[tuple[list[str], int]]] = defaultdict(list)
    authorities: dict[int, Authority] = {}
    unresolved: Counter[str] = Counter()
    for (city, postcode), rows in by_place.items():
        commune = finder.find("", city, postcode)
        if commune is None:
            unresolved[f"{city} {postcode}".strip()] += len(rows)
            continue
        authorities[commune.pk] = commune
        by_commune[commune.pk].extend(rows)
    dropped = {
        f"{authorities[pk].insee_code} {authorities[pk].name}": len(rows)
        for pk, rows in by_commune.items()
        if len(rows) < MIN_ROWS
    }
    kept = sorted(
        (pk for pk, rows in by_commune.items() if len(rows) >= MIN_ROWS),
        key=lambda pk: authorities[pk].insee_code,
    )

    rng = random.Random(seed)  # noqa: S311 (a reproducible split, not a secret)
    reference_rows: list[list[str]] = []
    queries: list[tuple[int, list[str], int]] = []
    reference_bureaux: dict[int, set[int]] = {}
    full_bureaux: dict[int, dict[tuple[int | None, str, str], set[int]]] = {}
    for pk in kept:
        rows = list(by_commune[pk])
        rng.shuffle(rows)
        cut = int(len(rows) * REFERENCE_SHARE)
        reference_rows.extend(row for row, _bureau in rows[:cut])
        reference_bureaux[pk] = {bureau for _row, bureau in rows[:cut]}
        queries.extend((pk, row, bureau) for row, bureau in rows[cut:])
        assigned: dict[tuple[int | None, str, str], set[int]] = defaultdict(set)
        for row, bureau in rows:
            assigned[_address_key(cell(row, "adresse"))].add(bureau)
        full_bureaux[pk] = assigned

    print(
        f"   {len(kept)} communes, {len(reference_rows)} lignes de référence, "
        f"{len(queries)} adresses à chercher…",
        flush=True,
    )
    t0 = time.perf_counter()
    report = assignment_import(
        actor=None, data=_csv_bytes(header, reference_rows), source="Vérité terrain (80 %)"
    )
    import_s = time.perf_counter() - t0
    reference_size = AssignedAddress.objects.count()

    overall = _Tally()
    determinable = _Tally()
    per_commune: dict[int, _Tally] = defaultdict(_Tally)
    per_reason: dict[str, _Tally] = defaultdict(_Tally)
    per_confidence: Counter[str] = Counter()
    indeterminable = 0
    cross: list[dict[str, Any]] = []
    timings: list[float] = []
    for pk, row, truth in queries:
        commune = authorities[pk]
        text = cell(row, "adresse")
        t = time.perf_counter()
        answer = polling_station_for(commune, text)
        timings.append(time.perf_counter() - t)
        number = answer.bureau.number if answer.bureau is not None else None
        answered = number is not None
        correct = number == truth
        if answered and (answer.commune.pk != pk or number not in reference_bureaux[pk]):
            cross.append(
                {
                    "commune": commune.insee_code,
                    "address": text,
                    "answer": number,
                    "answer_commune": answer.commune.insee_code,
                }
            )
        overall.add(answer.confidence, answered, correct)
        per_commune[pk].add(answer.confidence, answered, correct)
        per_reason[answer.reason or "?"].add(answer.confidence, answered, correct)
        per_confidence[answer.confidence] += 1
        if len(full_bureaux[pk].get(_address_key(text), ())) > 1:
            indeterminable += 1
        else:
            determinable.add(answer.confidence, answered, correct)

    # Second pass: the full file as the reference (~100k addresses), timed lookups only.
    t0 = time.perf_counter()
    assignment_import(actor=None, data=raw, source="Vérité terrain (fichier complet)")
    full_import_s = time.perf_counter() - t0
    full_size = AssignedAddress.objects.count()
    sample = rng.sample(queries, min(LATENCY_LOOKUPS, len(queries)))
    full_timings: list[float] = []
    for pk, row, _truth in sample:
        t = time.perf_counter()
        polling_station_for(authorities[pk], cell(row, "adresse"))
        full_timings.append(time.perf_counter() - t)

    summary = overall.as_dict()
    det = determinable.as_dict()
    latency = {**_latency(timings), "lookups": len(timings), "reference_size": reference_size}
    full_latency = {
        **_latency(full_timings),
        "lookups": len(full_timings),
        "reference_size": full_size,
        "import_s": round(full_import_s, 1),
    }
    targets = {
        "cross_commune_zero": not cross,
        "certain_accuracy": (summary["certain_accuracy"] or 0) >= TARGET_CERTAIN,
        "accuracy": (summary["accuracy"] or 0) >= TARGET_ACCURACY,
        "answered_share": (summary["answered_share"] or 0) >= TARGET_ANSWERED,
        "p95_full": full_latency["p95_ms"] <= TARGET_P95_MS,
    }
    return {
        "source": str(csv_path),
        "machine": _machine(),
        "seed": seed,
        "split": {
            "reference_share": REFERENCE_SHARE,
            "lines": lines,
            "reference_rows": len(reference_rows),
            "queries": len(queries),
            "communes": len(kept),
            "min_rows": MIN_ROWS,
            "dropped_communes": dropped,
            "unresolved_places": dict(unresolved),
        },
        "reference_import": {
            "seconds": round(import_s, 1),
            "lines": report.lines,
            "skipped": dict(report.skipped),
            "split_addresses": sum(c["split"] for c in report.communes.values()),
        },
        "overall": {**summary, "cross_commune": len(cross)},
        "by_confidence": dict(per_confidence),
        "indeterminable": {
            "queries": indeterminable,
            "note": INDETERMINABLE_NOTE,
            "certain_accuracy_excluding": det["certain_accuracy"],
            "accuracy_excluding": det["accuracy"],
            "excluding": det,
        },
        "cross_commune_examples": cross[:20],
        "by_reason": {reason: t.as_dict() for reason, t in sorted(per_reason.items())},
        "communes": {
            authorities[pk].insee_code: {"name": authorities[pk].name, **per_commune[pk].as_dict()}
            for pk in kept
        },
        "latency": latency,
        "latency_full": full_latency,
        "targets": targets,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def table(result: dict[str, Any]) -> str:
    """The figures in French, as printed by bench/run.py."""
    if "skipped" in result:
        return f"« Où voter ? » : mesure non faite ({result['skipped']})"
    o = result["overall"]
    ind = result["indeterminable"]
    lat, full = result["latency"], result["latency_full"]
    split = result["split"]
    mark = {True: "✓", False: "✗"}
    t = result["targets"]
    lines = [
        "",
        f"« Où voter ? » — vérité terrain Val-de-Marne, graine {result['seed']}, "
        f"{split['communes']} communes, référence {split['reference_rows']} lignes (80 %), "
        f"{o['queries']} adresses cherchées",
        f"  répondues             {o['answered']:>6}  {_pct(o['answered_share'])}",
        f"  exactes (répondues)   {o['correct']:>6}  {_pct(o['accuracy'])}",
        f"  certaines             {o['certain']:>6}  {_pct(o['certain_share'])} "
        f"des adresses, exactes {_pct(o['certain_accuracy'])}",
        f"  probables             {o['probable']:>6}  exactes {_pct(o['probable_accuracy'])}",
        f"  hors commune / bureau inconnu : {o['cross_commune']}",
        f"  indéterminables       {ind['queries']:>6}  (la liste de la commune met l'adresse "
        f"dans plusieurs bureaux) ; certaines exactes hors indéterminables "
        f"{_pct(ind['certain_accuracy_excluding'])}, toutes {_pct(ind['accuracy_excluding'])}",
        f"  latence ({lat['reference_size']} adresses) : p50 {lat['p50_ms']} ms, "
        f"p95 {lat['p95_ms']} ms, max {lat['max_ms']} ms",
        f"  latence ({full['reference_size']} adresses, {full['lookups']} recherches) : "
        f"p50 {full['p50_ms']} ms, p95 {full['p95_ms']} ms, max {full['max_ms']} ms",
        "  raisons : "
        + ", ".join(
            f"{reason} {r['queries']} ({_pct(r['accuracy'])})"
            for reason, r in result["by_reason"].items()
        ),
        "  objectifs :",
        f"    {mark[t['cross_commune_zero']]} 0 réponse hors commune",
        f"    {mark[t['certain_accuracy']]} ≥ 99,5 % d'exactitude sur les réponses certaines",
        f"    {mark[t['accuracy']]} ≥ 97 % d'exactitude sur toutes les réponses",
        f"    {mark[t['answered_share']]} ≥ 90 % d'adresses répondues",
        f"    {mark[t['p95_full']]} p95 ≤ 50 ms sur la référence complète",
    ]
    if split["dropped_communes"]:
        dropped = ", ".join(f"{k} ({n})" for k, n in split["dropped_communes"].items())
        lines.append(f"  communes écartées (< {split['min_rows']} lignes) : {dropped}")
    if split["unresolved_places"]:
        lines.append(
            "  lieux non reconnus : "
            + ", ".join(f"{k} ({n})" for k, n in split["unresolved_places"].items())
        )
    lines.append("")
    lines.append(
        f"  {'INSEE':<6}{'commune':<28}{'adresses':>9}{'répondues':>11}{'exactes':>10}"
        f"{'certaines':>11}{'cert. exactes':>15}"
    )
    for code, c in result["communes"].items():
        lines.append(
            f"  {code:<6}{c['name'][:27]:<28}{c['queries']:>9}{_pct(c['answered_share']):>11}"
            f"{_pct(c['accuracy']):>10}{_pct(c['certain_share']):>11}"
            f"{_pct(c['certain_accuracy']):>15}"
        )
    lines.append(f"  durée : {result['elapsed_s']} s")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    csv_path = Path(os.environ.get("BENCH_POLLING_CSV") or DEFAULT_CSV)
    if not csv_path.is_file():
        reason = f"fichier de vérité terrain introuvable : {csv_path}"
        print(f"« Où voter ? » : mesure non faite, {reason}.")
        out.write_text(json.dumps({"skipped": reason}, ensure_ascii=False) + "\n")
        return 0
    seed = int(os.environ.get("BENCH_POLLING_SEED", "2026"))
    _setup()
    result = evaluate(csv_path, seed)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if len(argv) <= 1:  # run alone: bench/run.py prints it otherwise
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

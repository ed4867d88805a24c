"""The readable table of bench/results.json, with each target checked.

`python bench/report.py` prints it again from the last results."""

from __future__ import annotations

from typing import Any

TARGET_P95_MS = 100.0  # PostgreSQL, 100k documents, every persona
TARGET_RESTRICTED_RATIO = 1.5  # a restricted persona's p95 over the administrator's
TARGET_NAIVE_RATIO = 10.0  # naive baseline p50 over ours
TARGET_DOCS_PER_S = 200.0  # indexing throughput during a rebuild
TARGET_OVER_LIMIT = 1.3  # Civis p95 over the untrimmed search's, every persona (issue 15)
TARGET_OVER_PEERS = 10.0  # each peer's p95 over Civis's
TARGET_GROWTH = 3.0  # p95 at 1M documents over p95 at 100k, every persona


def _ok(good: bool) -> str:
    return "ok" if good else "NON"


def table(results: dict[str, Any]) -> str:
    lines = [f"Documents : {results['documents']}", ""]
    header = (
        f"{'base':<11}{'persona':<22}{'p50 ms':>9}{'p95 ms':>9}{'naïf p50':>11}"
        f"{'x naïf':>9}{'/admin':>8}  cibles"
    )
    lines += [header, "-" * len(header)]
    for database, run in results["runs"].items():
        admin_p95 = run["personas"]["admin régional"]["p95_ms"]
        for persona, m in run["personas"].items():
            ratio_admin = m["p95_ms"] / admin_p95 if admin_p95 else 0.0
            checks = []
            if database == "postgresql":
                checks.append(f"p95≤{TARGET_P95_MS:.0f}:{_ok(m['p95_ms'] <= TARGET_P95_MS)}")
            checks.append(
                f"naïf≥{TARGET_NAIVE_RATIO:.0f}x:{_ok(m['naive_ratio'] >= TARGET_NAIVE_RATIO)}"
            )
            if persona != "admin régional":
                checks.append(
                    f"≤{TARGET_RESTRICTED_RATIO}xadmin:"
                    f"{_ok(ratio_admin <= TARGET_RESTRICTED_RATIO)}"
                )
            lines.append(
                f"{database:<11}{persona:<22}{m['p50_ms']:>9.1f}{m['p95_ms']:>9.1f}"
                f"{m['naive_p50_ms']:>11.1f}{m['naive_ratio']:>8.0f}x"
                f"{ratio_admin:>8.2f}  {' '.join(checks)}"
            )
        rate = run["index_docs_per_s"]
        lines.append(
            f"{database:<11}{'indexation':<22}{rate:>9.0f} documents/s "
            f"({run['index_seconds']:.1f} s)  ≥{TARGET_DOCS_PER_S:.0f}/s:"
            f"{_ok(rate >= TARGET_DOCS_PER_S)}"
        )
        if "machine" in run:
            lines.append(f"{'':<11}{run['machine']}")
        lines.append(
            f"{'':<11}construction {run['build_seconds']:.0f} s ; "
            f"{run['people']['agents']} agents, {run['people']['citizens']} citoyens, "
            f"{run['authorities']} collectivités"
        )
        if "database_bytes_per_document" in run:
            lines.append(
                f"{'':<11}base {run['database_bytes'] / 2**20:.0f} Mo, "
                f"{run['database_bytes_per_document']:.0f} octets par document (index de "
                f"recherche {run['search_index_bytes_per_document']:.0f}) ; mémoire de pointe "
                f"du processus de construction {run['build_peak_rss_mb']:.0f} Mo"
            )
        lines.append("")
        if run.get("peers"):
            lines += peers_table(run["peers"], run["personas"])
    return "\n".join(lines)


def peers_table(peers: dict[str, Any], civis: dict[str, Any]) -> list[str]:
    """Ratios first: Civis over the untrimmed limit, each peer over Civis (p95)."""
    header = (
        f"{'persona':<22}{'Civis/limite':>13}{'Wagtail/Civis':>15}{'guardian/Civis':>16}"
        f"{'Civis p95':>11}{'limite':>9}{'Wagtail':>10}{'guardian':>10}  cibles"
    )
    lines = ["Pairs (PostgreSQL, p95 en ms) :", header, "-" * len(header)]
    for persona, row in peers["personas"].items():
        over_limit = row["civis_over_limit_p95"]
        checks = [
            f"≤{TARGET_OVER_LIMIT}xlimite:{_ok(over_limit <= TARGET_OVER_LIMIT)}",
            f"Wagtail≥{TARGET_OVER_PEERS:.0f}x:"
            f"{_ok(row['wagtail_over_civis_p95'] >= TARGET_OVER_PEERS)}",
            f"guardian≥{TARGET_OVER_PEERS:.0f}x:"
            f"{_ok(row['guardian_over_civis_p95'] >= TARGET_OVER_PEERS)}",
        ]
        lines.append(
            f"{persona:<22}{over_limit:>12.2f}x{row['wagtail_over_civis_p95']:>14.1f}x"
            f"{row['guardian_over_civis_p95']:>15.1f}x{civis[persona]['p95_ms']:>11.1f}"
            f"{row['limit']['p95_ms']:>9.1f}{row['wagtail']['p95_ms']:>10.1f}"
            f"{row['guardian']['p95_ms']:>10.1f}  {' '.join(checks)}"
        )
    lines.append(
        f"index de Wagtail construit en {peers['wagtail_index_seconds']:.0f} s ; "
        f"{peers['guardian_rows']} droits django-guardian en "
        f"{peers['guardian_rights_seconds']:.0f} s"
    )
    lines.append("")
    return lines


def scale_summary(run: dict[str, Any]) -> dict[str, Any]:
    """What the growth table compares, from one PostgreSQL run."""
    keys = (
        "index_docs_per_s",
        "index_seconds",
        "build_seconds",
        "wall_seconds",
        "database_bytes_per_document",
        "search_index_bytes_per_document",
        "build_peak_rss_mb",
    )
    summary = {key: run[key] for key in keys if key in run}
    if run.get("explain"):  # where the time goes, each persona's slowest statement
        summary["explain"] = run["explain"]
    summary["p95_ms"] = {name: m["p95_ms"] for name, m in run["personas"].items()}
    summary["p50_ms"] = {name: m["p50_ms"] for name, m in run["personas"].items()}
    return summary


# The scale figures beside the latencies: key, console label (French), README label, unit.
SCALE_ROWS = (
    ("index_docs_per_s", "indexation (documents/s)", "index build", " documents/s"),
    ("database_bytes_per_document", "octets par document", "database per document", " bytes"),
    ("web_worker_peak_rss_mb", "mémoire d'un worker web (Mo)", "web worker peak memory", " MB"),
    (
        "db_worker_peak_rss_mb",
        "mémoire du worker de tâches (Mo)",
        "task worker peak memory",
        " MB",
    ),
    (
        "build_peak_rss_mb",
        "mémoire du processus de construction (Mo)",
        "build process peak memory",
        " MB",
    ),
    ("wall_seconds", "durée de la suite (s)", "search suite's duration", " s"),
)


def scale_table(scale: dict[str, Any]) -> str:
    """Each size's figures, and the growth of the largest over the reference (100k)."""
    sizes = sorted(scale, key=int)
    base, top = scale[sizes[0]], scale[sizes[-1]]
    factor = int(sizes[-1]) / int(sizes[0])
    lines = [
        f"Passage à l'échelle (PostgreSQL), {int(sizes[0]):,} → {int(sizes[-1]):,} documents :"
    ]
    for persona, p95 in top["p95_ms"].items():
        growth = p95 / base["p95_ms"][persona]
        lines.append(
            f"  {persona:<20} p95 {base['p95_ms'][persona]:>7.1f} → {p95:>7.1f} ms : x{growth:.2f} "
            f"pour x{factor:.0f} documents (≤{TARGET_GROWTH:.0f}x:{_ok(growth <= TARGET_GROWTH)})"
        )
    for key, label, _english, _unit in SCALE_ROWS:
        if key in base and key in top:
            lines.append(
                f"  {label:<42} {base[key]:>10.0f} → {top[key]:>10.0f} : "
                f"x{top[key] / base[key]:.2f}"
            )
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The README's benchmark tables (`python bench/report.py --markdown`), ratios first."""
    out: list[str] = []
    run = results.get("runs", {}).get("postgresql")
    if run and run.get("peers"):
        out += [
            f"Search on PostgreSQL, {results['documents']:,} documents, p95 of ten queries "
            "per persona:",
            "",
            "| Persona | Civis / limit | Wagtail / Civis | guardian / Civis | Civis p95 | "
            "limit | Wagtail | guardian |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for persona, row in run["peers"]["personas"].items():
            out.append(
                f"| {persona} | {row['civis_over_limit_p95']:.2f}x | "
                f"{row['wagtail_over_civis_p95']:.1f}x | {row['guardian_over_civis_p95']:.1f}x | "
                f"{run['personas'][persona]['p95_ms']:.0f} ms | {row['limit']['p95_ms']:.0f} ms | "
                f"{row['wagtail']['p95_ms']:.0f} ms | {row['guardian']['p95_ms']:.0f} ms |"
            )
        out += [
            "",
            f"Targets: Civis ≤ {TARGET_OVER_LIMIT}x the limit, each peer ≥ "
            f"{TARGET_OVER_PEERS:.0f}x Civis. {run['machine']}.",
            "",
        ]
    http = results.get("http")
    if http and "results" in http:
        out += [
            f"HTTP ({http['database']}, cache {http['cache']}, gunicorn {http['workers']} "
            f"workers, wrk {http['connections']} connections x {http['seconds']} s):",
            "",
            "| URL | / static file | req/s | p95 | errors (of which > 2 s) |",
            "|---|---|---|---|---|",
        ]
        for name, data in http["results"].items():
            out.append(
                f"| {name} | {data['over_static']:.0%} | {data['rps']:.0f} | "
                f"{data['p95_us'] / 1000:.0f} ms | {data['errors']} ({data.get('timeouts', 0)}) |"
            )
        out += [
            "",
            "Targets: 0 errors; the cached anonymous pages (accueil, page de collectivité) "
            f"≥ 50 % of the static file. Peak memory: a web worker "
            f"{http['web_worker_peak_rss_mb']:.0f} MB, the task worker "
            f"{http['db_worker_peak_rss_mb']:.0f} MB.",
            "",
        ]
    scale = results.get("scale", {})
    if len(scale) > 1:
        sizes = sorted(scale, key=int)
        base, top = scale[sizes[0]], scale[sizes[-1]]
        out += [
            f"Scale on PostgreSQL, {int(sizes[0]):,} → {int(sizes[-1]):,} documents:",
            "",
            f"| | {int(sizes[0]):,} | {int(sizes[-1]):,} | growth |",
            "|---|---|---|---|",
        ]
        for persona, p95 in top["p95_ms"].items():
            out.append(
                f"| p95, {persona} | {base['p95_ms'][persona]:.0f} ms | {p95:.0f} ms | "
                f"{p95 / base['p95_ms'][persona]:.2f}x |"
            )
        for key, _french, label, unit in SCALE_ROWS:
            if key in base and key in top:
                out.append(
                    f"| {label} | {base[key]:,.0f}{unit} | {top[key]:,.0f}{unit} | "
                    f"{top[key] / base[key]:.2f}x |"
                )
        base_http, top_http = base.get("http", results.get("http")), top.get("http")
        if base_http and top_http and "results" in base_http and "results" in top_http:
            for name in ("accueil", "page de collectivité", "API de recherche"):
                before, after = base_http["results"][name], top_http["results"][name]
                out.append(
                    f"| HTTP {name}: req/s (/ static file) | {before['rps']:,.0f} "
                    f"({before['over_static']:.0%}) | {after['rps']:,.0f} "
                    f"({after['over_static']:.0%}) | {after['rps'] / before['rps']:.2f}x |"
                )
        out += ["", f"Target: p95 grows ≤ {TARGET_GROWTH:.0f}x for 10x the documents.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    found = json.loads((Path(__file__).parent / "results.json").read_text())
    print(markdown(found) if "--markdown" in sys.argv else table(found))

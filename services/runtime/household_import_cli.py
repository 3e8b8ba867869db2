"""What `aid households import` shows: a progress bar while it runs, then a summary and the
lines refused (every line's outcome in a dry run). Nothing of a person is printed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.app.errors import AppError, BrokerUnavailable
from services.app.household_import import ImportReport, LineOutcome
from services.runtime.importing import run_import, scan
from services.runtime.settings import Settings

WOULD = {"registered": "would register", "updated": "would update", "unchanged": "unchanged",
         "refused": "refused"}  # fmt: skip


def import_file(settings: Settings, path: Path, dry_run: bool, console: Console) -> int:
    """Run the import with a progress bar; the exit code (0 once the file was processed,
    even with refused lines)."""
    try:
        _, lines = scan(path)
    except OSError as exc:
        console.print(f"[red]cannot read {path}[/red]: {exc.strerror or 'unreadable'}")
        return 2
    shown: list[LineOutcome] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("checking" if dry_run else "importing", total=max(lines - 1, 0))

        def advance(outcomes: list[LineOutcome]) -> None:
            progress.advance(task, len(outcomes))
            shown.extend(o for o in outcomes if dry_run or o.status == "refused")

        try:
            report = asyncio.run(run_import(settings, path, dry_run, advance))
        except AppError as exc:  # the header will not do: nothing was imported
            console.print(f"[red]{path} cannot be imported[/red]: {exc.message}")
            return 2
        except BrokerUnavailable as exc:
            console.print(f"[red]stopped: {exc}[/red]; run the same command again to resume")
            return 1
    _print(report, sorted(shown, key=lambda o: o.line))
    return 0


def _print(report: ImportReport, outcomes: list[LineOutcome]) -> None:
    """The per-line report, then the summary (stdout: a script may read it)."""
    out = Console(highlight=False, soft_wrap=True)
    for o in outcomes:
        what = WOULD[o.status] if report.dry_run else o.status
        why = f" {o.reason}: {o.message}" if o.status == "refused" else ""
        household = f" {o.household_id}" if o.household_id and o.status != "refused" else ""
        out.print(f"line {o.line}: {what}{household}{why}", markup=False)
    c = report.counts
    verb, changed = ("registered", "updated")
    if report.dry_run:
        verb, changed = "would register", "would update"
    out.print(
        f"import {report.import_id}: {c['lines_read']} lines, {verb} {c['registered']}, "
        f"{changed} {c['updated']}, unchanged {c['unchanged']}, refused {c['refused']}",
        markup=False,
    )

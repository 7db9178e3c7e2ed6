"""How far an import has got, for the command line and the web page alike (pure).

``import_dataset`` calls its ``progress(rows, total)`` every 100,000 rows read (total None,
pass 1) and after every batch written (total known, pass 2). ``ImportProgress`` keeps the
latest counts and, given a ``say`` callable, says one line each time another ``every``
rows are done: "rows read: 300,000", "rows written: 200,000 of 1,000,000".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.formatting import count


@dataclass
class ImportProgress:
    #: Where each line goes (e.g. standard error); None: counts only.
    say: Callable[[str], None] | None = None
    every: int = 100_000
    read: int = 0
    written: int = 0
    total: int | None = None
    _said: dict[str, int] = field(default_factory=dict)

    def __call__(self, done: int, total: int | None) -> None:
        if total is None:
            self.read = done
            self._tell("read", done, None)
        else:
            self.total = total
            self.written = done
            self._tell("written", done, total)

    def _tell(self, what: str, done: int, total: int | None) -> None:
        step = done // self.every
        finished = done == total and done >= self.every
        if self.say is None or (step <= self._said.get(what, 0) and not finished):
            return
        self._said[what] = step
        if total is None:
            self.say(f"rows {what}: {count(done, locale='en')}")
        else:
            self.say(f"rows {what}: {count(done, locale='en')} of {count(total, locale='en')}")

"""Write instance/config.py for a local installation, unless it exists already.

Used by ``make run``: fresh random secrets, so that sessions and invitation links stay valid
across restarts, and the development environment, so that every command of the README works
on this installation without further variables (production refuses per-process rate limits
and needs Redis). A file written by an earlier version of this script, without the
environment line, gets it added. Never commit the file it writes.
"""

import secrets
import sys
from pathlib import Path

MARKER = "# Local settings of this installation; generated once, never commit this file."
ENVIRONMENT_LINE = (
    "# A local installation for trying things out; a server uses production (README).\n"
    'ENVIRONMENT = "development"\n'
)


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "instance/config.py")
    if target.exists():
        text = target.read_text(encoding="utf-8")
        if text.startswith(MARKER) and "ENVIRONMENT" not in text:
            target.write_text(text.rstrip("\n") + "\n" + ENVIRONMENT_LINE, encoding="utf-8")
            print(f"{target}: this installation now runs in the development environment")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        MARKER + "\n" + ENVIRONMENT_LINE + f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
        f"INVITATION_PEPPER = {secrets.token_urlsafe(48)!r}\n",
        encoding="utf-8",
    )
    target.chmod(0o600)
    print(f"wrote {target} with new secrets")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write instance/config.py with fresh random secrets, unless it exists already.

Used by ``make run`` so that a local installation keeps its sessions and invitation links
valid across restarts. Never commit the file it writes.
"""

import secrets
import sys
from pathlib import Path


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "instance/config.py")
    if target.exists():
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        "# Local settings of this installation; generated once, never commit this file.\n"
        f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
        f"INVITATION_PEPPER = {secrets.token_urlsafe(48)!r}\n",
        encoding="utf-8",
    )
    target.chmod(0o600)
    print(f"wrote {target} with new secrets")
    return 0


if __name__ == "__main__":
    sys.exit(main())

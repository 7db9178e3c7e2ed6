"""Uploaded files: checks before parsing, parsing in a resource-limited child process, and
files kept between a preview and its import.

``checks`` (pure, fast, bounded memory) refuses a file that is too large, holds too much
or is not what it claims before any parser sees it; ``runner`` then runs an allow-listed pure
parser (``registry``) in a child process (``worker``) with memory, processor-time and
wall-clock limits, so a hostile file can neither stop a web worker nor grow its memory;
``kept`` holds uploads per council within a quota. ``services`` reads the limits from the
configuration and turns refusals into domain errors.

The child process needs a POSIX system (``resource.setrlimit``, signals); it is used on Linux.
Nothing here imports Flask except ``services`` and ``cli``.
"""

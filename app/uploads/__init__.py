"""Uploaded files: checks before parsing, and parsing in a resource-limited child process.

``checks`` (pure, fast, bounded memory) refuses a file that is too large, holds too much
or is not what it claims before any parser sees it; ``runner`` then runs an allow-listed pure
parser (``registry``) in a child process (``worker``) with memory, processor-time and
wall-clock limits, so a hostile file can neither stop a web worker nor grow its memory.

The child process needs a POSIX system (``resource.setrlimit``, signals); it is used on Linux.
Nothing here imports Flask.
"""

"""The one exception type cgsym raises for bad input.

Every message is a single line naming the problem; the command line prints it
to stderr and exits with status 2 (no traceback).
"""


class CgsymError(ValueError):
    """Bad input or an impossible request, with a one-line physics message."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class CgsymWarning(UserWarning):
    """A model or request that cgsym accepts but that is probably not what was meant
    (the command line prints it as one ``cgsym: WARNING:`` line on stderr)."""

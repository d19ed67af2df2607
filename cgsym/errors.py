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


def did_you_mean(word: str, choices) -> str:
    """``"did you mean 'x'? "`` for the closest of ``choices`` (``_`` read as ``-``), or ``""``."""
    import difflib
    choices = list(choices)
    norm = str(word).replace("_", "-").lower()
    exact = [c for c in choices if c.lower() == norm]
    close = exact or difflib.get_close_matches(norm, choices, n=1, cutoff=0.75)
    return f"did you mean '{close[0]}'? " if close else ""

"""The one base class for problems a user can act on.

Every error that the CLI or the app should show as a sentence (rather than a
traceback) derives from `RagError`; its message says what to do next.
"""


class RagError(Exception):
    """A problem the user can act on; the message says how."""

"""The exception collabsim raises for bad input (docs/PYTHON.md)."""


class InputError(ValueError):
    """Bad input: a scenario key, value, unit or data file the simulator refuses.

    The same error the CLI prints before exiting with status 2. ``str(err)`` is the CLI's
    message ("FILE:LINE:COL: key 'KEY': MESSAGE"); the parts are attributes:

    - ``file`` (str): the input file at fault, "" when unknown;
    - ``line``, ``column`` (int): 1-based position in it, 0 when unknown;
    - ``key`` (str): the dotted scenario key or column at fault, "" when none.
    """

    def __init__(self, message, file="", line=0, column=0, key=""):
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.key = key

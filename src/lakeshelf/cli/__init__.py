"""The ``lakeshelf`` command line: parse arguments, call the library, print.

Owns argument parsing (typer), rendering (rich) and exit codes; every behaviour of a command is a
library function first. The entry point is :func:`lakeshelf.cli.main.console`. Nothing in the
library imports this package.
"""

"""The generation engine: storyboard -> backend -> postprocess.

Nothing in this package imports a web framework or a database (a test enforces it), so that
the same engine runs in the CLI, in a worker on a GPU host, and in tests.
"""
